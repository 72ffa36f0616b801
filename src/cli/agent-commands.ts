import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Command } from 'commander';
import type { LogFields } from '../app/app-context.js';
import { agentCycle, type AgentSettings, type CycleResult } from '../agent/agent-cycle.js';
import { AgentStateFile, agentStatePath } from '../agent/agent-state.js';
import { AgentWatch } from '../agent/watch/agent-watch.js';
import { hostWatchChangelog } from '../agent/watch/host-watch-changelog.js';
import { runAgent } from '../agent/run-agent.js';
import { ServerClient } from '../agent/server-client.js';
import { systemClock } from '../domain/clock.js';
import { errorMessage, outcomeExit, RosterError } from '../domain/errors.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { targetRegistry } from '../targets/registry.js';
import { globalsOf, outputFor } from './command-runner.js';
import { logFormat } from './log-format.js';
import { parseSeconds } from './parse-seconds.js';

interface AgentCliOptions {
  readonly server: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly host: string;
  readonly root: string;
  readonly stateDir?: string;
  readonly once?: boolean;
  readonly interval: string;
  readonly driftInterval: string;
  readonly maxBackoff: string;
  readonly lockTimeout: string;
  readonly allowMassChange?: boolean;
  readonly usage: boolean;
  readonly usageInterval: string;
  readonly changelog: boolean;
  readonly watch: boolean;
  readonly watchInterval: string;
}

const seconds = (text: string, flag: string): number => parseSeconds(text, flag, { positive: true });

/** The token from --token-file, $ROSTER_AGENT_TOKEN or --token (visible in ps; for trying things out). */
async function agentToken(o: AgentCliOptions, env: NodeJS.ProcessEnv): Promise<string> {
  let token: string | undefined;
  if (o.tokenFile !== undefined) {
    try {
      token = (await readFile(o.tokenFile, 'utf8')).trim();
    } catch (e) {
      throw new RosterError('usage', `--token-file ${o.tokenFile}: ${errorMessage(e)}`, [{ where: '--token-file', message: 'unreadable' }]);
    }
  } else token = env.ROSTER_AGENT_TOKEN ?? o.token;
  if (token === undefined || token === '') throw new RosterError('usage', 'the agent needs a token: --token-file FILE, $ROSTER_AGENT_TOKEN or --token T (roster token create --role agent --host H)', [{ where: '--token', message: 'missing' }]);
  if (/\s/.test(token)) throw new RosterError('usage', 'the agent token must not contain white space', [{ where: '--token', message: 'malformed' }]);
  return token;
}

function describe(host: string, r: CycleResult): string {
  const where = r.reached ? (r.changed ? `new revision ${r.revision ?? '?'}` : `revision ${r.revision ?? '?'} unchanged`) : `server not reached (${r.serverError?.message ?? '?'}); using revision ${r.revision ?? '?'} kept on disk`;
  const did = r.applyError !== null ? `applied nothing: ${r.applyError.message}` : r.applied === null ? 'nothing to apply' : `${r.applied.applied} applied, ${r.applied.failed} failed, ${r.applied.skipped} skipped${r.applied.drift > 0 ? `, ${r.applied.drift} drifted` : ''}${r.scope === null ? '' : ` (for ${r.scope.length} account(s) only)`}`;
  const usage = r.usage === null ? '' : `; usage: ${r.usage.figures} figure(s) of ${r.usage.targets} target(s) ${r.usage.sent ? 'sent' : 'not sent'}${r.usage.failed > 0 ? `, ${r.usage.failed} target(s) failed to measure` : ''}`;
  return `host ${host}: ${where}; ${did}${r.pendingReports > 0 ? `; ${r.pendingReports} report(s) waiting for the server` : ''}${usage}${changelogNote(r)}${watchNote(r)}`;
}

/** What the watch turn did, when it did something worth saying. */
function watchNote(r: CycleResult): string {
  const w = r.watch;
  if (w === null) return '';
  const parts = [
    ...(w.outcome === 'unchanged' ? [] : [w.outcome === 'busy' ? 'busy (another turn, an apply or an apt run holds the watch lock)' : w.outcome]),
    ...(w.report === null ? [] : [`report ${w.report}`]),
    ...(w.sent > 0 ? [`${w.sent} report(s) sent`] : []),
    ...(w.waiting > 0 ? [`${w.waiting} report(s) waiting for the server`] : []),
  ];
  return parts.length === 0 ? '' : `; watch: ${parts.join(', ')}`;
}

/** What keeping /root/changelog did, when it did something worth saying. */
function changelogNote(r: CycleResult): string {
  const c = r.changelog;
  if (c === null) return '';
  const parts = [
    ...(c.fetched > 0 ? [`${c.fetched} entr${c.fetched === 1 ? 'y' : 'ies'} from the server`] : []),
    ...(c.sent > 0 ? [`${c.sent} hand-written entr${c.sent === 1 ? 'y' : 'ies'} sent`] : []),
    ...(c.waiting > 0 ? [`${c.waiting} waiting for the server`] : []),
    ...(c.rejected > 0 ? [`${c.rejected} refused by the server`] : []),
    ...(c.malformed > 0 ? [`${c.malformed} block(s) that are not entries kept as they are`] : []),
  ];
  return parts.length === 0 ? '' : `; changelog: ${parts.join(', ')}`;
}

/** The turn's numbers as fields of its log line, for a log collector to count without parsing the message. */
function cycleFields(host: string, r: CycleResult, delayMs: number): LogFields {
  return {
    host,
    revision: r.revision,
    reached: r.reached,
    changed: r.changed,
    ...(r.applied === null ? {} : { applied: r.applied.applied, failed: r.applied.failed, skipped: r.applied.skipped, drift: r.applied.drift }),
    ...(r.scope === null ? {} : { scopedAccounts: r.scope.length }),
    ...(r.widened === null ? {} : { widened: r.widened }),
    ...(r.applyError === null ? {} : { applyError: r.applyError.code }),
    pendingReports: r.pendingReports,
    nextPollSeconds: Math.round(delayMs / 1000),
  };
}

