import { WholeHostNeeded } from '../target.js';
import type { MailListsConfig } from './mail-lists-config.js';

/** One refused list: its address, the addresses refused with it and the reply they get. */
export interface RefusedList {
  readonly address: string;
  /** Every key of the map for this list (the address and its suffixed addresses), sorted. */
  readonly keys: readonly string[];
  /** The whole reply after RCPT TO: code, enhanced status code and text. */
  readonly reply: string;
}

/** The refused lists of one owner, sorted by address. */
export interface OwnerBlock {
  readonly owner: string;
  readonly lists: readonly RefusedList[];
}

const OWNER_LINE = '# owner ';

/**
 * The header says that Roster owns the whole file (there are no unmanaged
 * lines to keep, unlike the user lists of cron and login), and how the MTA
 * reads it. It depends only on the settings, so a file rendered twice from
 * the same desired state is the same bytes.
 */
export function mapHeader(config: Pick<MailListsConfig, 'mta' | 'map' | 'table'>): string {
  const how =
    config.mta === 'postfix'
      ? [`# Postfix reads it as ${config.table}:${config.map} in smtpd_recipient_restrictions`, '# (check_recipient_access), before any permit; Roster runs postmap after each write.']
      : [`# Exim reads it with lsearch from an ACL in acl_smtp_rcpt, before any accept:`, `#   deny set acl_m_roster_list = \${lookup{\${lc:\${sg{$local_part}{\\N\\+.*\\N}{}}@$domain}}lsearch{${config.map}}}`, '#        condition = ${if def:acl_m_roster_list}', '#        message = $acl_m_roster_list'];
  return [
    '# Written by Roster (mail-lists target). Roster owns this whole file and rewrites',
    '# it from the desired state on every change: edits here are lost. Put entries of',
    '# your own in a map of their own.',
    '# Mail to these lists (and their suffixed addresses) is refused while the lists',
    '# service of their owner is disabled; one block per owner, sorted.',
    ...how,
    '',
  ].join('\n');
}

/** One map line: Postfix access(5) `key<TAB>reply`, Exim lsearch `key: reply`. */
function line(mta: MailListsConfig['mta'], key: string, reply: string): string {
  return mta === 'postfix' ? `${key}\t${reply}` : `${key}: ${reply}`;
}

function blockLines(mta: MailListsConfig['mta'], block: OwnerBlock): string[] {
  const out = [`${OWNER_LINE}${block.owner}`];
  for (const list of block.lists) for (const key of list.keys) out.push(line(mta, key, list.reply));
  return out;
}

/**
 * The whole file: the header, then each owner's block (`# owner alice` and
 * its lines) in username order. The file exists even with no block: a
 * Postfix map that is missing makes every RCPT TO a temporary failure.
 */
export function renderListMap(config: Pick<MailListsConfig, 'mta' | 'map' | 'table'>, blocks: readonly OwnerBlock[]): string {
  const sorted = [...blocks].filter((b) => b.lists.length > 0).sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  return mapHeader(config) + sorted.flatMap((b) => blockLines(config.mta, b).map((l) => `${l}\n`)).join('');
}

/** The blocks of a file Roster wrote, owner → its lines; null when the file is not one Roster rendered with these settings. */
export function parseListMap(config: Pick<MailListsConfig, 'mta' | 'map' | 'table'>, text: string): Map<string, string[]> | null {
  const header = mapHeader(config);
  if (!text.startsWith(header)) return null;
  const blocks = new Map<string, string[]>();
  if (text === header) return blocks;
  if (!text.endsWith('\n')) return null;
  let current: string[] | null = null;
  for (const l of text.slice(header.length, -1).split('\n')) {
    if (l.startsWith(OWNER_LINE)) {
      const owner = l.slice(OWNER_LINE.length);
      if (blocks.has(owner)) return null;
      current = [];
      blocks.set(owner, current);
    } else if (current === null || l === '') {
      return null;
    } else {
      current.push(l);
    }
  }
  return blocks;
}

/** The map key of a map line. */
function keyOf(mta: MailListsConfig['mta'], l: string): string {
  return mta === 'postfix' ? l.slice(0, l.indexOf('\t')) : l.slice(0, l.indexOf(': '));
}

/**
 * The file a whole-host render would give, from the file as it is and the
 * blocks of a scoped desired state's accounts (`DesiredHost.scope`): their
 * blocks replaced (or dropped, and those of `gone` owners too), everyone
 * else's kept as they are. Throws WholeHostNeeded when the file is not one
 * Roster rendered, or when a list of the scope is also in another owner's
 * block (who keeps it depends on accounts outside the scope).
 */
export function mergeScopedListMap(config: Pick<MailListsConfig, 'mta' | 'map' | 'table'>, current: string | null, scope: readonly string[], gone: readonly string[], blocks: readonly OwnerBlock[], target: string): string {
  const parsed = current === null ? null : parseListMap(config, current);
  if (parsed === null) throw new WholeHostNeeded(target, `${config.map} is not written yet (or not by Roster with these settings)`);
  for (const owner of [...scope, ...gone]) parsed.delete(owner);
  const taken = new Set<string>();
  for (const lines of parsed.values()) for (const l of lines) taken.add(keyOf(config.mta, l));
  for (const block of blocks) {
    for (const list of block.lists) {
      if (list.keys.some((k) => taken.has(k))) throw new WholeHostNeeded(target, `${list.address} is also refused for an owner outside the accounts being applied`);
    }
  }
  const all = new Map<string, string[]>(parsed);
  for (const block of blocks) if (block.lists.length > 0) all.set(block.owner, blockLines(config.mta, block).slice(1));
  const owners = [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return mapHeader(config) + owners.flatMap((o) => [`${OWNER_LINE}${o}`, ...(all.get(o) ?? [])].map((l) => `${l}\n`)).join('');
}

/** A map's lines as key → reply (comments and blank lines are not lines). */
export function mapEntries(mta: MailListsConfig['mta'], text: string | null): Map<string, string> {
  const entries = new Map<string, string>();
  if (text === null) return entries;
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const sep = mta === 'postfix' ? l.indexOf('\t') : l.indexOf(': ');
    if (sep > 0) entries.set(l.slice(0, sep), l.slice(sep + (mta === 'postfix' ? 1 : 2)));
  }
  return entries;
}

/** The list addresses among map keys: those that are not another key's address with one of `suffixes`. */
export function listAddresses(keys: ReadonlySet<string>, suffixes: readonly string[]): string[] {
  return [...keys]
    .filter((k) => {
      const at = k.lastIndexOf('@');
      const local = k.slice(0, at);
      return !suffixes.some((s) => local.endsWith(s) && keys.has(`${local.slice(0, -s.length)}${k.slice(at)}`));
    })
    .sort();
}
