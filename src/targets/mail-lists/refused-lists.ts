import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { disabledFor } from '../disabled-for.js';
import { targetEntry, WholeHostNeeded } from '../target.js';
import type { OwnerBlock, RefusedList } from './list-map.js';
import type { MailListsConfig, MailListsEntry } from './mail-lists-config.js';
import type { MailmanList } from './mailman-lists.js';

export const TARGET = 'mail-lists';
/** The service a freeze turns off unless `freeze.keep` lists it. */
export const SERVICE = 'lists';
/** The resource kind: `roster resource add alice --kind list --name announce@example.org`. */
export const LIST_KIND = 'list';

export const entryOf = targetEntry<MailListsEntry>(TARGET, () => ({ address: null }));

/** A list that would refuse someone's own mailbox: left out of the map, and a failed change naming both. */
export interface Collision {
  readonly owner: string;
  readonly list: string;
  /** The refused address (the list's or a suffixed one) that is the mailbox. */
  readonly key: string;
  readonly account: string;
}

export interface RefusalPlan {
  readonly blocks: readonly OwnerBlock[];
  readonly collisions: readonly Collision[];
}

interface Owned {
  readonly owners: Set<string>;
  contact?: string;
}

/** The account's own address in lower case, or null when its type gives none. */
export function addressOf(a: DesiredAccount): string | null {
  return entryOf(a).address?.toLowerCase() ?? null;
}

/** The username of each account's own address (lower case); of the first account, where two give the same. */
function usernamesByAddress(desired: DesiredHost): Map<string, string> {
  const byAddress = new Map<string, string>();
  for (const a of desired.accounts) {
    const address = addressOf(a);
    if (address !== null && !byAddress.has(address)) byAddress.set(address, a.username);
  }
  return byAddress;
}

/**
 * Which lists the map refuses, by owner (seed MemberFreezing 1.5): those
 * whose every owner on this host has the `lists` service disabled. A list
 * is owned by the account of its resource (`--kind list`) and, with
 * Mailman, by each account whose address is one of the list's owners; a
 * list co-owned by an account that is not disabled stays open, so a
 * paying co-owner's list is never taken down. Owner addresses that are no
 * account's (people outside Roster) do not count. A refused list goes in
 * the block of its first disabled owner by username, and names whom to
 * write to: the resource's `contact`, else that owner's address, else
 * postmaster at the list's domain (which RFC 5321 §4.5.1 requires to
 * exist). A list whose refused addresses include an account's own mailbox
 * is left out (mail to members' mailboxes keeps flowing) and reported.
 *
 * For a scoped desired state it plans the scope's accounts only, and
 * throws WholeHostNeeded when one of their Mailman lists has an owner
 * address that is not one of theirs (that owner may be an account outside
 * the scope).
 */
export function refusedLists(desired: DesiredHost, config: MailListsConfig, mailman: readonly MailmanList[] | null): RefusalPlan {
  const accounts = new Map(desired.accounts.map((a) => [a.username, a]));
  const byAddress = usernamesByAddress(desired);
  const lists = new Map<string, Owned>();
  const own = (address: string): Owned => {
    let o = lists.get(address);
    if (o === undefined) {
      o = { owners: new Set() };
      lists.set(address, o);
    }
    return o;
  };
  for (const r of desired.resources?.[TARGET] ?? []) {
    if (r.kind !== LIST_KIND || !accounts.has(r.owner)) continue;
    const o = own(r.name.toLowerCase());
    o.owners.add(r.owner);
    if (typeof r.settings.contact === 'string') o.contact = r.settings.contact;
  }
  for (const list of mailman ?? []) {
    const owners = list.owners.map((e) => byAddress.get(e.toLowerCase()));
    if (desired.scope !== undefined && (lists.has(list.address) || owners.some((u) => u !== undefined)) && owners.some((u) => u === undefined)) {
      throw new WholeHostNeeded(TARGET, `the Mailman list ${list.address} has owners outside the accounts being applied`);
    }
    for (const u of owners) if (u !== undefined) own(list.address).owners.add(u);
  }

  const blocks = new Map<string, RefusedList[]>();
  const collisions: Collision[] = [];
  const taken = new Set<string>();
  for (const address of [...lists.keys()].sort()) {
    const owned = lists.get(address);
    const owners = [...(owned?.owners ?? [])].sort();
    const disabled = owners.filter((u) => {
      const a = accounts.get(u);
      return a !== undefined && disabledFor(a, SERVICE, desired.freezeKeep);
    });
    const first = disabled[0];
    if (first === undefined || disabled.length !== owners.length) continue;
    const at = address.lastIndexOf('@');
    const keys = [address, ...config.suffixes.map((s) => `${address.slice(0, at)}${s}${address.slice(at)}`)].filter((k) => !taken.has(k)).sort();
    const mailbox = keys.find((k) => byAddress.has(k));
    if (mailbox !== undefined) {
      collisions.push({ owner: first, list: address, key: mailbox, account: byAddress.get(mailbox) ?? '' });
      continue;
    }
    for (const k of keys) taken.add(k);
    const ownerAccount = accounts.get(first);
    const contact = owned?.contact ?? (ownerAccount === undefined ? null : addressOf(ownerAccount)) ?? `postmaster${address.slice(at)}`;
    const reply = `${config.code} ${renderMessage(config.message, { list: address, owner: contact, user: first })}`;
    const mine = blocks.get(first) ?? [];
    mine.push({ address, keys, reply });
    blocks.set(first, mine);
  }
  return { blocks: [...blocks].map(([owner, refused]) => ({ owner, lists: refused })), collisions };
}

/** The refusal text with its placeholders filled in. */
export function renderMessage(template: string, values: { readonly list: string; readonly owner: string; readonly user: string }): string {
  return template.replace(/\{(list|owner|user)\}/g, (_, name: 'list' | 'owner' | 'user') => values[name]);
}

/** The lists each account owns on this host (resources, and Mailman lists by the account's address), each counted once: for usage. */
export function ownedLists(desired: DesiredHost, mailman: readonly MailmanList[]): Map<string, string> {
  const byAddress = usernamesByAddress(desired);
  const owner = new Map<string, string>();
  for (const r of desired.resources?.[TARGET] ?? []) if (r.kind === LIST_KIND) owner.set(r.name.toLowerCase(), r.owner);
  for (const list of mailman) {
    if (owner.has(list.address)) continue;
    const first = list.owners.map((e) => byAddress.get(e.toLowerCase())).filter((u) => u !== undefined).sort()[0];
    if (first !== undefined) owner.set(list.address, first);
  }
  return owner;
}
