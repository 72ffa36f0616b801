import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { runCommand, type RunCommand } from '../../system/run-command.js';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import { defineTarget, type Change, type ChangeResult, type Target, type TargetContext, type UsageItem, type VerifyFailure } from '../target.js';
import { compiledUpToDate, compilePostfixMap } from './compile-postfix-map.js';
import { mailListsCheck } from './mail-lists-check.js';
import { listAddresses, mapEntries, mergeScopedListMap, renderListMap } from './list-map.js';
import { listAddressSchema, listSettingsSchema, mailListsConfigSchema, mailListsEntrySchema, mailListsTypeSettingsSchema, parseHostPort, type MailListsConfig, type MailListsEntry } from './mail-lists-config.js';
import { mailmanLists, type MailmanList } from './mailman-lists.js';
import { probeRecipients, type SmtpReply } from './probe-recipients.js';
import { LIST_KIND, ownedLists, refusedLists, SERVICE, TARGET, type Collision } from './refused-lists.js';
import type * as z from 'zod';

export interface MailListsObserved {
  /** The map as it is on the host, or null when it does not exist. */
  readonly text: string | null;
  /** Postfix: whether the compiled map is there and not older than the source; always true for Exim. */
  readonly compiled: boolean;
  /** Every Mailman list with its owners, when Mailman is configured. */
  readonly mailman: readonly MailmanList[] | null;
}

/** A list whose refusal a change adds or removes, with the text its reply carries (for verify). */
interface ProbedList {
  readonly address: string;
  readonly text: string;
}

type MailListsChangeData =
  | { readonly kind: 'conflict'; readonly collision: Collision }
  | { readonly kind: 'write'; readonly path: string; readonly content: string; readonly refused: readonly ProbedList[]; readonly reopened: readonly ProbedList[] }
  | { readonly kind: 'compile'; readonly path: string; readonly refused: readonly ProbedList[] };

/** At most this many lists of each side are probed after a change: a whole-host rewrite may change thousands, and the first ones show whether the map is in effect. */
const PROBES = 25;

/** The text of a map reply after its code and enhanced status code. */
function replyText(reply: string): string {
  return reply.replace(/^[0-9]{3} [0-9.]+ /, '');
}

function names(list: readonly string[]): string {
  return list.length <= 5 ? list.join(', ') : `${list.slice(0, 5).join(', ')} and ${list.length - 5} more`;
}

function planMap(desired: DesiredHost, observed: MailListsObserved, config: MailListsConfig): Change[] {
  const { blocks, collisions } = refusedLists(desired, config, observed.mailman);
  const changes: Change[] = collisions.map((c) => ({
    target: TARGET,
    action: 'conflict',
    subject: `list:${c.list}`,
    account: c.owner,
    summary: `cannot refuse ${c.list} of ${c.owner}: ${c.key} is the mailbox of ${c.account}`,
    destructive: false,
    data: { kind: 'conflict', collision: c } satisfies MailListsChangeData,
  }));
  const content =
    desired.scope === undefined
      ? renderListMap(config, blocks)
      : mergeScopedListMap(
          config,
          observed.text,
          desired.scope,
          desired.removed.map((r) => r.username),
          blocks,
          TARGET,
        );
  if (content !== observed.text) {
    const before = mapEntries(config.mta, observed.text);
    const after = mapEntries(config.mta, content);
    const refused = listAddresses(new Set(after.keys()), config.suffixes).filter((a) => before.get(a) !== after.get(a));
    const reopened = listAddresses(new Set(before.keys()), config.suffixes).filter((a) => !after.has(a));
    const parts = [refused.length > 0 ? `refuse ${names(refused)}` : '', reopened.length > 0 ? `reopen ${names(reopened)}` : ''].filter((p) => p !== '');
    const data: MailListsChangeData = {
      kind: 'write',
      path: config.map,
      content,
      refused: refused.map((address) => ({ address, text: replyText(after.get(address) ?? '') })),
      reopened: reopened.map((address) => ({ address, text: replyText(before.get(address) ?? '') })),
    };
    changes.push({
      target: TARGET,
      action: observed.text === null ? 'create' : 'update',
      subject: `file:${config.map}`,
      summary: `${config.map}: ${parts.length > 0 ? parts.join('; ') : 'rewrite it as Roster renders it'}`,
      destructive: false,
      data,
    });
  } else if (!observed.compiled) {
    const entries = mapEntries(config.mta, content);
    const refused = listAddresses(new Set(entries.keys()), config.suffixes).map((address) => ({ address, text: replyText(entries.get(address) ?? '') }));
    const data: MailListsChangeData = { kind: 'compile', path: config.map, refused };
    changes.push({ target: TARGET, action: 'compile', subject: `file:${config.map}`, summary: `postmap ${config.table}:${config.map} (the compiled map is missing or older than the file)`, destructive: false, data });
  }
  return changes;
}

