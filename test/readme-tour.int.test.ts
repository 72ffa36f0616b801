import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingLine, sectionShellBlocks, tourSteps, type TourStep } from './readme-tour.js';

const REPO = resolve(import.meta.dirname, '..');
const README = join(REPO, 'README.md');
const TOUR = '## A ten-minute tour';
/** Where the tour works; each run puts it in a fresh temp directory instead. */
const TOUR_DIR = '/tmp/coop';
/**
 * The tour's first command builds this checkout, which `npm test` has just
 * done (CI runs it on a fresh clone); building again here would replace the
 * bundle under the other test files running now.
 */
const BUILD = 'npm ci && npm run build';

interface StepRun {
  readonly step: TourStep;
  readonly code: number;
  readonly output: string;
}

/** Runs the steps in one bash, as a person pasting the block would (the alias and `cd` carry over), and cuts the output per step. */
async function runTour(steps: readonly TourStep[], dir: string): Promise<StepRun[]> {
  const mark = '\u001eroster-tour';
  const script = ['shopt -s expand_aliases', `cd ${JSON.stringify(REPO)}`];
  steps.forEach((s, i) => script.push(`printf '\\n${mark} start ${i}\\n'`, s.command, `printf '\\n${mark} end ${i} %d\\n' "$?"`));
  const file = join(dir, 'tour.sh');
  await writeFile(file, `${script.join('\n')}\n`);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TZ: process.env.TZ ?? 'UTC', LANG: 'C.UTF-8' };
  const out = await new Promise<string>((done, fail) => {
    const child = execFile('bash', ['--noprofile', '--norc', file], { env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an ExecFileException is an Error; @types/node builds its type with Omit, which hides that
      if (error !== null && typeof error.code !== 'number') fail(error);
      else done(stdout);
    });
    child.stdin?.end();
  });
  return steps.map((step, i) => {
    const start = out.indexOf(`${mark} start ${i}\n`);
    const end = out.indexOf(`\n${mark} end ${i} `, start);
    if (start < 0 || end < 0) return { step, code: -1, output: 'the step did not run (the script stopped before it)' };
    const code = Number(/^(\d+)/.exec(out.slice(end + `\n${mark} end ${i} `.length))?.[1] ?? -1);
    return { step, code, output: out.slice(start + `${mark} start ${i}\n`.length, end) };
  });
}

describe('the README tour, run exactly as written', () => {
  let base: string;
  let runs: StepRun[];

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'roster-readme-'));
    const dir = join(base, 'coop');
    const steps = sectionShellBlocks(readFileSync(README, 'utf8'), TOUR)
      .flatMap((b) => tourSteps(b.text, b.line))
      .map((s) => ({ ...s, command: s.command.replaceAll(TOUR_DIR, dir), expected: s.expected.map((e) => e.replaceAll(TOUR_DIR, dir)) }));
    expect(steps[0]?.command.trim()).toBe(BUILD);
    expect(existsSync(join(REPO, 'dist/roster.mjs'))).toBe(true);
    // stderr joins stdout in each step, in the order it was written.
    runs = await runTour(
      steps.slice(1).map((s) => ({ ...s, command: `{ ${s.command}\n} 2>&1` })),
      base,
    );
  }, 300_000);

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('has a tour with commands and the output they print', () => {
    expect(runs.length).toBeGreaterThan(20);
    expect(runs.filter((r) => r.step.expected.length > 0).length).toBeGreaterThan(10);
  });

  it('every command exits as the README says and prints what it says', () => {
    const problems = runs.flatMap((r) => {
      const where = `README line ${r.step.line}: ${r.step.command.replace(/^\{ /, '').replace(/\n\} 2>&1$/, '').trim()}`;
      if (r.code !== r.step.exitCode) return [`${where}\n  exit ${r.code}, README says ${r.step.exitCode}\n${indent(r.output)}`];
      const missing = missingLine(r.step.expected, r.output);
      return missing === null ? [] : [`${where}\n  does not print (in order): ${missing}\n${indent(r.output)}`];
    });
    expect(problems.join('\n\n')).toBe('');
  });
});

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    | ${l}`)
    .join('\n');
}
