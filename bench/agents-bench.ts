/**
 * 1,000 simulated agents against one `roster serve` (issue 17 "How it is
 * verified"): 1,000 hosts of one kind (web0000 … web0999, each with the
 * `limits` target) in roster.yaml, all of them in the member type's
 * hosts.live, 100,000 member accounts (BENCH_AGENT_ACCOUNTS), the built
 * server without its jobs, and the agents in a few processes of their own
 * (bench/agents-worker.ts), each with its own agent token, on loopback.
 *
 * 1. Every agent fetches its host's whole state once (its first turn; timed
 *    and reported, not in the figures below).
 * 2. Steady state: each agent polls every interval (BENCH_AGENT_INTERVAL_SECONDS,
 *    default 60: the agent's own), at its own offset, spread over the
 *    interval, for BENCH_AGENT_INTERVALS intervals (default 2). Figures: the
 *    server process's CPU over them (/proc/PID/stat utime + stime, as % of
 *    one core; PostgreSQL's own backends are not in it) and the p99 of the
 *    polls against the server's 50 ms.
 * 3. One account frozen through the admin API; the agents go on polling
 *    until all have a new revision, or two intervals. Figure: the time from
 *    the freeze's answer until the last agent had it, against one interval.
 *
 * Bounded: BENCH_AGENTS agents, BENCH_AGENT_WORKERS processes, the first
 * fetches within BENCH_AGENT_SETUP_SECONDS (default 1,800).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exampleConfig } from '../src/config/example-config.js';
import { parseConfig } from '../src/config/load-config.js';
import { fixedClock } from '../src/domain/clock.js';
import type { AgentSpec, FromWorker, ToWorker } from './agents-worker.js';
import { benchDatabase, describeDatabase, loadMembers } from './bench-database.js';
import { teardownOnSignal } from './bench-process.js';
import { builtSetup, cpuSeconds, percentile, startBuiltServe } from './built-serve.js';
import type { Report } from './server-bench.js';

type Reported = (what: string, figure: string) => void;

const AGENTS = Number(process.env.BENCH_AGENTS ?? 1_000);
const ACCOUNTS = Number(process.env.BENCH_AGENT_ACCOUNTS ?? 100_000);
const INTERVAL_SECONDS = Number(process.env.BENCH_AGENT_INTERVAL_SECONDS ?? 60);
const INTERVALS = Number(process.env.BENCH_AGENT_INTERVALS ?? 2);
const WORKERS = Number(process.env.BENCH_AGENT_WORKERS ?? 4);
const SETUP_LIMIT_SECONDS = Number(process.env.BENCH_AGENT_SETUP_SECONDS ?? 1_800);
/** First fetches in flight per worker process: the server makes each host's first state in turn anyway. */
const SETUP_CONCURRENCY = 2;
const TARGET_P99_MS = 50;

function hostName(i: number): string {
  return `web${String(i).padStart(4, '0')}`;
}

/** The example roster.yaml with the 1,000 hosts, which members live on (and log into none of). */
function configText(database: string): string {
  const hosts = Array.from({ length: AGENTS }, (_, i) => `  ${hostName(i)}: { targets: { limits: { perHost: { nproc: 100 } } } }\n`).join('');
  const live = Array.from({ length: AGENTS }, (_, i) => hostName(i)).join(', ');
  const base = exampleConfig();
  const yaml = base
    .replace('database: roster.db', `database: '${database}'`)
    .replace(/^hosts:\n/m, `hosts:\n${hosts}`)
    .replace('      live: [shell, web]\n      login: [shell]', `      live: [${live}]\n      login: []`);
  if (yaml === base || !yaml.includes(`live: [${hostName(0)}`)) throw new Error('agents bench: the example roster.yaml no longer has the shape the bench edits (hosts:, the member type\'s hosts.live)');
  return `${yaml}
# The bench measures the server, not the per-token rate limit.
server: { rateLimit: { perSecond: 1000000, burst: 10000000 } }
`;
}

interface Workers {
  readonly children: readonly ChildProcess[];
  /** Sends `m` to every worker and waits for one answer of `kind` from each (other messages go to `onOther`). */
  all<K extends FromWorker['kind']>(m: ToWorker, kind: K, limitSeconds: number, onOther?: (m: FromWorker) => void): Promise<Array<Extract<FromWorker, { kind: K }>>>;
  broadcast(m: ToWorker): void;
}