async function applyOne(ctx: TargetContext, config: MailListsConfig, data: MailListsChangeData, run: RunCommand): Promise<unknown> {
  switch (data.kind) {
    case 'conflict': {
      const c = data.collision;
      throw new RosterError('conflict', `list ${c.list} of ${c.owner} is not refused: its address ${c.key} is the mailbox of account ${c.account}, whose mail must keep flowing`);
    }
    case 'write': {
      const path = rootedPath(ctx.root, data.path);
      // Source first, then the compiled map: a crash in between leaves the compiled map older than the source, which the next plan compiles again.
      await writeFileAtomic(path, data.content, { mode: 0o644 });
      if (config.mta === 'postfix') await compilePostfixMap(run, config, path, data.content);
      return { refused: data.refused.map((l) => l.address), reopened: data.reopened.map((l) => l.address) };
    }
    case 'compile': {
      const path = rootedPath(ctx.root, data.path);
      await compilePostfixMap(run, config, path, await readFile(path, 'utf8'));
      return { compiled: `${config.table}:${data.path}` };
    }
  }
}

/**
 * Whether the MTA answers as the map says: RCPT TO a newly refused list
 * gets a 5xx carrying its text, RCPT TO a reopened list does not (it may
 * still be refused for reasons of the MTA's own, such as an unknown
 * recipient, but not by this map). Returns the problems, one per list.
 */
async function probeChange(config: MailListsConfig, data: Extract<MailListsChangeData, { kind: 'write' | 'compile' }>): Promise<string[]> {
  const probe = config.verify;
  const server = probe === undefined ? null : parseHostPort(probe.smtp);
  if (probe === undefined || server === null) return [];
  const refused = data.refused.slice(0, PROBES);
  const reopened = data.kind === 'write' ? data.reopened.slice(0, PROBES) : [];
  if (refused.length + reopened.length === 0) return [];
  const replies = await probeRecipients({ ...server, helo: probe.helo, from: probe.from ?? '' }, [...refused, ...reopened].map((l) => l.address));
  const shows = (reply: SmtpReply | undefined, text: string): boolean => reply !== undefined && reply.code >= 500 && squeeze(reply.text).includes(squeeze(text));
  const said = (reply: SmtpReply | undefined): string => (reply === undefined ? 'nothing' : `"${reply.code} ${reply.text}"`);
  const problems: string[] = [];
  for (const l of refused) {
    const reply = replies.get(l.address);
    if (!shows(reply, l.text)) problems.push(`RCPT TO:<${l.address}> on ${probe.smtp} answered ${said(reply)}, not the refusal "${l.text}"`);
  }
  for (const l of reopened) {
    const reply = replies.get(l.address);
    if (shows(reply, l.text)) problems.push(`RCPT TO:<${l.address}> on ${probe.smtp} is still refused: ${said(reply)}`);
  }
  return problems;
}

