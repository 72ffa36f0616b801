/**
 * `roster watch` (BENCH_ONLY=watch): one turn of the built command, whole
 * (start, snapshot, compare, exit), over a copy of this machine's real /etc
 * with nothing changed. Target ≤ 200 ms. The command is dist/roster, as the
 * package installs it (from the V8 startup snapshot); the same turn without
 * the snapshot (`node dist/roster.mjs`) is timed in the same run, turn for
 * turn, for the ratio. Beside it, in the same run on the
 * same tree, what etckeeper does at each check: `git add -A && git status`
 * (the repository kept outside the tree, so neither sees the other's files).
 */
import { constants } from 'node:fs';
import { access, cp, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WatchStore } from '../src/agent/watch/watch-store.js';
import { watchTurn } from '../src/agent/watch/watch-turn.js';
import { defaultWatchSettings } from '../src/config/watch-settings.js';
import { systemClock } from '../src/domain/clock.js';
import { mustRun, runProgram, seconds } from './bench-process.js';
import { median, type Report } from './unix-bench.js';

const ROSTER = resolve(import.meta.dirname, '../dist/roster');
const WITHOUT_SNAPSHOT = [process.execPath, resolve(import.meta.dirname, '../dist/roster.mjs')] as const;
const RUNS = Number(process.env.BENCH_WATCH_RUNS ?? 15);

type Reported = (what: string, figure: string) => void;

async function timed(runs: number, fn: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(seconds(start));
  }
  return times;
}

export async function benchWatch(dir: string, report: Report, reported: Reported): Promise<void> {
  const base = await mkdtemp(join(dir, 'watch-'));
  try {
    const root = join(base, 'root');
    await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
    // A copy of the real /etc; what cannot be read or copied (a socket, a file only another user may read) is left out.
    let skipped = 0;
    await cp('/etc', join(root, 'etc'), {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
      errorOnExist: false,
      filter: async (src) => {
        try {
          const st = await lstat(src);
          if (st.isFile()) await access(src, constants.R_OK);
          if (st.isFile() || st.isDirectory() || st.isSymbolicLink()) return true;
          skipped++;
          return false;
        } catch {
          skipped++;
          return false;
        }
      },
    });
    await writeFile(join(root, 'var/lib/dpkg/status'), await readFile('/var/lib/dpkg/status').catch(() => Buffer.alloc(0)));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, TZ: 'UTC' };
    const watch = async ([file, ...before]: readonly string[] = [ROSTER]): Promise<string> => {
      const r = await runProgram(file ?? ROSTER, [...before, 'watch', '--root', root, '--json'], { env, cwd: base });
      if (r.code !== 0) throw new Error(`roster watch: exit ${r.code}: ${r.stderr.slice(-500)}`);
      return r.stdout;
    };
    const first = JSON.parse(await watch()) as { entries: number; hashed: number; outcome: string };
    if (first.outcome !== 'initial') throw new Error(`the first turn was ${first.outcome}, not initial`);
    // Files copied a moment ago are too recent to trust their stat (git's racy case): one turn later they are cached.
    await sleep(2_500);
    await watch();
    const last = JSON.parse(await watch()) as { outcome: string; hashed: number };
    if (last.outcome !== 'unchanged' || last.hashed !== 0) throw new Error(`a turn with nothing changed was ${last.outcome} and read ${last.hashed} file(s)`);
    const ours: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(...(await timed(1, async () => {
        await watch();
      })));
      without.push(...(await timed(1, async () => {
        await watch(WITHOUT_SNAPSHOT);
      })));
    }

    // The same turn in this process: the part of the figure that is the snapshot, not starting node and the bundle.
    const ws = new WatchStore(root);
    const ctx = { root, host: null, settings: defaultWatchSettings(), clock: systemClock, changelog: () => Promise.resolve([]) };
    const inProcess = await timed(RUNS, async () => {
      const r = await watchTurn(ws, ctx);
      if (r.outcome !== 'unchanged') throw new Error(`an in-process turn was ${r.outcome}`);
    });

    // etckeeper's check on the same tree: the repository outside it, its first commit untimed.
    const git = ['git', `--git-dir=${join(base, 'etc.git')}`, `--work-tree=${join(root, 'etc')}`];
    await mustRun(git[0] ?? 'git', [...git.slice(1), 'init', '--quiet']);
    await mustRun(git[0] ?? 'git', [...git.slice(1), 'add', '-A']);
    await mustRun(git[0] ?? 'git', [...git.slice(1), '-c', 'user.name=bench', '-c', 'user.email=bench@example.org', 'commit', '--quiet', '-m', 'baseline']);
    const gitCheck = `${git.join(' ')} add -A && ${git.join(' ')} status --porcelain`;
    const theirs = await timed(RUNS, async () => {
      const r = await runProgram('sh', ['-c', gitCheck], { env });
      if (r.code !== 0 || r.stdout.trim() !== '') throw new Error(`git add -A && git status: exit ${r.code}, ${r.stdout.slice(0, 200)}${r.stderr.slice(-300)}`);
    });

    // Node starting and exiting with nothing to do: the floor under any command of this machine at this moment.
    const node = median(await timed(RUNS, async () => {
      await mustRun(process.execPath, ['-e', '0']);
    }));
    const m = median(ours);
    const g = median(theirs);
    process.stdout.write(
      `watch: a copy of /etc, ${first.entries.toLocaleString('en')} entries (${first.hashed.toLocaleString('en')} files read at the first turn${skipped > 0 ? `; ${skipped} not copied` : ''}): roster watch ${(m * 1000).toFixed(0)} ms whole command (median of ${RUNS}; without the startup snapshot ${(median(without) * 1000).toFixed(0)} ms, ${(m / median(without)).toFixed(2)}x; the turn itself ${(median(inProcess) * 1000).toFixed(1)} ms in-process, node -e 0 ${(node * 1000).toFixed(0)} ms) vs git add -A && git status ${(g * 1000).toFixed(0)} ms = ${(m / g).toFixed(2)}x git\n`,
    );
    report(`watch: one roster watch turn over a copy of /etc (${first.entries.toLocaleString('en')} entries), nothing changed, whole command (median of ${RUNS})`, m, 0.2, 'ms');
    reported(`watch: the same against etckeeper's git add -A && git status on the same tree`, `${(m / g).toFixed(2)}x git (${(g * 1000).toFixed(0)} ms)`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}
