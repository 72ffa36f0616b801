import type { Command } from 'commander';
import { aptInvocation, aptPost, aptPre, type AptHookResult } from '../agent/watch/apt-hook.js';
import { deliverWatchReports } from '../agent/watch/deliver-watch-reports.js';
import { formatWatchReport, reportSummary } from '../agent/watch/format-watch-report.js';
import { lockedTurn, watchLockPath, type BusyTurn } from '../agent/watch/host-watch.js';
import { releaseLock, takeLock } from '../agent/watch/watch-lock.js';
import { hostWatchChangelog } from '../agent/watch/host-watch-changelog.js';
import { pruneWatch } from '../agent/watch/prune-watch.js';
import { localReport, watchDiff } from '../agent/watch/watch-diff.js';
import { readKeptWatchSettings } from '../agent/watch/watch-settings-file.js';
import { WatchStore } from '../agent/watch/watch-store.js';
import type { TurnResult, WatchContext } from '../agent/watch/watch-turn.js';
import { findConfigPath } from '../config/find-config.js';
import type { LoadedConfig } from '../config/load-config.js';
import { defaultWatchSettings } from '../config/watch-settings.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import type { WatchChangelogEntry } from '../agent/watch/watch-report.js';
import { clockFor, globalsOf, outputFor, type GlobalOptions } from './global-options.js';
import { parseSeconds } from './parse-seconds.js';

/*
 * A turn runs every five minutes and at every apt run: this module loads
 * only what watching needs (the CLI builds a program of the watch commands
 * alone, src/cli/main.ts). roster.yaml, the store and the targets are
 * imported when a command needs them: with --host on the server's machine.
 */

interface WatchOptions {
  readonly root: string;
  readonly host?: string;
}

/** roster.yaml when one is named or found; null on a host without one (an agent's host). */
async function optionalConfig(opts: GlobalOptions, env: NodeJS.ProcessEnv): Promise<LoadedConfig | null> {
  let path: string;
  try {
    path = findConfigPath({ flag: opts.config, env, cwd: process.cwd() });
  } catch {
    return null;
  }
  const [{ loadConfig }, { targetRegistry }] = await Promise.all([import('../config/load-config.js'), import('../targets/registry.js')]);
  return loadConfig(path, { targets: targetRegistry });
}

interface WatchSetup {
  readonly ctx: WatchContext;
  /** Set when the host is in a roster.yaml found here: reports then go into its store. */
  readonly loaded: LoadedConfig | null;
  /** Where the settings came from, for the output. */
  readonly settingsFrom: string;
  /** Watching is off for this host: no turn (the timer and the apt hooks do nothing). */
  readonly off: boolean;
}

/**
 * What a watch command works on: the root, and the settings of the host —
 * `hosts.<h>.watch` of roster.yaml when `--host` names a host there (on the
 * server's machine), else those the agent kept from the server, else the
 * defaults (/etc, 60 quiet minutes, 3 days).
 */
async function watchSetup(o: WatchOptions, cmd: Command): Promise<WatchSetup> {
  const opts = globalsOf(cmd);
  const root = await resolveRoot(o.root);
  const loaded = o.host === undefined ? null : await optionalConfig(opts, process.env);
  const kept = readKeptWatchSettings(root);
  let host = o.host ?? kept?.host ?? null;
  let settings = defaultWatchSettings();
  let settingsFrom = 'defaults';
  // Watching turned off: the host's roster.yaml entry has no watch, or the server said so to the agent (kept as null).
  let off = false;
  if (loaded !== null && o.host !== undefined) {
    const h = loaded.config.hosts[o.host];
    if (h === undefined) throw new RosterError('usage', `--host ${o.host}: no such host in ${loaded.path} (${Object.keys(loaded.config.hosts).join(', ') || 'none declared'})`, [{ where: '--host', message: 'unknown host' }]);
    if (h.watch !== undefined) {
      settings = h.watch as typeof settings;
      settingsFrom = `${loaded.path} hosts.${o.host}.watch`;
    }    else off = true;
  } else if (kept !== null && (o.host === undefined || o.host === kept.host)) {
    if (kept.settings === null) off = true;
    else settings = kept.settings;
    settingsFrom = `the settings the agent kept (${kept.fetchedAt})`;
    host = kept.host;
  }
  const timeZone = loaded?.config.timeZone ?? process.env.TZ ?? 'UTC';
  const fromStore = loaded !== null && o.host !== undefined ? storeChangelog(opts, loaded, o.host) : null;
  let entries: Promise<readonly WatchChangelogEntry[]> | null = null;
  // Read once per command: a turn that reports asks twice.
  const changelog = (): Promise<readonly WatchChangelogEntry[]> => (entries ??= Promise.all([hostWatchChangelog(root), fromStore?.() ?? []]).then(([a, b]) => mergeEntries(a, b)));
  return { ctx: { root, host, settings, clock: clockFor(opts, process.env, timeZone === '' ? 'UTC' : timeZone), changelog }, loaded: o.host === undefined ? null : loaded, settingsFrom, off };
}

