import type { PackageChanges } from './dpkg-status.js';
import type { Explanation, FileChange, WatchReport } from './watch-report.js';

/** `2026-03-02 09:05Z`: how times read when no zone is given. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

type TimeFormat = (iso: string) => string;

function explanation(e: Explanation, time: TimeFormat): string {
  if (e.kind === 'apply') return `roster apply ${time(e.at)} by ${e.by}`;
  if (e.kind === 'apt') return `apt ${time(e.at)} by ${e.by}: ${e.text ?? ''}`;
  return `changelog ${time(e.at)} by ${e.by}`;
}

const LETTER: Readonly<Record<FileChange['change'], string>> = { added: 'A', removed: 'D', modified: 'M' };

function fileLine(f: FileChange, time: TimeFormat): string[] {
  const notes = [
    ...(f.package === undefined ? [] : [`package ${f.package}`]),
    ...(f.withheld === 'secret' ? ['secret: no content kept'] : f.withheld === 'large' ? ['large: no content kept'] : f.withheld === 'unreadable' ? ['unreadable'] : []),
    ...(f.change === 'modified' && !f.content ? ['metadata only'] : []),
  ];
  const why = f.unexplained ? 'UNEXPLAINED' : f.explainedBy.map((e) => explanation(e, time)).join('; ');
  const lines = [`  ${LETTER[f.change]} ${f.path}${notes.length === 0 ? '' : ` (${notes.join(', ')})`}${why === '' ? '' : ` -- ${why}`}`];
  const a = f.before;
  const b = f.after;
  if (a !== null && b !== null) {
    if (a.type !== b.type) lines.push(`      type ${a.type} -> ${b.type}`);
    if (a.mode !== b.mode) lines.push(`      mode ${a.mode} -> ${b.mode}`);
    if (a.owner !== b.owner || a.group !== b.group) lines.push(`      owner ${a.owner}:${a.group} -> ${b.owner}:${b.group}`);
    if (a.target !== b.target) lines.push(`      symlink ${a.target ?? '-'} -> ${b.target ?? '-'}`);
  } else if (b?.type === 'symlink') lines.push(`      symlink -> ${b.target ?? '-'}`);
  return lines;
}

function packageLines(p: PackageChanges, indent: string): string[] {
  return [
    ...p.installed.map((x) => `${indent}installed ${x.name} ${x.version}`),
    ...p.upgraded.map((x) => `${indent}upgraded ${x.name} ${x.from} -> ${x.to}`),
    ...p.downgraded.map((x) => `${indent}downgraded ${x.name} ${x.from} -> ${x.to}`),
    ...p.removed.map((x) => `${indent}${x.purged ? 'purged' : 'removed'} ${x.name} ${x.version}`),
  ];
}

/** One line: what the report holds. */
export function reportSummary(r: WatchReport): string {
  const parts = [`${r.counts.files} file(s) changed`];
  if (r.counts.unexplained > 0) parts.push(`${r.counts.unexplained} unexplained`);
  if (r.counts.packages > 0) parts.push(`${r.counts.packages} package change(s)`);
  if (r.counts.changelog > 0) parts.push(`${r.counts.changelog} changelog entr${r.counts.changelog === 1 ? 'y' : 'ies'}`);
  return parts.join(', ');
}

/**
 * The report as text, for the admin mail and `roster watch reports`: the
 * changelog, the files with what explains each (or UNEXPLAINED), the
 * packages, Roster's applies. Never any content: the diffs stay on the host.
 */
export function formatWatchReport(r: WatchReport, time: TimeFormat = utcMinute, options: { readonly maxFiles?: number } = {}): string {
  const lines = [`Changes on ${r.host ?? 'this host'} from ${time(r.from)} to ${time(r.to)} (last change seen ${time(r.lastChangeAt)}); watched: ${r.dirs.join(', ')}.`, ''];
  if (r.counts.unexplained > 0) lines.push(`${r.counts.unexplained} changed file(s) that no changelog entry, apt run or Roster apply explains are marked UNEXPLAINED.`, '');
  lines.push(`Changelog (${r.changelog.length}):`);
  if (r.changelog.length === 0) lines.push('  (no entries)');
  for (const e of r.changelog) {
    const [first = '', ...rest] = e.text.split('\n');
    lines.push(`  ${time(e.at)}  ${e.author}${e.source === 'apply' ? ' (roster apply)' : ''}: ${first}`, ...rest.map((l) => `      ${l}`));
  }
  lines.push('', `Files (${r.files.length}: ${r.counts.added} added, ${r.counts.removed} removed, ${r.counts.modified} modified):`);
  if (r.files.length === 0) lines.push('  (none)');
  // A dist-upgrade changes thousands of files: the unexplained ones are always listed, the others up to maxFiles.
  const max = options.maxFiles ?? Number.POSITIVE_INFINITY;
  const shown = r.files.length <= max ? r.files : r.files.filter((f, i) => f.unexplained || i < max);
  for (const f of shown) lines.push(...fileLine(f, time));
  if (shown.length < r.files.length) lines.push(`  ... and ${r.files.length - shown.length} more, explained (roster watch reports ${r.id} on the host lists them all)`);
  const pkgs = packageLines(r.packages, '  ');
  lines.push('', `Packages (${r.counts.packages}):`, ...(pkgs.length === 0 ? ['  (no changes)'] : pkgs));
  if (r.packages.configChanged.length > 0) lines.push(`  with configuration changes: ${r.packages.configChanged.join(', ')}`);
  for (const op of r.packages.operations) {
    const who = op.command === null ? (op.unexplained ? 'seen by a watch turn, UNEXPLAINED' : `seen by a watch turn -- ${op.explainedBy.map((e) => explanation(e, time)).join('; ')}`) : `${op.command} (by ${op.user ?? '?'})`;
    lines.push(`  ${time(op.at)}: ${who}`);
  }
  if (r.applies.length > 0) {
    lines.push('', `Roster applies (${r.applies.length}):`);
    for (const a of r.applies) lines.push(`  ${time(a.at)} by ${a.actor}: ${a.changes} change(s), ${a.files} file(s)`);
  }
  lines.push('', `The diffs stay on the host: roster watch diff ${r.id} [FILE]`);
  return `${lines.join('\n')}\n`;
}
