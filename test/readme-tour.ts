/**
 * The README's tour as data, so a test can run it exactly as written.
 *
 * In the tour's ```sh blocks every line that is not blank and not a comment
 * is a command (a trailing `\` joins the next line). The lines right below a
 * command that start with `#> ` say what it prints: each must appear in its
 * output (stdout and stderr together), in that order, other lines may come
 * between; `…` stands for any text, and runs of spaces count as one.
 * `#> (exit N)` says the command exits N; without it, it must exit 0. They
 * are shell comments, so the block can still be pasted into a terminal.
 */
export interface TourStep {
  /** The command as written (continuation lines joined with a newline). */
  readonly command: string;
  /** README line number of the command, for failure messages. */
  readonly line: number;
  readonly expected: readonly string[];
  readonly exitCode: number;
}

const EXPECT = /^#>\s?(.*)$/;
const EXIT = /^\(exit (\d+)\)$/;

/** The ```sh blocks of the section whose heading is `heading` (up to the next heading of the same level). */
export function sectionShellBlocks(markdown: string, heading: string): Array<{ readonly line: number; readonly text: string }> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0] ?? '##';
  const blocks: Array<{ line: number; text: string }> = [];
  let open: { line: number; body: string[] } | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (open === null && new RegExp(`^${level} `).test(l)) break;
    if (open === null && l.trim() === '```sh') open = { line: i + 2, body: [] };
    else if (open !== null && l.trim() === '```') {
      blocks.push({ line: open.line, text: open.body.join('\n') });
      open = null;
    } else if (open !== null) open.body.push(l);
  }
  if (open !== null) throw new Error(`README line ${open.line - 1}: a shell block is not closed`);
  return blocks;
}

/** The steps of one shell block; `firstLine` is the README line number of its first line. */
export function tourSteps(block: string, firstLine: number): TourStep[] {
  const steps: Array<{ command: string; line: number; expected: string[]; exitCode: number }> = [];
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const t = raw.trim();
    const expect = EXPECT.exec(t);
    if (expect !== null) {
      const step = steps.at(-1);
      if (step === undefined) throw new Error(`README line ${firstLine + i}: expected output before any command`);
      const text = (expect[1] ?? '').trimEnd();
      const exit = EXIT.exec(text);
      if (exit !== null) step.exitCode = Number(exit[1]);
      else step.expected.push(text);
      continue;
    }
    if (t === '' || t.startsWith('#')) continue;
    const line = firstLine + i;
    let command = raw;
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[++i] ?? ''}`;
    steps.push({ command, line, expected: [], exitCode: 0 });
  }
  return steps;
}

function normalise(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An expected line as a matcher of one output line: `…` is any text, spaces are loose. */
export function lineMatcher(expected: string): RegExp {
  return new RegExp(`^${normalise(expected).split('…').map(escapeRegExp).join('.*')}$`);
}

/** The first expected line not found, in order, among the output lines; null when all are there. */
export function missingLine(expected: readonly string[], output: string): string | null {
  const lines = output.split('\n').map(normalise);
  let at = 0;
  for (const want of expected) {
    const m = lineMatcher(want);
    while (at < lines.length && !m.test(lines[at] ?? '')) at++;
    if (at >= lines.length) return want;
    at++;
  }
  return null;
}
