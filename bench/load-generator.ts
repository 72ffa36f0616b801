/**
 * Kept-alive GET load on one server process for a fixed time, with random
 * ids in the path. wrk (Debian's package, in C) drives it where it is
 * installed; autocannon otherwise, or with BENCH_LOAD=autocannon. On a
 * 2-core machine the load generator shares the CPU with the server, and
 * autocannon (JavaScript) needs about as much CPU per request as the server
 * does, so it caps the figure below what the server carries; wrk needs a
 * fraction of that.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

export interface Load {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly seconds: number;
  /** Each request's path: prefix, a random integer in 1…max, suffix. */
  readonly prefix: string;
  readonly max: number;
  readonly suffix: string;
  /** A directory for wrk's script. */
  readonly dir: string;
}

export interface LoadResult {
  readonly tool: 'wrk' | 'autocannon';
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p99Ms: number;
  /** Answers other than 2xx/3xx, socket errors and timeouts. */
  readonly failed: number;
}

function wrkPath(): string | undefined {
  if (process.env.BENCH_LOAD === 'autocannon') return undefined;
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((d) => join(d, 'wrk'))
    .find((p) => existsSync(p));
}

/** The load generator a run uses, for the bench's header line. */
export function loadTool(): LoadResult['tool'] {
  return wrkPath() === undefined ? 'autocannon' : 'wrk';
}

/** "12.34ms", "980.00us", "1.20s" in milliseconds. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (m === null) throw new Error(`wrk printed a latency of ${text}`);
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * factor;
}

function luaString(text: string): string {
  return JSON.stringify(text);
}

async function runWrk(wrk: string, load: Load): Promise<LoadResult> {
  const script = join(load.dir, 'wrk-request.lua');
  const headers = Object.entries(load.headers)
    .map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`)
    .join(', ');
  await writeFile(
    script,
    `math.randomseed(os.time())\nlocal headers = { ${headers} }\nrequest = function()\n  return wrk.format("GET", ${luaString(load.prefix)} .. math.random(1, ${load.max}) .. ${luaString(load.suffix)}, headers)\nend\n`,
  );
  const { stdout } = await promisify(execFile)(wrk, ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--timeout', '10s', '--latency', '-s', script, load.url]);
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(stdout);
  const p99 = /^\s+99%\s+(\S+)$/m.exec(stdout);
  if (total === null || p99?.[1] === undefined) throw new Error(`wrk's output was not understood:\n${stdout}`);
  const requests = Number(total[1]);
  const seconds = wrkMs(`${total[2] ?? ''}${total[3] ?? ''}`) / 1000;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = socket === null ? 0 : socket.slice(1).reduce((n, v) => n + Number(v), 0);
  return { tool: 'wrk', requests, seconds, perSecond: requests / seconds, p99Ms: wrkMs(p99[1]), failed: non2xx + errors };
}

async function runAutocannon(load: Load): Promise<LoadResult> {
  const r = await autocannon({
    url: load.url,
    connections: load.connections,
    duration: load.seconds,
    headers: { ...load.headers },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `${load.prefix}${1 + Math.floor(Math.random() * load.max)}${load.suffix}` }) }],
  });
  return { tool: 'autocannon', requests: r.requests.total, seconds: r.duration, perSecond: r.requests.average, p99Ms: r.latency.p99, failed: r.non2xx + r.errors + r.timeouts };
}

/** Runs the load once. */
export function runLoad(load: Load): Promise<LoadResult> {
  const wrk = wrkPath();
  return wrk === undefined ? runAutocannon(load) : runWrk(wrk, load);
}