/**
 * On the server's machine the host's changelog is in the store (roster
 * changelog add writes it there); an agent copies it into the host's
 * /root/changelog, which is read besides.
 */
function storeChangelog(opts: GlobalOptions, loaded: LoadedConfig, host: string): () => Promise<readonly WatchChangelogEntry[]> {
  return async () => {
    const [{ openStore }, { databaseFor }] = await Promise.all([import('../store/open-store.js'), import('./cli-context.js')]);
    const store = await openStore(databaseFor(opts, process.env, loaded));
    try {
      return (await store.read.listChangelog({ host })).map((e) => ({ at: e.at, author: e.author, text: e.text, source: e.source }));
    } finally {
      await store.close();
    }
  };
}

function mergeEntries(a: readonly WatchChangelogEntry[], b: readonly WatchChangelogEntry[]): WatchChangelogEntry[] {
  const key = (e: WatchChangelogEntry): string => `${new Date(e.at).toISOString().slice(0, 16)}\n${e.author}\n${e.text}`;
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((e) => !seen.has(key(e)))].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
}

function describeTurn(r: TurnResult | BusyTurn, root: string): string {
  if (r.outcome === 'busy') return `watch ${root}: busy (the watch lock is held by pid ${r.holder ?? '?'}: an apply, an apt run or another turn); the next turn sees the same changes`;
  const where = `watch ${root}: ${r.entries} entries, ${r.hashed} read`;
  switch (r.outcome) {
    case 'initial':
      return `${where}; first snapshot ${r.head} taken: the starting point of the first report`;
    case 'changed':
      return `${where}; changed: snapshot ${r.head} (unstable); reported at ${r.quietUntil ?? '?'} if nothing changes until then`;
    case 'unchanged':
      return `${where}; nothing changed (${r.head} ${r.state}${r.quietUntil === null ? '' : `, reported at ${r.quietUntil}`})`;
    case 'report':
      return `${where}; quiet since ${r.report?.lastChangeAt ?? '?'}: ${r.head} is testing; report ${r.report?.id ?? '?'}: ${r.report === null ? '' : reportSummary(r.report)}`;
    case 'testing':
      return `${where}; ${r.head} is testing; nothing to report (the changes were undone)`;
    case 'stable':
      return `${where}; ${r.head} is stable`;
  }
}