function squeeze(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Bytes of the regular files under `path` (apparent sizes), never following a symbolic link; 0 when it does not exist. */
async function treeBytes(path: string): Promise<number> {
  const st = await lstat(path).catch(() => null);
  if (st === null || st.isSymbolicLink()) return 0;
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  let total = 0;
  for (const name of await readdir(path)) total += await treeBytes(join(path, name));
  return total;
}

/**
 * Mailing lists of disabled owners, refused at the MTA (issue 12 item 3,
 * seed MemberFreezing 1.5: "temporarily block them at the Exim level …
 * suggesting that the poster complain to the delinquent member"). While an
 * owner's `lists` service is disabled, RCPT TO the list and its suffixed
 * addresses is answered with a 5xx text naming whom to write to: the
 * poster's own server delivers that text, so no bounce goes to a forged
 * sender. Mail to the member's own mailbox is never in the map.
 *
 * Roster owns the map file whole and renders it from the desired state, so
 * an unfreeze gives back the very bytes of before the freeze. Lists are
 * `list` resources, and with Mailman also the lists whose owners are an
 * account's address. Roster's only state for a list is its lines in the
 * map (the list itself is Mailman's), so a list that is no longer desired
 * (resource removed, owner purged) needs no archive: its lines go with the
 * next render.
 */
export function createMailListsTarget(run: RunCommand = runCommand): Target<MailListsConfig, MailListsObserved> {
  return defineTarget<MailListsConfig, MailListsObserved, z.output<typeof mailListsTypeSettingsSchema>, MailListsEntry>({
    name: TARGET,
    hostSettings: mailListsConfigSchema,
    doctor: mailListsCheck,
    typeSettings: mailListsTypeSettingsSchema,
    entry: mailListsEntrySchema,
    project: (account, settings) => ({ address: settings.address?.replace('{user}', account.username) ?? null }),
    // Touches only its own service: applied at the same time as the other service targets next to it.
    concurrent: true,
    services: [SERVICE],
    resourceKinds: {
      [LIST_KIND]: { description: 'a mailing list the account owns, refused at the MTA while its lists service is disabled', settings: listSettingsSchema, name: listAddressSchema },
    },

    async observe(ctx: TargetContext, config: MailListsConfig): Promise<MailListsObserved> {
      const path = rootedPath(ctx.root, config.map);
      return {
        text: await readTextIfExists(path),
        compiled: config.mta !== 'postfix' || (await compiledUpToDate(path, config.table)),
        mailman: config.mailman === undefined ? null : await mailmanLists(ctx.root, config.mailman),
      };
    },

    plan: planMap,

    async apply(ctx: TargetContext, config: MailListsConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
      const results: ChangeResult[] = [];
      for (const change of changes) {
        try {
          results.push({ change, ok: true, detail: await applyOne(ctx, config, change.data as MailListsChangeData, run) });
        } catch (e) {
          results.push({ change, ok: false, error: change.action === 'conflict' ? errorMessage(e) : `${config.map}: ${errorMessage(e)}` });
        }
      }
      return results;
    },

    async verify(_ctx: TargetContext, config: MailListsConfig, results: readonly ChangeResult[]): Promise<readonly VerifyFailure[]> {
      const failures: VerifyFailure[] = [];
      for (const { change } of results) {
        const data = change.data as MailListsChangeData;
        if (data.kind === 'conflict') continue;
        const problems = await probeChange(config, data);
        if (problems.length > 0) failures.push({ change, error: problems.join('; ') });
      }
      return failures;
    },

    async usage(ctx: TargetContext, config: MailListsConfig, desired: DesiredHost): Promise<readonly UsageItem[]> {
      const archives = config.mailman?.archiveDir;
      if (config.mailman === undefined || archives === undefined) return [];
      const owners = ownedLists(desired, await mailmanLists(ctx.root, config.mailman));
      const items: UsageItem[] = [];
      for (const [address, account] of [...owners].sort(([a], [b]) => (a < b ? -1 : 1))) {
        // A name from Mailman becomes one path component, never more.
        if (address.includes('/') || address.startsWith('.')) continue;
        items.push({ account, subject: `list:${address}`, bytes: await treeBytes(rootedPath(ctx.root, posix.join(archives, address))) });
      }
      return items;
    },
  });
}

export const mailListsTarget = createMailListsTarget();
