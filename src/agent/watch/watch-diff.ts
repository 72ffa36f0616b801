import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import { RosterError } from '../../domain/errors.js';
import { commandProblem, runCommand } from '../../system/run-command.js';
import { entryMap, type TreeEntry } from './tree-entry.js';
import type { FileChange, WatchReport } from './watch-report.js';
import { WatchStore } from './watch-store.js';

export interface FileDiff {
  readonly path: string;
  /** `diff`: a unified diff; otherwise why there is none. */
  readonly status: 'diff' | 'metadata' | 'secret' | 'large' | 'unreadable' | 'missing';
  /** The unified diff (`diff -u`), with the mode, owner and symlink lines before it. */
  readonly text: string;
}

/** A kept report by its id, or a not_found naming the command that lists them. */
export function localReport(root: string, id: string): WatchReport {
  const report = new WatchStore(root).readReport(id) as WatchReport | null;
  if (report === null) throw new RosterError('not_found', `no report ${id} is kept on this host (roster watch reports lists them)`, [{ where: 'REPORT', message: 'unknown report' }]);
  return report;
}

function metaLines(f: FileChange): string[] {
  const lines: string[] = [];
  const a = f.before;
  const b = f.after;
  if (a === null || b === null) return lines;
  if (a.type !== b.type) lines.push(`type ${a.type} -> ${b.type}`);
  if (a.mode !== b.mode) lines.push(`mode ${a.mode} -> ${b.mode}`);
  if (a.owner !== b.owner) lines.push(`owner ${a.owner} -> ${b.owner}`);
  if (a.group !== b.group) lines.push(`group ${a.group} -> ${b.group}`);
  if (a.target !== b.target) lines.push(`symlink ${a.target ?? '(none)'} -> ${b.target ?? '(none)'}`);
  return lines;
}

/**
 * The diffs of a report, made on the host from the snapshots it compares
 * (they never leave it: config holds secrets). Contents are written from
 * the object store into a private temp directory and compared with
 * `diff -u`; secrets have no content to compare, large and unreadable files
 * none kept.
 */
export async function watchDiff(root: string, id: string, only?: string): Promise<FileDiff[]> {
  const report = localReport(root, id);
  const files = only === undefined ? report.files : report.files.filter((f) => f.path === only);
  if (only !== undefined && files.length === 0) {
    throw new RosterError('not_found', `report ${id} lists no change of ${only} (it lists ${report.files.length} file(s))`, [{ where: 'FILE', message: 'not in the report' }]);
  }
  const ws = new WatchStore(root);
  let before: Map<string, TreeEntry>;
  let after: Map<string, TreeEntry>;
  try {
    before = entryMap(ws.readSnapshot(report.baseline).entries);
    after = entryMap(ws.readSnapshot(report.head).entries);
  } catch (e) {
    if (e instanceof RosterError && e.code === 'not_found') throw new RosterError('not_found', `the snapshots of report ${id} were pruned: no diff is kept any more`);
    throw e;
  }
  const dir = await mkdtemp(posix.join(tmpdir(), 'roster-watch-diff-'));
  try {
    const out: FileDiff[] = [];
    for (const [i, f] of files.entries()) {
      const header = [`--- ${f.path} (${f.change})`, ...metaLines(f)];
      const withheld = f.withheld ?? (before.get(f.path) ?? after.get(f.path))?.withheld;
      if (!f.content || (f.before?.type !== 'file' && f.after?.type !== 'file')) {
        out.push({ path: f.path, status: 'metadata', text: `${header.join('\n')}\n` });
        continue;
      }
      if (withheld !== undefined) {
        const why = withheld === 'secret' ? 'a secret: its content is never kept, so there is no diff' : withheld === 'large' ? 'larger than maxFileBytes: its content is not kept' : 'it could not be read when the snapshot was taken';
        out.push({ path: f.path, status: withheld, text: `${[...header, `(${why})`].join('\n')}\n` });
        continue;
      }
      const side = async (entry: TreeEntry | undefined, name: string): Promise<string | null> => {
        if (entry === undefined || entry.type !== 'file') return '/dev/null';
        const content = entry.hash === null ? null : ws.objects.get(entry.hash);
        if (content === null) return null;
        const path = posix.join(dir, `${i}.${name}`);
        await writeFile(path, content, { mode: 0o600 });
        return path;
      };
      const a = await side(before.get(f.path), 'a');
      const b = await side(after.get(f.path), 'b');
      if (a === null || b === null) {
        out.push({ path: f.path, status: 'missing', text: `${[...header, '(the content of a side is no longer kept)'].join('\n')}\n` });
        continue;
      }
      const argv = ['diff', '-u', '--label', `a${f.path}`, '--label', `b${f.path}`, a, b];
      const r = await runCommand(argv);
      if (r.code !== 0 && r.code !== 1) throw new RosterError('unavailable', `cannot compare ${f.path}: ${commandProblem(argv, r)}`);
      out.push({ path: f.path, status: 'diff', text: `${header.slice(1).map((l) => `${l}\n`).join('')}${r.stdout}` });
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