/** `roster watch …` (seed GlobeNet, after metche and etckeeper). */
export function registerWatchCommands(program: Command): void {
  const watch = program
    .command('watch')
    .description(
      'change watch on this host (metche-style): snapshots of the watched directories (default /etc; hosts.<h>.watch), reports after a quiet period of files, packages and changelog entries with unexplained changes flagged; diffs stay on the host',
    );

  watch
    .command('run', { isDefault: true })
    .description('one watch turn (what `roster watch` alone does; a systemd timer or the agent runs it every 5 minutes): snapshot, states, and a report when a change stayed quiet long enough')
    .option('--root <dir>', 'root prefix the host lives under, like useradd -R', '/')
    .option('--host <host>', "this host as named in roster.yaml: its hosts.<h>.watch settings, and with roster.yaml's store here, reports go into it")
    .action(async (o: WatchOptions, cmd: Command) => {
      const out = outputFor(globalsOf(cmd));
      const setup = await watchSetup(o, cmd);
      if (setup.off) {
        out.print({ outcome: 'off', settings: setup.settingsFrom }, () => `watching is off for this host (${setup.settingsFrom}): no turn taken`);
        return;
      }
      const result = await lockedTurn(setup.ctx);
      const delivery: { done: { sent: number; waiting: number } | null } = { done: null };
      // On the server's machine (the host in its roster.yaml): reports go into the store, and the admin mail out.
      if (setup.loaded !== null && setup.ctx.host !== null && new WatchStore(setup.ctx.root).readState().reports.some((r) => !r.delivered)) {
        const host = setup.ctx.host;
        const [{ withContext }, { recordWatchReport }] = await Promise.all([import('./command-runner.js'), import('../app/watch-reports.js')]);
        await withContext(cmd, async (ctx) => {
          const d = await deliverWatchReports(
            setup.ctx.root,
            async (report) => {
              await recordWatchReport(ctx, host, report);
            },
            { warn: (m) => out.note(`warning: ${m}`) },
          );
          if (d.error !== null) throw d.error;
          delivery.done = { sent: d.sent, waiting: d.waiting };
        });
      }
      out.print({ ...result, settings: setup.settingsFrom, delivered: delivery.done }, () => describeTurn(result, setup.ctx.root));
      if (result.outcome !== 'busy' && result.report !== null && delivery.done === null) out.note(`report ${result.report.id} is kept in ${new WatchStore(setup.ctx.root).dir}; the agent sends it to the server`);
      if (result.outcome !== 'busy') for (const p of result.problems.slice(0, 20)) out.note(`warning: ${p.path}: ${p.message}`);
    });

  watch
    .command('reports')
    .argument('[report]', 'one report, shown whole')
    .description('the reports kept on this host, newest last (with REPORT: that report, as mailed)')
    .option('--root <dir>', 'root prefix the host lives under', '/')
    .action(async (id: string | undefined, o: WatchOptions, cmd: Command) => {
      const out = outputFor(globalsOf(cmd));
      const root = await resolveRoot(o.root);
      if (id !== undefined) {
        const report = localReport(root, id);
        out.print(report, () => formatWatchReport(report));
        return;
      }
      const ws = new WatchStore(root);
      const list = ws.exists()
        ? ws.readState().reports.flatMap((m) => {
            const r = localReport(root, m.id);
            return [{ id: m.id, madeAt: m.madeAt, delivered: m.delivered, counts: r.counts, summary: reportSummary(r) }];
          })
        : [];
      out.print({ reports: list }, () => (list.length === 0 ? 'no reports kept on this host' : list.map((r) => `${r.id}  ${r.madeAt}  ${r.summary}${r.delivered ? '' : '  (not sent yet)'}`).join('\n')));
    });

  watch
    .command('diff')
    .argument('<report>', 'a report id (roster watch reports lists them)')
    .argument('[file]', 'only this file, e.g. /etc/nginx/nginx.conf')
    .description('the unified diffs of a report, from the snapshots kept on this host (they never leave it; secrets have none)')
    .option('--root <dir>', 'root prefix the host lives under', '/')
    .action(async (id: string, file: string | undefined, o: WatchOptions, cmd: Command) => {
      const out = outputFor(globalsOf(cmd));
      const diffs = await watchDiff(await resolveRoot(o.root), id, file);
      out.print({ files: diffs }, () => diffs.map((d) => d.text).join(''));
    });

  watch
    .command('prune')
    .description('drop reports stable for longer than keepDays, and the snapshots and contents only they used (also done after each report)')
    .option('--root <dir>', 'root prefix the host lives under', '/')
    .option('--host <host>', 'this host as named in roster.yaml (its keepDays)')
    .action(async (o: WatchOptions, cmd: Command) => {
      const out = outputFor(globalsOf(cmd));
      const setup = await watchSetup(o, cmd);
      const ws = new WatchStore(setup.ctx.root);
      if (!ws.exists()) {
        out.print({ reports: 0, snapshots: 0, objects: 0 }, () => 'nothing to prune: roster watch never ran on this root');
        return;
      }
      const r = await lockedTurnless(ws, async () => {
        const result = pruneWatch(ws, ws.readState(), { now: setup.ctx.clock.now(), keepDays: setup.ctx.settings.keepDays });
        await ws.writeState(result.state);
        return result.pruned;
      });
      out.print(r, () => `pruned ${r.reports} report(s), ${r.snapshots} snapshot(s), ${r.objects} stored content(s)`);
    });

  for (const phase of ['pre', 'post'] as const) {
    watch
      .command(`apt-${phase}`)
      .description(
        phase === 'pre'
          ? 'for APT\'s DPkg::Pre-Invoke: record what changed until now and the apt command line and user; never fails nor blocks apt (always exit 0)'
          : "for APT's DPkg::Post-Invoke: attribute what the apt run changed (files and packages) to it; never fails nor blocks apt (always exit 0)",
      )
      .option('--root <dir>', 'root prefix the host lives under', '/')
      .option('--timeout <seconds>', 'give up after this long, whatever is left undone', '30')
      .action(async (o: WatchOptions & { timeout: string }, cmd: Command) => {
        // Nothing here may fail apt: every problem is a warning, the exit status 0, and the time bounded.
        let limitMs = 30_000;
        try {
          limitMs = parseSeconds(o.timeout, '--timeout', { positive: true });
        } catch {
          // The default.
        }
        const timer = setTimeout(() => {
          process.stderr.write(`roster watch apt-${phase}: gave up after ${limitMs / 1000} s\n`);
          process.exit(0);
        }, limitMs);
        timer.unref();
        try {
          const setup = await watchSetup({ root: o.root }, cmd);
          if (setup.off) return;
          const invocation = aptInvocation(process.env);
          const waitMs = Math.max(0, limitMs - 5_000);
          const r: AptHookResult = phase === 'pre' ? await aptPre(setup.ctx, invocation, waitMs) : await aptPost(setup.ctx, invocation, waitMs);
          if (r.outcome === 'busy') process.stderr.write(`roster watch apt-${phase}: the watch lock is held by pid ${r.holder ?? '?'}; not recorded\n`);
          if (globalsOf(cmd).json === true) process.stdout.write(`${JSON.stringify({ ...r, invocation })}\n`);
        } catch (e) {
          process.stderr.write(`roster watch apt-${phase}: ${errorMessage(e)} (apt goes on)\n`);
        } finally {
          clearTimeout(timer);
          process.exitCode = 0;
        }
      });
  }
}

/** Runs `fn` under the watch lock (prune rewrites the state a turn also writes). */
async function lockedTurnless<T>(ws: WatchStore, fn: () => Promise<T>): Promise<T> {
  const path = watchLockPath(ws);
  if (!(await takeLock(path, process.pid, 10_000))) throw new RosterError('lock_timeout', `${path} is held by another watch turn, an apply or an apt run; try again`);
  try {
    return await fn();
  } finally {
    releaseLock(path, process.pid);
  }
}