function startWorkers(count: number): Workers {
  const script = resolve(import.meta.dirname, 'agents-worker.ts');
  const children = Array.from({ length: count }, () => fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  return {
    children,
    broadcast(m) {
      for (const c of children) c.send(m);
    },
    all(m, kind, limitSeconds, onOther) {
      return new Promise((ok, fail) => {
        const answers: Array<Extract<FromWorker, { kind: typeof kind }>> = [];
        const timer = setTimeout(() => finish(new Error(`${count - answers.length} of ${count} agent processes did not answer "${kind}" within ${limitSeconds} s`)), limitSeconds * 1000);
        const listeners = children.map((c) => {
          const onMessage = (a: FromWorker): void => {
            if (a.kind !== kind) return onOther?.(a);
            answers.push(a as Extract<FromWorker, { kind: typeof kind }>);
            if (answers.length === count) finish(null);
          };
          const onExit = (code: number | null): void => finish(new Error(`an agent process exited (${String(code)}) before it answered "${kind}"`));
          c.on('message', onMessage);
          c.once('exit', onExit);
          return { c, onMessage, onExit };
        });
        const finish = (e: Error | null): void => {
          clearTimeout(timer);
          for (const l of listeners) {
            l.c.off('message', l.onMessage);
            l.c.off('exit', l.onExit);
          }
          if (e === null) ok(answers);
          else fail(e);
        };
        for (const c of children) c.send(m);
      });
    },
  };
}

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    c.once('exit', () => done());
    c.kill('SIGTERM');
  });
}

async function sleepUntil(t: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
}

