import type { UsageView } from '../app/usage.js';
import { byteSize } from '../domain/byte-size.js';

/** One figure a line; each account's figures end with its total when it has more than one. */
export function formatUsage(views: readonly UsageView[]): string {
  if (views.length === 0) return 'no usage measured (roster usage --measure --host HOST measures it)';
  // A fold, not Math.max(...): a spread of 100,000s of arguments overflows the stack.
  const width = (pick: (v: UsageView) => string): number => views.reduce((w, v) => Math.max(w, pick(v).length), 0);
  const [user, host, target, subject] = [width((v) => v.user), width((v) => v.host), width((v) => v.target), width((v) => v.subject)];
  const lines: string[] = [];
  let first = 0;
  views.forEach((v, i) => {
    lines.push(`${v.user.padEnd(user)}  ${v.host.padEnd(host)}  ${v.target.padEnd(target)}  ${v.subject.padEnd(subject)}  ${byteSize(v.bytes).padStart(10)}  ${v.measuredAt}`);
    // The views come by user, so an account's figures are views[first..i].
    if (views[i + 1]?.user === v.user) return;
    if (i > first) lines.push(`${v.user.padEnd(user)}  ${'total'.padEnd(host + target + subject + 4)}  ${byteSize(views.slice(first, i + 1).reduce((n, w) => n + w.bytes, 0)).padStart(10)}`);
    first = i + 1;
  });
  return lines.join('\n');
}
