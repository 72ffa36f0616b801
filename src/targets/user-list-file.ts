import { errorMessage } from '../domain/errors.js';
import { rootedPath } from '../system/rooted-path.js';
import { writeFileAtomic } from '../system/write-file-atomic.js';
import { WholeHostNeeded, type Change, type ChangeResult } from './target.js';

/**
 * A one-name-per-line list (cron.allow, cron.deny, a pam_listfile file) that
 * Roster shares with the admin. A line is Roster's when, trimmed, it names a
 * managed account (living or purged on this host); every other line — other
 * users, comments, blank lines — is kept byte for byte and in place
 * (DESIGN.md §4 "managed and unmanaged entries coexist").
 *
 * A name that comes back goes where it was: right after the managed name
 * that sorts before it (else right before the first one that sorts after
 * it, else at the end). Roster writes its names in sorted order, so taking
 * a name out (a freeze, in an allow list) and putting it back (the
 * unfreeze) gives the very same bytes, wherever the admin's own lines are —
 * unless the admin put a line between two of Roster's.
 *
 * Returns the new text, identical to `existing` when nothing changes (so a
 * converged plan is empty), or null when the file is absent and stays so.
 */
export function mergeUserList(existing: string | null, managed: ReadonlySet<string>, wanted: readonly string[]): string | null {
  const want = new Set(wanted);
  if (existing === null) return wanted.length === 0 ? null : wanted.map((n) => `${n}\n`).join('');
  const lines = existing.split('\n');
  // split leaves '' after a final newline; it is not a line.
  const finalNewline = existing.endsWith('\n');
  if (finalNewline || existing === '') lines.pop();
  const kept: string[] = [];
  /** Each managed name kept, with its index in `kept`. */
  const present = new Map<string, number>();
  let dropped = false;
  for (const line of lines) {
    const name = line.trim();
    if (!managed.has(name)) {
      kept.push(line);
    } else if (want.has(name) && !present.has(name)) {
      present.set(name, kept.length);
      kept.push(line);
    } else {
      dropped = true;
    }
  }
  const added = [...new Set(wanted.filter((n) => !present.has(n)))].sort(byName);
  if (!dropped && added.length === 0) return existing;
  const all = added.length === 0 ? kept : withAdded(kept, present, added);
  return all.length === 0 ? '' : `${all.join('\n')}\n`;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `kept` with the `added` names (sorted) placed as mergeUserList says; linear in the lines plus n log n in the names. */
function withAdded(kept: readonly string[], present: ReadonlyMap<string, number>, added: readonly string[]): string[] {
  if (present.size === 0) return [...kept, ...added];
  const names = [...present.keys()].sort(byName);
  const first = present.get(names[0] ?? '') ?? kept.length;
  const before: string[] = [];
  const after = new Map<number, string[]>();
  let i = 0;
  for (const name of added) {
    // The last kept managed name below this one; `added` is sorted, so i only moves forward.
    while (i < names.length && byName(names[i] ?? '', name) < 0) i++;
    const anchor = i === 0 ? undefined : present.get(names[i - 1] ?? '');
    const group = anchor === undefined ? before : after.get(anchor);
    if (group !== undefined) group.push(name);
    else if (anchor !== undefined) after.set(anchor, [name]);
  }
  const out: string[] = [];
  kept.forEach((line, index) => {
    if (index === first) out.push(...before);
    out.push(line, ...(after.get(index) ?? []));
  });
  return out;
}

/** Usernames of every account Roster manages on the host, living or purged: only their lines are Roster's. */
export function managedNames(desired: { readonly accounts: ReadonlyArray<{ readonly username: string }>; readonly removed: ReadonlyArray<{ readonly username: string }> }): ReadonlySet<string> {
  return new Set([...desired.accounts.map((a) => a.username), ...desired.removed.map((r) => r.username)]);
}

/** What a list-file change carries from plan to apply. */
export interface ListFileChangeData {
  readonly path: string;
  readonly content: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The one change that brings a list file to `wanted`, or null when it is
 * already there. `ensureExists` creates the file even when empty: an absent
 * cron.allow allows everyone, so allow mode must never leave it absent.
 */
export function listFileChange(
  target: string,
  path: string,
  observed: string | null,
  managed: ReadonlySet<string>,
  wanted: readonly string[],
  options: {
    readonly ensureExists?: boolean;
    readonly what: string;
    /**
     * Set for an allow list planned for some accounts only (DesiredHost.scope):
     * `managed` then holds just those, so a name coming back (an unfreeze)
     * cannot be put where it was among the other accounts' lines, and the
     * whole host is planned instead. A deny list needs no such care: the name
     * a freeze adds is the one its unfreeze takes out.
     */
    readonly scopedAllowList?: boolean;
  },
): Change | null {
  let content = mergeUserList(observed, managed, wanted);
  if (options.scopedAllowList === true && content !== null && observed !== null && returning(observed, managed, wanted)) {
    throw new WholeHostNeeded(target, `a name returns to ${path}, and where it goes depends on the other accounts' lines`);
  }
  if (content === null && options.ensureExists === true) content = '';
  if (content === null || content === observed) return null;
  const before = new Set(listedNames(observed, managed));
  const after = new Set(listedNames(content, managed));
  const added = [...after].filter((n) => !before.has(n));
  const removed = [...before].filter((n) => !after.has(n));
  const parts = [added.length > 0 ? `add ${added.join(', ')}` : '', removed.length > 0 ? `remove ${removed.join(', ')}` : ''].filter((p) => p !== '');
  const data: ListFileChangeData = { path, content, added, removed };
  return {
    target,
    action: observed === null ? 'create' : 'update',
    subject: `file:${path}`,
    summary: `${path} (${options.what}): ${parts.length > 0 ? parts.join('; ') : observed === null ? 'create it empty' : 'tidy duplicate lines'}`,
    destructive: false,
    data,
  };
}

/** Whether a wanted name is missing from a file that holds lines other than the managed names (so its place among them matters). */
function returning(observed: string, managed: ReadonlySet<string>, wanted: readonly string[]): boolean {
  const lines = observed.split('\n').map((l) => l.trim());
  const present = new Set(lines);
  return wanted.some((n) => !present.has(n)) && lines.some((l) => l !== '' && !managed.has(l));
}

function listedNames(text: string | null, managed: ReadonlySet<string>): string[] {
  if (text === null) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => managed.has(n));
}

/** Applies list-file changes: each is one atomic rewrite (mode 0644 for a new file: crontab and pam_listfile read it as the user). */
export async function applyListFileChanges(root: string, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
  const results: ChangeResult[] = [];
  for (const change of changes) {
    const data = change.data as ListFileChangeData;
    try {
      await writeFileAtomic(rootedPath(root, data.path), data.content, { mode: 0o644 });
      results.push({ change, ok: true, detail: { added: data.added, removed: data.removed } });
    } catch (e) {
      results.push({ change, ok: false, error: `${data.path}: ${errorMessage(e)}` });
    }
  }
  return results;
}
