/**
 * A process of simulated agents for bench/agents-bench.ts (forked with its
 * IPC channel). Each agent does what `roster agent` does against the
 * server: a first GET of its host's whole desired state (the revision is
 * kept, the body read and dropped), then every interval, at its own offset
 * in it, GET …/desired?delta=1 with If-None-Match naming that revision,
 * answered 304 while nothing changed and by a delta (checked by the agent's
 * own client) after a change. Each request opens a connection of its own,
 * as an agent polling once a minute does.
 */
import { ServerClient } from '../src/agent/server-client.js';

export interface AgentSpec {
  readonly host: string;
  readonly token: string;
  /** Where in each interval this agent polls, in ms from the interval's start. */
  readonly offsetMs: number;
}

export type ToWorker =
  | { readonly kind: 'setup'; readonly url: string; readonly agents: readonly AgentSpec[]; readonly concurrency: number }
  | { readonly kind: 'poll'; readonly startAt: number; readonly intervalMs: number; readonly until: number }
  | { readonly kind: 'stop' };

export type FromWorker =
  | { readonly kind: 'ready'; readonly fetched: number; readonly failures: readonly string[]; readonly bytes: number }
  | { readonly kind: 'changed'; readonly host: string; readonly at: number; readonly revision: string }
  | { readonly kind: 'polled'; readonly latenciesMs: readonly number[]; readonly counts: Readonly<Record<string, number>>; readonly failures: readonly string[] };

const freshConnection: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('connection', 'close');
  return fetch(input, { ...init, headers });
};

interface Agent {
  readonly spec: AgentSpec;
  readonly client: ServerClient;
  revision: string | null;
}

let url = '';
let agents: Agent[] = [];
let stopped = false;
/** Read through a call: `stopped` changes while a loop awaits. */
const isStopped = (): boolean => stopped;
/** The agents waiting for their next poll: a stop wakes them at once. */
const sleepers = new Set<() => void>();

function sleepUntil(t: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      sleepers.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, Math.max(0, t - Date.now()));
    sleepers.add(wake);
  });
}

function send(m: FromWorker): void {
  process.send?.(m);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function setup(m: Extract<ToWorker, { kind: 'setup' }>): Promise<void> {
  url = m.url;
  agents = m.agents.map((spec) => ({ spec, client: new ServerClient({ server: url, token: spec.token, host: spec.host, timeoutMs: 120_000, fetch: freshConnection }), revision: null }));
  const failures: string[] = [];
  let bytes = 0;
  let next = 0;
  const one = async (): Promise<void> => {
    for (let i = next++; i < agents.length; i = next++) {
      const a = agents[i];
      if (a === undefined) continue;
      try {
        const res = await freshConnection(`${url}/api/v1/hosts/${a.spec.host}/desired`, { headers: { authorization: `Bearer ${a.spec.token}` }, signal: AbortSignal.timeout(600_000) });
        const body = await res.arrayBuffer();
        bytes += body.byteLength;
        const etag = res.headers.get('etag');
        if (res.status !== 200 || etag === null) throw new Error(`${res.status} ${Buffer.from(body).subarray(0, 200).toString()}`);
        a.revision = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
      } catch (e) {
        failures.push(`${a.spec.host}: ${errorText(e)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, one));
  send({ kind: 'ready', fetched: agents.filter((a) => a.revision !== null).length, failures: failures.slice(0, 10), bytes });
}

async function poll(m: Extract<ToWorker, { kind: 'poll' }>): Promise<void> {
  stopped = false;
  const latencies: number[] = [];
  const counts: Record<string, number> = { notModified: 0, delta: 0, whole: 0, failed: 0 };
  const failures: string[] = [];
  const one = async (a: Agent): Promise<void> => {
    for (let due = m.startAt + a.spec.offsetMs; due < m.until && !isStopped(); due += m.intervalMs) {
      await sleepUntil(due);
      if (isStopped()) return;
      const t = performance.now();
      try {
        const answer = await a.client.desired(a.revision, { delta: true });
        latencies.push(performance.now() - t);
        if (!answer.changed) {
          counts.notModified = (counts.notModified ?? 0) + 1;
          continue;
        }
        const revision = 'delta' in answer ? answer.delta.revision : 'stream' in answer ? answer.stream.revision : answer.assignment.revision;
        counts['delta' in answer ? 'delta' : 'whole'] = (counts['delta' in answer ? 'delta' : 'whole'] ?? 0) + 1;
        if (revision !== a.revision) {
          a.revision = revision;
          send({ kind: 'changed', host: a.spec.host, at: Date.now(), revision });
        }
      } catch (e) {
        latencies.push(performance.now() - t);
        counts.failed = (counts.failed ?? 0) + 1;
        if (failures.length < 10) failures.push(`${a.spec.host}: ${errorText(e)}`);
      }
    }
  };
  await Promise.all(agents.map(one));
  send({ kind: 'polled', latenciesMs: latencies, counts, failures });
}

process.on('message', (m: ToWorker) => {
  if (m.kind === 'setup') void setup(m);
  else if (m.kind === 'poll') void poll(m);
  else {
    stopped = true;
    for (const wake of [...sleepers]) wake();
  }
});
process.on('disconnect', () => process.exit(0));
