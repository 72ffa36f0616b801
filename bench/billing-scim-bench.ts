/**
 * SCIM GET latency while a billing run over 100,000 members is going (issue
 * 17 item 3: `roster serve` runs its scheduled jobs in a worker process, so
 * REST and SCIM requests do not wait on them).
 *
 * The built `roster serve` runs with its jobs over a store of 100,000
 * members (BENCH_BILLING_MEMBERS) with SCIM records and a payment each: no
 * run is recorded, so every job's last slot is due at start and billing's
 * worker starts right after purge's. Billing then posts each member's dues
 * and decides: most have a year of balance left, one in ten is warned (60
 * days left), one in fifty is frozen (15 days left). While its worker runs,
 * GET /scim/v2/Users/{id} is loaded on a few kept-alive connections
 * (autocannon); the worker being alive and the run unfinished are checked
 * before and after the sample. After the run the same load on the idle
 * server is the baseline. Target: p99 ≤ 50 ms during the run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { exampleConfig } from '../src/config/example-config.js';
import { parseConfig } from '../src/config/load-config.js';
import { fixedClock } from '../src/domain/clock.js';
import { benchDatabase, describeDatabase, loadMembers, type LedgerRow } from './bench-database.js';
import { teardownOnSignal } from './bench-process.js';
import { builtSetup, running, startBuiltServe, type BuiltServe } from './built-serve.js';
import type { Report } from './server-bench.js';

type Reported = (what: string, figure: string) => void;

const MEMBERS = Number(process.env.BENCH_BILLING_MEMBERS ?? 100_000);
const SAMPLE_SECONDS = Number(process.env.BENCH_BILLING_SAMPLE_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_BILLING_CONNECTIONS ?? 4);
/** How long the bench waits for the billing run to end before it reports it unfinished. */
const RUN_LIMIT_SECONDS = Number(process.env.BENCH_BILLING_LIMIT_SECONDS ?? 1_800);
const TARGET_P99_MS = 50;

const CONFIG = `${exampleConfig()}
scim: { accountType: member }
# The bench measures the server, not the per-token rate limit.
server: { rateLimit: { perSecond: 1000000, burst: 10000000 } }
`;

/** One payment a member, a month before the run: dues are 10.00 a month. */
function payment(i: number): readonly LedgerRow[] {
  const amountCents = i % 50 === 0 ? 1_500 : i % 10 === 1 ? 3_000 : 12_000;
  return [{ at: '2026-11-01T00:00:00.000Z', kind: 'payment', amountCents, note: 'bench' }];
}

function jobLine(server: BuiltServe, pattern: RegExp): RegExpExecArray | null {
  for (const l of server.lines) {
    const m = pattern.exec(l);
    if (m !== null) return m;
  }
  return null;
}

