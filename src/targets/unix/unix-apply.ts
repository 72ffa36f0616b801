import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage } from '../../domain/errors.js';
import type { Change, ChangeResult, TargetContext } from '../target.js';
import { flushCaches } from './cache-flush.js';
import { renderDesired, type RenderedGroup, type RenderedHost, type RenderedUser } from './desired-lines.js';
import { lockEtc } from './etc-lock.js';
import { entryId, ETC_WRITE_ORDER, type EtcName } from './etc-text.js';
import { lineNames } from './group-lines.js';
import { writeOwnedState } from './owned-state.js';
import { etcPath, readSnapshot } from './read-snapshot.js';
import { replaceFile, type FileOwnership } from './replace-file.js';
import type { UnixConfig } from './unix-config.js';
import { UnixFiles } from './unix-files.js';
import { groupResolver, plannedIndex, UNIX_TARGET, type UnixChangeData } from './unix-plan.js';

interface Staged {
  readonly error: string | null;
  readonly touches: readonly EtcName[];
  readonly detail?: string;
}

const USER_FILES: readonly EtcName[] = ['passwd', 'shadow'];
const GROUP_FILES: readonly EtcName[] = ['group', 'gshadow'];
/** A change staged: one shared answer per kind, not one object per change (a first fill stages 200,000). */
const USER_STAGED: Staged = { error: null, touches: USER_FILES };
const GROUP_STAGED: Staged = { error: null, touches: GROUP_FILES };

/**
 * Applies planned changes (DESIGN.md §1, §7). Under the shadow-utils locks it
 * reads the files *again* and merges each change into what is there now, so
 * an entry `useradd` wrote since the plan is kept, and a collision that
 * appeared since is caught. Then, ownership first, it writes only the files
 * that changed, in the order group, gshadow, passwd, shadow, each replaced
 * atomically. One result per change; a change that cannot be made fails
 * alone. Throws only before anything is done (`lock_timeout`, an unreadable
 * ownership file).
 */
export async function applyUnix(ctx: TargetContext, config: UnixConfig, changes: readonly Change[], desired: DesiredHost): Promise<ChangeResult[]> {
  const lock = await lockEtc(ctx.root, config.lockTimeoutSeconds * 1000);
  let outcome: { readonly results: ChangeResult[]; readonly wrote: boolean };
  try {
    outcome = await applyLocked(ctx, config, changes, desired);
  } finally {
    lock.release();
  }
  if (outcome.wrote) await flushCaches(ctx, config.flushCaches);
  return outcome.results;
}

async function applyLocked(ctx: TargetContext, config: UnixConfig, changes: readonly Change[], desired: DesiredHost): Promise<{ results: ChangeResult[]; wrote: boolean }> {
  const snapshot = await readSnapshot(ctx.root, { reuse: true });
  const rendered = renderDesired(desired, config);
  const files = new UnixFiles(snapshot, config.splitExtension, rendered.groupNames);
  const groupOf = groupResolver(desired, config, rendered, files);
  const staged = changes.map((c) => stage(files, rendered, config, groupOf, c));

  const failed = new Map<EtcName, string>();
  let wrote = false;
  const claimed = files.claimedOwnership();
  try {
    // Ownership before the lines: killed between the two, the next run finds
    // names it owns with no line yet (harmless), never a line it wrote but
    // does not own (which it would then refuse as a collision).
    if (claimed !== null) await writeOwnedState(ctx.root, claimed);
  } catch (e) {
    for (const f of ETC_WRITE_ORDER) failed.set(f, `could not record ownership: ${errorMessage(e)}`);
  }
  for (const name of ETC_WRITE_ORDER) {
    if (failed.size > 0) {
      failed.set(name, failed.get(name) ?? `not written: an earlier file failed (${[...failed.values()][0] ?? ''})`);
      continue;
    }
    const table = files.table(name);
    if (!table.changed) continue;
    try {
      await replaceFile(etcPath(ctx.root, name), () => table.stream(), { fallback: () => newFileOwnership(name, files), backup: true });
      wrote = true;
    } catch (e) {
      failed.set(name, `writing /etc/${name}: ${errorMessage(e)}`);
    }
  }
  // Names whose lines vanished (userdel by hand) are forgotten whenever
  // ownership is written anyway, not on every apply: a freeze stays O(1) writes.
  if (failed.size === 0 && (claimed !== null || files.droppedAny())) {
    const trimmed = files.trimmedOwnership();
    if (trimmed !== null) {
      // The claimed superset is already on disk, so failing here loses nothing.
      await writeOwnedState(ctx.root, trimmed).catch((e: unknown) => ctx.log.warn(`could not trim the unix ownership state: ${(e as Error).message}`));
    }
  }
  const results = changes.map((change, i): ChangeResult => {
    const s = staged[i] ?? { error: 'internal: not staged', touches: [] };
    if (s.error !== null) return { change, ok: false, error: s.error };
    const broken = failed.size === 0 ? undefined : firstFailure(s.touches, failed);
    if (broken !== undefined) return { change, ok: false, error: broken };
    return s.detail === undefined ? { change, ok: true } : { change, ok: true, detail: s.detail };
  });
  return { results, wrote };
}