export async function benchAgents(dir: string, report: Report, reported: Reported): Promise<void> {
  const teardown = teardownOnSignal('agents');
  try {
    const intervalMs = INTERVAL_SECONDS * 1000;
    const db = await benchDatabase(dir, 'agents');
    teardown.stops.push(() => db.drop());
    const configPath = join(dir, 'agents.yaml');
    const yaml = configText(db.url);
    await writeFile(configPath, yaml);
    const { config } = parseConfig(yaml, configPath);
    const { openStore, createApiToken } = await builtSetup();
    const store = await openStore(db.url);
    const ctx = { store, config, clock: fixedClock(new Date()), actor: 'bench', hmacKey: Buffer.alloc(32, 7), hasher: { hash: () => '!' }, log: { info: () => undefined, warn: () => undefined } };
    const admin = await createApiToken(ctx, { role: 'admin' });
    const specs: AgentSpec[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const { token } = await createApiToken(ctx, { role: 'agent', host: hostName(i) });
      specs.push({ host: hostName(i), token, offsetMs: Math.floor((i / AGENTS) * intervalMs) });
    }
    await store.close();
    const loadStart = Date.now();
    await loadMembers(db, { count: ACCOUNTS });
    process.stdout.write(
      `agents bench on ${describeDatabase(db)}: ${AGENTS.toLocaleString('en')} hosts and agent tokens, ${ACCOUNTS.toLocaleString('en')} member accounts living on every host (loaded in ${((Date.now() - loadStart) / 1000).toFixed(1)} s); ` +
        `agents in ${WORKERS} processes polling every ${INTERVAL_SECONDS} s${INTERVAL_SECONDS === 60 ? '' : ' (compressed interval)'}\n`,
    );

    const server = await startBuiltServe(configPath, ['--no-jobs']);
    teardown.stops.push(() => server.stop());
    const workers = startWorkers(WORKERS);
    for (const c of workers.children) teardown.stops.push(() => stopChild(c));
    try {
      // 1. First turns: each agent's whole state once.
      const setupStart = Date.now();
      const cpuSetup = await cpuSeconds(server.pid);
      const ready = await Promise.all(
        workers.children.map(
          (c, w) =>
            new Promise<Extract<FromWorker, { kind: 'ready' }>>((ok, fail) => {
              const timer = setTimeout(() => fail(new Error(`agent process ${w}: the first fetches did not end within ${SETUP_LIMIT_SECONDS} s; ${server.describe()}`)), SETUP_LIMIT_SECONDS * 1000);
              c.once('message', (m: FromWorker) => {
                clearTimeout(timer);
                if (m.kind === 'ready') ok(m);
                else fail(new Error(`agent process ${w} answered ${m.kind}, not ready`));
              });
              c.send({ kind: 'setup', url: server.url, agents: specs.filter((_, i) => i % WORKERS === w), concurrency: SETUP_CONCURRENCY } satisfies ToWorker);
            }),
        ),
      );
      const fetched = ready.reduce((n, r) => n + r.fetched, 0);
      if (fetched !== AGENTS) throw new Error(`only ${fetched} of ${AGENTS} agents got their first state: ${ready.flatMap((r) => r.failures).slice(0, 5).join('; ')}; ${server.describe()}`);
      const setupSeconds = (Date.now() - setupStart) / 1000;
      const bytes = ready.reduce((n, r) => n + r.bytes, 0);
      reported(
        `first turn of ${AGENTS.toLocaleString('en')} agents (each host's whole state, ${ACCOUNTS.toLocaleString('en')} accounts)`,
        `${setupSeconds.toFixed(1)} s, ${(bytes / 1e9).toFixed(2)} GB, server CPU ${((await cpuSeconds(server.pid)) - cpuSetup).toFixed(1)} s`,
      );

      // 2. Steady state: nothing changes; every agent polls once an interval.
      const steadyStart = Date.now() + 1_000;
      const steadyEnd = steadyStart + INTERVALS * intervalMs;
      const unexpected: string[] = [];
      const steadyRun = workers.all({ kind: 'poll', startAt: steadyStart, intervalMs, until: steadyEnd }, 'polled', INTERVALS * INTERVAL_SECONDS + 300, (m) => {
        if (m.kind === 'changed') unexpected.push(m.host);
      });
      await sleepUntil(steadyStart);
      const cpu0 = await cpuSeconds(server.pid);
      await sleepUntil(steadyEnd);
      const cpu1 = await cpuSeconds(server.pid);
      const steady = await steadyRun;
      const cpuShare = (cpu1 - cpu0) / ((steadyEnd - steadyStart) / 1000);
      const latencies = steady.flatMap((s) => [...s.latenciesMs]).sort((a, b) => a - b);
      const count = (k: string): number => steady.reduce((n, s) => n + (s.counts[k] ?? 0), 0);
      const failures = steady.flatMap((s) => [...s.failures]);
      if (count('failed') > 0) throw new Error(`steady polls: ${count('failed')} of ${latencies.length} failed: ${failures.slice(0, 3).join('; ')}; ${server.describe()}`);
      const p99 = percentile(latencies, 99);
      process.stdout.write(
        `${AGENTS.toLocaleString('en')} agents, ${INTERVALS} intervals of ${INTERVAL_SECONDS} s, nothing changing: ${latencies.length.toLocaleString('en')} polls (${count('notModified')} answered 304, ${count('delta')} deltas, ${count('whole')} whole states${unexpected.length > 0 ? `; ${unexpected.length} revisions changed` : ''}), ` +
          `median ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms; server CPU ${(cpuShare * 100).toFixed(1)} % of one core\n`,
      );
      reported(`server CPU, ${AGENTS.toLocaleString('en')} agents polling every ${INTERVAL_SECONDS} s, ${ACCOUNTS.toLocaleString('en')} accounts`, `${(cpuShare * 100).toFixed(1)} % of one core (${(cpu1 - cpu0).toFixed(1)} s over ${((steadyEnd - steadyStart) / 1000).toFixed(0)} s; ${(((cpu1 - cpu0) * 1000) / Math.max(1, latencies.length)).toFixed(1)} ms of CPU per poll)`);
      report(`${AGENTS.toLocaleString('en')} agents' polls (If-None-Match, delta=1): p99`, p99 / 1000, TARGET_P99_MS / 1000, 'ms');

      // 3. One freeze; the agents poll on until every one has the new revision (or two intervals).
      const freezeStart = Date.now() + 1_000;
      const freezeEnd = freezeStart + 2 * intervalMs;
      const seen = new Map<string, number>();
      let frozenAt = Number.NaN;
      const freezeRun = workers.all({ kind: 'poll', startAt: freezeStart, intervalMs, until: freezeEnd }, 'polled', 2 * INTERVAL_SECONDS + 300, (m) => {
        if (m.kind !== 'changed' || seen.has(m.host)) return;
        seen.set(m.host, m.at);
        if (seen.size === AGENTS) workers.broadcast({ kind: 'stop' });
      });
      await sleepUntil(freezeStart);
      const cpuF0 = await cpuSeconds(server.pid);
      const who = `u${1 + Math.floor(Math.random() * ACCOUNTS)}x`;
      const frozen = await fetch(`${server.url}/api/v1/accounts/${who}/freeze`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ reason: 'admin' }) });
      if (frozen.status !== 200) throw new Error(`freeze of ${who} through the API: ${frozen.status} ${await frozen.text()}`);
      frozenAt = Date.now();
      const after = await freezeRun;
      const cpuF1 = await cpuSeconds(server.pid);
      const last = Math.max(...seen.values()) - frozenAt;
      const freezeLatencies = after.flatMap((s) => [...s.latenciesMs]).sort((a, b) => a - b);
      const freezeFailed = after.reduce((n, s) => n + (s.counts.failed ?? 0), 0);
      process.stdout.write(
        `after freezing ${who} through the API: ${seen.size} of ${AGENTS} agents had a new revision, the last ${(last / 1000).toFixed(1)} s after the freeze's answer (target ≤ one interval, ${INTERVAL_SECONDS} s); ` +
          `polls meanwhile p99 ${percentile(freezeLatencies, 99).toFixed(1)} ms${freezeFailed > 0 ? `, ${freezeFailed} failed (${after.flatMap((s) => [...s.failures]).slice(0, 2).join('; ')})` : ''}; server CPU ${(cpuF1 - cpuF0).toFixed(1)} s\n`,
      );
      if (seen.size < AGENTS) report(`one freeze reaching all ${AGENTS.toLocaleString('en')} agents (only ${seen.size} had it after two intervals)`, (freezeEnd - frozenAt) / 1000, INTERVAL_SECONDS);
      else report(`one freeze reaching all ${AGENTS.toLocaleString('en')} agents (from the API's answer to the last agent's new revision)`, last / 1000, INTERVAL_SECONDS);
    } catch (e) {
      throw new Error(`agents bench: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  } finally {
    await teardown.done();
  }
}