async function until<T>(what: string, server: BuiltServe, limitSeconds: number, check: () => T | null): Promise<T> {
  const deadline = Date.now() + limitSeconds * 1000;
  for (;;) {
    const v = check();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${limitSeconds} s; ${server.describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function load(url: string, token: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/scim/v2/Users/${1 + Math.floor(Math.random() * MEMBERS)}` }) }],
  });
}

function failedOf(r: autocannon.Result): number {
  return r.non2xx + r.errors + r.timeouts;
}

export async function benchBillingScim(dir: string, report: Report, reported: Reported): Promise<void> {
  const teardown = teardownOnSignal('billing-scim');
  try {
    const db = await benchDatabase(dir, 'billing-scim');
    teardown.stops.push(() => db.drop());
    const configPath = join(dir, 'billing-scim.yaml');
    const yaml = CONFIG.replace('database: roster.db', `database: '${db.url}'`);
    await writeFile(configPath, yaml);
    const { config } = parseConfig(yaml, configPath);
    const { openStore, createApiToken } = await builtSetup();
    const store = await openStore(db.url);
    const ctx = { store, config, clock: fixedClock(new Date()), actor: 'bench', hmacKey: Buffer.alloc(32, 7), hasher: { hash: () => '!' }, log: { info: () => undefined, warn: () => undefined } };
    const { token } = await createApiToken(ctx, { role: 'scim' });
    await store.close();
    const loadStart = process.hrtime.bigint();
    await loadMembers(db, { count: MEMBERS, scim: true, ledger: payment });
    process.stdout.write(`billing-scim bench on ${describeDatabase(db)}: loaded ${MEMBERS.toLocaleString('en')} members with SCIM records and payments in ${(Number(process.hrtime.bigint() - loadStart) / 1e9).toFixed(1)} s; ${CONNECTIONS} kept-alive connections\n`);

    const server = await startBuiltServe(configPath);
    teardown.stops.push(() => server.stop());
    const worker = await until('the billing worker starting', server, 600, () => {
      const m = jobLine(server, /job billing: worker (\d+) started/);
      return m === null ? null : Number(m[1]);
    });
    const billingStart = Date.now();
    // `job billing ok` (or its other results), or `job billing: …` saying why it stopped.
    const finished = (): RegExpExecArray | null => jobLine(server, /job billing (\w+)|job billing: (?!worker \d+ started)(.*)/);
    const going = async (when: string): Promise<void> => {
      const end = finished();
      if (end !== null) throw new Error(`the billing run had ended (${end[1] ?? end[2]}) ${when} the sample: ${MEMBERS.toLocaleString('en')} members are too few to cover it`);
      if (!(await running(worker))) throw new Error(`billing's worker ${worker} was not running ${when} the sample; ${server.describe()}`);
    };

    // A short warm-up (the JIT, the page cache), then the sample, both during the run.
    await load(server.url, token, 2);
    await going('before');
    const sampleStart = Date.now();
    const during = await load(server.url, token, SAMPLE_SECONDS);
    await going('after');
    if (failedOf(during) > 0) throw new Error(`SCIM GET during billing: ${failedOf(during)} requests failed (non-2xx ${during.non2xx}, errors ${during.errors}, timeouts ${during.timeouts}); ${server.describe()}`);
    process.stdout.write(
      `GET /scim/v2/Users/{id} during the billing run (worker ${worker} alive and the run unfinished before and after the ${SAMPLE_SECONDS} s sample, which began ${((sampleStart - billingStart) / 1000).toFixed(1)} s into the run): ` +
        `${Math.round(during.requests.average).toLocaleString('en')} req/s, p99 ${during.latency.p99} ms (target ≤ ${TARGET_P99_MS} ms)\n`,
    );
    report(`GET /scim/v2/Users/{id} p99 during a billing run over ${MEMBERS.toLocaleString('en')} members`, during.latency.p99 / 1000, TARGET_P99_MS / 1000, 'ms');

    const end = await until('the billing run ending', server, RUN_LIMIT_SECONDS, finished);
    const runSeconds = (Date.now() - billingStart) / 1000;
    reported(`billing run over ${MEMBERS.toLocaleString('en')} members in roster serve's worker (${end[1] ?? end[2]})`, `${runSeconds.toFixed(1)} s = ${Math.round(MEMBERS / runSeconds).toLocaleString('en')} members/s`);

    // Baseline: the same load once the server's jobs are done.
    await until('the jobs after billing ending', server, 600, () => jobLine(server, /job notify (\w+)/));
    const idle = await load(server.url, token, SAMPLE_SECONDS);
    if (failedOf(idle) > 0) throw new Error(`SCIM GET after billing: ${failedOf(idle)} requests failed; ${server.describe()}`);
    reported('GET /scim/v2/Users/{id} p99 on the idle server after the run (baseline)', `${idle.latency.p99} ms, ${Math.round(idle.requests.average).toLocaleString('en')} req/s; during the run ${(during.latency.p99 / Math.max(1, idle.latency.p99)).toFixed(2)}× of it`);
  } finally {
    await teardown.done();
  }
}