function stage(files: UnixFiles, rendered: RenderedHost, config: UnixConfig, groupOf: (name: string) => RenderedGroup | undefined, change: Change): Staged {
  const index = plannedIndex(change, rendered);
  if (index >= 0) {
    // Planned from this very rendering, for the desired entry at `index`: no name to look up.
    if ((change.data as UnixChangeData).kind === 'user') {
      const desired = rendered.userAt(index);
      return desired === undefined ? { error: `${change.subject}: no longer desired; plan again`, touches: [] } : putUser(files, rendered, desired.account.username, desired);
    }
    const desired = rendered.groupAt(index);
    return desired === undefined ? { error: `${change.subject}: no longer desired; plan again`, touches: [] } : putGroup(files, rendered, config, desired.group.name, desired);
  }
  const data = unixData(change);
  if (typeof data === 'string') return { error: data, touches: [] };
  if (data.kind === 'user') {
    const desired = rendered.user(data.name);
    if (data.op === 'remove') {
      if (desired !== undefined) return { error: `user ${data.name} is desired again since the plan; plan again`, touches: [] };
      if (!files.ownsUser(data.name)) return { error: null, touches: [], detail: 'not owned by Roster: left alone' };
      files.removeUser(data.name);
      return USER_STAGED;
    }
    return putUser(files, rendered, data.name, desired);
  }
  const desired = groupOf(data.name);
  if (data.op === 'remove') {
    if (desired !== undefined) return { error: `group ${data.name} is desired again since the plan; plan again`, touches: [] };
    if (!files.ownsGroup(data.name)) return { error: null, touches: [], detail: 'not owned by Roster: left alone' };
    files.removeGroup(data.name);
    return GROUP_STAGED;
  }
  return putGroup(files, rendered, config, data.name, desired);
}

function putUser(files: UnixFiles, rendered: RenderedHost, name: string, desired: RenderedUser | undefined): Staged {
  if (desired === undefined) return { error: `user ${name} is no longer desired; plan again`, touches: [] };
  const problem = rendered.userProblem(desired) ?? files.userConflict(name, desired.account.uid, desired);
  if (problem !== null) return { error: problem, touches: [] };
  files.putUser(name, desired.account);
  return USER_STAGED;
}

function putGroup(files: UnixFiles, rendered: RenderedHost, config: UnixConfig, name: string, desired: RenderedGroup | undefined): Staged {
  if (desired === undefined) return { error: `group ${name} is no longer desired; plan again`, touches: [] };
  // The names alone: a group of one line is rendered as its file is written.
  const names = lineNames(desired.group, config.groupLineLimit, config.splitExtension);
  const problem = rendered.groupProblem(desired) ?? files.groupConflict(name, desired.group.gid, names, desired);
  if (problem !== null) return { error: problem, touches: [] };
  for (const n of names) {
    if (files.claimsGroupLine(n)) return { error: `group ${name}: line ${n} is written by another change of this apply`, touches: [] };
  }
  files.putGroup(name, desired.group, names, () => desired.lines);
  return GROUP_STAGED;
}

function firstFailure(touches: readonly EtcName[], failed: ReadonlyMap<EtcName, string>): string | undefined {
  for (const f of touches) {
    const m = failed.get(f);
    if (m !== undefined) return m;
  }
  return undefined;
}

/** What a change is about, as stage reads it. */
interface ChangeTarget {
  readonly kind: UnixChangeData['kind'];
  readonly name: string;
  readonly op: UnixChangeData['op'];
}

/** The change's data, checked (a plan may come back from JSON), with the entry's name from its subject; only kind and op are read from the data. */
function unixData(change: Change): ChangeTarget | string {
  if (change.target !== UNIX_TARGET) return `not a ${UNIX_TARGET} change (target ${change.target})`;
  const d = change.data as Partial<UnixChangeData> | undefined;
  const subject = change.subject;
  const named = typeof subject === 'string' && d !== undefined && typeof d.kind === 'string' && subject.length > d.kind.length + 1 && subject.startsWith(d.kind) && subject.charCodeAt(d.kind.length) === 0x3a;
  if (d === undefined || (d.kind !== 'user' && d.kind !== 'group') || (d.op !== 'put' && d.op !== 'remove') || !named) {
    return `${change.subject}: not a change made by the ${UNIX_TARGET} plan`;
  }
  return { kind: d.kind, name: subject.slice(d.kind.length + 1), op: d.op };
}

/**
 * Mode and owner of a file that does not exist yet: what Debian's base-passwd
 * and shadow-utils give them. The shadow files are group `shadow` (so
 * unix_chkpwd and friends can read them) when the root has that group.
 */
function newFileOwnership(name: EtcName, files: UnixFiles): FileOwnership {
  if (name === 'passwd' || name === 'group') return { mode: 0o644, uid: 0, gid: 0 };
  const shadow = files.group.get('shadow');
  const gid = shadow === undefined ? null : entryId(shadow.text);
  return gid === null ? { mode: 0o600, uid: 0, gid: 0 } : { mode: 0o640, uid: 0, gid };
}