/** `roster agent`: keep one host converged on what `roster serve` says (DESIGN.md §5 "Agent"). */
export function registerAgentCommands(program: Command): void {
  program
    .command('agent')
    .description("run on a managed host: pull the host's desired state from roster serve by revision, apply the local targets, report results and drift; keeps the last state on disk and goes on applying it while the server is down")
    .requiredOption('--server <url>', 'base URL of roster serve, e.g. https://roster.example.org')
    .requiredOption('--host <host>', 'this host, as named in roster.yaml hosts')
    .option('--token <token>', 'agent token (roster token create --role agent --host H); prefer --token-file or $ROSTER_AGENT_TOKEN')
    .option('--token-file <file>', 'file holding the agent token')
    .option('--root <dir>', 'root prefix the host lives under, like useradd -R', '/')
    .option('--state-dir <dir>', 'where the last desired state is kept (default: ROOT/var/lib/roster)')
    .option('--once', 'one turn: pull, apply, report, then exit (exit 69 when the server was not reached, after applying the kept state)')
    .option('--interval <seconds>', 'between polls', '60')
    .option('--drift-interval <seconds>', 're-apply (and correct drift) this often without a new revision', '600')
    .option('--max-backoff <seconds>', 'longest wait between attempts while the server is down', '300')
    .option('--lock-timeout <seconds>', 'how long to wait for another apply on the same root', '60')
    .option('--allow-mass-change', 'apply even if more accounts would be removed than the circuit breaker allows')
    .option('--usage-interval <seconds>', "measure usage (each target's usage: homes, databases …) after an apply this often, and send it to the server (with --once: at that turn)", '86400')
    .option('--no-usage', 'never measure usage')
    .option('--watch-interval <seconds>', 'take a roster watch turn this often on a host whose roster.yaml entry has watch (with --once: at that turn), and send its reports', '300')
    .option('--no-watch', 'never take roster watch turns (not even around an apply)')
    .option('--no-changelog', "leave ROOT/root/changelog alone (by default the agent keeps it in step with the host's changelog on the server, and sends entries appended to it by hand)")
    .action(async (o: AgentCliOptions, cmd: Command) => {
      const out = outputFor(globalsOf(cmd));
      const usageIntervalMs = seconds(o.usageInterval, '--usage-interval');
      const watchIntervalMs = seconds(o.watchInterval, '--watch-interval');
      const timing = { intervalMs: seconds(o.interval, '--interval'), driftIntervalMs: seconds(o.driftInterval, '--drift-interval'), maxBackoffMs: seconds(o.maxBackoff, '--max-backoff'), ...(o.usage ? { usageIntervalMs } : {}), ...(o.watch ? { watchIntervalMs } : {}) };
      const lockTimeoutMs = seconds(o.lockTimeout, '--lock-timeout');
      const token = await agentToken(o, process.env);
      const client = new ServerClient({ server: o.server, token, host: o.host });
      const root = await resolveRoot(o.root);
      const stateDir = o.stateDir === undefined ? posix.join(root, 'var/lib/roster') : posix.resolve(o.stateDir);
      const settings: AgentSettings = { server: o.server, host: o.host, root, statePath: agentStatePath(stateDir, o.host), allowMassChange: o.allowMassChange === true, lockTimeoutMs, changelog: o.changelog };
      // Structured (JSON lines) for the journal, readable on a terminal; the --once summary stays on stdout.
      // pino loads only for the long-running commands.
      const { serviceLogger } = await import('./service-logger.js');
      const log = serviceLogger({ name: 'roster-agent', format: logFormat(process.stderr, process.env) });
      // roster watch (seed GlobeNet): the host's settings come from the server; off while its roster.yaml entry has no watch.
      const watch = o.watch ? { watch: new AgentWatch({ root, host: o.host, clock: systemClock, log, changelog: () => hostWatchChangelog(root) }) } : {};
      const deps = { client, targets: targetRegistry, clock: systemClock, log, ...watch };

      if (o.once === true) {
        const file = AgentStateFile.open(settings.statePath, (message) => { log.warn(message); });
        let result: CycleResult;
        try {
          ({ result } = await agentCycle(settings, deps, file, { force: true, measureUsage: o.usage, watch: o.watch }));
        } finally {
          file.close();
        }
        out.print(result, () => describe(o.host, result));
        if (result.serverError !== null) process.exitCode = result.serverError.exitCode;
        else if (result.applyError !== null) process.exitCode = result.applyError.exitCode;
        else if (result.applied !== null && (result.applied.failed > 0 || result.applied.skipped > 0)) process.exitCode = outcomeExit.someFailed;
        return;
      }

      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        log.info(`${signal}, stopping after this turn`);
        stop.abort();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      log.info(`host ${o.host} (root ${root}) following ${o.server}; state in ${settings.statePath}`);
      await runAgent(settings, deps, {
        timing,
        signal: stop.signal,
        onCycle: (result, error, delayMs) => {
          const next = `next poll in ${Math.round(delayMs / 1000)} s`;
          if (error !== null) log.warn(`${error.message}; ${next}`, { host: o.host, code: error.code, nextPollSeconds: Math.round(delayMs / 1000) });
          else if (result !== null && (result.changed || result.applied !== null || !result.reached || (result.watch !== null && (result.watch.report !== null || result.watch.sent > 0)))) log.info(`${describe(o.host, result)}; ${next}`, cycleFields(o.host, result, delayMs));
        },
      });
    });
}
