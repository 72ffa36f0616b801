/**
 * The member portal under load (issue 14; `npm run bench`, called from
 * main.ts, alone with BENCH_ONLY=portal).
 *
 * `roster serve`'s app (createServer, @hono/node-server on a free loopback
 * port, in this process) over a SQLite store of BENCH_PORTAL_MEMBERS
 * members (10,000) with their accounts; the member benchmarked is frozen by
 * the billing rules (a hold to put in words, a ledger, a pay link, a notice),
 * as the issue's member page is at its busiest.
 *
 * 1. Sign-in: one POST /portal/login (with the login page's CSRF token and
 *    form cookie), timed and reported on its own without a target: it is
 *    bounded by the deliberately slow yescrypt hash, not the server; one
 *    yescrypt check alone is reported beside it.
 * 2. GET /portal with that session's cookie under autocannon,
 *    BENCH_PORTAL_CONNECTIONS (10) connections for BENCH_PORTAL_SECONDS (10 s)
 *    after a 2 s warm-up; every answer must be the member page (200).
 *
 * Targets (the issue): ≥ 500 requests/s and p99 ≤ 50 ms. Throughput is
 * reported as time per request (1 / throughput) against 1/500 s, so every
 * ratio reads "below 1 meets the target". autocannon runs in a worker
 * thread of this process, the server on its main thread (one core each on
 * the 2-core machines).
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { createAccounts, setPassword } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { recordLedger } from '../src/app/billing-run.js';
import { freezeAccount } from '../src/app/lifecycle-actions.js';
import { buildPerson } from '../src/app/person-input.js';
import { parseConfig } from '../src/config/load-config.js';
import { systemClock } from '../src/domain/clock.js';
import { createServer } from '../src/server/create-server.js';
import { openStore } from '../src/store/open-store.js';
import { hashPassword, verifyPassword } from '../src/system/libcrypt.js';

export type Report = (what: string, seconds: number, targetSeconds: number, unit?: 's' | 'ms') => void;
/** A figure without a target of its own, listed as reported. */
export type Reported = (what: string, figure: string) => void;

const MEMBERS = Number(process.env.BENCH_PORTAL_MEMBERS ?? 10_000);
const SECONDS = Number(process.env.BENCH_PORTAL_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_PORTAL_CONNECTIONS ?? 10);
const TARGET_RPS = 500;
const TARGET_P99_MS = 50;
const PASSWORD = 'Tidal-Lantern-Harbor-42';

const CONFIG = `
timeZone: UTC
database: portal-bench.db
hosts:
  shell: {}
  web: {}
groups:
  - name: members
# The bench measures the portal, not the API's per-token rate limit.
server: { rateLimit: { perSecond: 1000000, burst: 10000000 } }
notify: { adminAddress: admins@example.org }
portal:
  siteName: Bench Co-op
  publicUrl: https://accounts.example.org
  payLink: https://pay.example.org/?member={personId}&amount={amount}
types:
  member:
    description: A shell account with mail and a web site
    portal: true
    eligibility: { roles: { some: [MEMBER] } }
    groups: [members]
    hosts: { live: [shell, web], login: [shell] }
    dues: 10
    grace: { deactivation: 0, deletion: 90 }
`;

/** The cookies a response sets, as `name=value` for the next request's Cookie header. */
function cookiesOf(r: Response, jar: Map<string, string>): void {
  for (const line of r.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (pair !== undefined && eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The people and accounts (the batch use case), and one member frozen for dues with a ledger: the page's work as it is at its busiest. */
async function load(ctx: AppContext): Promise<string> {
  await ctx.store.transaction(async (tx) => {
    const at = ctx.clock.now().toISOString();
    for (let i = 0; i < MEMBERS; i++) {
      await tx.putPerson(buildPerson({ id: `P${i}`, firstName: 'Bench', lastName: `Member${i}`, roles: ['MEMBER'], emails: { MEMBER: `m${i}@home.example` } }, ctx.hmacKey, at));
    }
  });
  const results = await createAccounts(ctx, Array.from({ length: MEMBERS }, (_, i) => ({ personId: `P${i}`, type: 'member', username: `m${i}x` })));
  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0) throw new Error(`portal bench: ${failed} accounts could not be created`);
  const member = `m${Math.floor(MEMBERS / 2)}x`;
  const personId = `P${Math.floor(MEMBERS / 2)}`;
  await setPassword(ctx, member, PASSWORD);
  await recordLedger(ctx, personId, 'payment', '30.00', 'first dues');
  await recordLedger(ctx, personId, 'charge', '40.00', 'dues');
  await freezeAccount(ctx, member, { reason: 'billing', note: 'dues unpaid' });
  return member;
}

export async function benchPortal(dir: string, report: Report, reported: Reported): Promise<void> {
  const { config } = parseConfig(CONFIG, join(dir, 'portal-bench.yaml'));
  const store = await openStore(join(dir, 'portal-bench.db'));
  const deps = { store, config, clock: systemClock, hmacKey: Buffer.alloc(32, 7), hasher: { hash: hashPassword }, log: { info: () => undefined, warn: () => undefined } };
  const ctx: AppContext = { ...deps, actor: 'bench' };
  const loadStart = process.hrtime.bigint();
  const member = await load(ctx);
  process.stdout.write(`portal bench: ${MEMBERS.toLocaleString('en')} members loaded in ${(Number(process.hrtime.bigint() - loadStart) / 1e9).toFixed(1)} s; ${member} is frozen for dues; ${CONNECTIONS} connections, ${SECONDS} s\n`);

  const server = createServer(deps);
  const http = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: server.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    // The login page gives the form cookie and the CSRF token tied to it.
    const jar = new Map<string, string>();
    const page = await fetch(`${url}/portal/login`);
    cookiesOf(page, jar);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    if (csrf === undefined) throw new Error('the login page has no CSRF token');
    const body = new URLSearchParams({ csrf, username: member, password: PASSWORD }).toString();
    const start = process.hrtime.bigint();
    const login = await fetch(`${url}/portal/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) }, body });
    const loginSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    cookiesOf(login, jar);
    if (login.status !== 303 || login.headers.get('location') !== '/portal' || !jar.has('roster_session')) throw new Error(`sign-in answered ${login.status} ${login.headers.get('location') ?? ''}: ${await login.text()}`);
    // What bounds it: one yescrypt check of the same password against the same hash, alone.
    const hash = (await store.read.getAccount(member))?.passwordHash ?? '';
    const hashStart = process.hrtime.bigint();
    if (!verifyPassword(PASSWORD, hash)) throw new Error('the member\'s hash does not verify');
    const hashMs = Number(process.hrtime.bigint() - hashStart) / 1e6;
    reported('portal: one sign-in (POST /portal/login; no target: bounded by the deliberately slow hash)', `${(loginSeconds * 1000).toFixed(1)} ms, of which one yescrypt check alone takes ${hashMs.toFixed(1)} ms`);

    // The page must be the member's, not a redirect to sign-in: checked once before the figure.
    const cookie = cookieHeader(jar);
    const check = await fetch(`${url}/portal`, { headers: { cookie }, redirect: 'manual' });
    const text = await check.text();
    if (check.status !== 200 || !text.includes(member)) throw new Error(`GET /portal answered ${check.status} without the member's page`);
    process.stdout.write(`  the member page is ${(text.length / 1024).toFixed(1)} KiB\n`);

    // autocannon in a worker thread of its own: on the server's event loop it would queue its work between the server's answers.
    const run = (duration: number): Promise<autocannon.Result> => autocannon({ url: `${url}/portal`, connections: CONNECTIONS, duration, workers: 1, headers: { cookie } });
    // A short warm-up first: the JIT and SQLite's page cache, not the figure.
    await run(2);
    const r = await run(SECONDS);
    const failed = r.non2xx + r.errors + r.timeouts;
    if (failed > 0) throw new Error(`GET /portal: ${failed} requests failed (non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})`);
    const rps = r.requests.average;
    process.stdout.write(`GET /portal (signed in): ${Math.round(rps).toLocaleString('en')} req/s (target ≥ ${TARGET_RPS}; ${(rps / TARGET_RPS).toFixed(2)}× of target), p99 ${r.latency.p99} ms (target ≤ ${TARGET_P99_MS} ms)\n`);
    report('portal: GET /portal signed in: time per request (1 / throughput)', 1 / rps, 1 / TARGET_RPS, 'ms');
    report('portal: GET /portal signed in: p99 latency', r.latency.p99 / 1000, TARGET_P99_MS / 1000, 'ms');
  } finally {
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      if ('closeAllConnections' in http) http.closeAllConnections();
    });
    await store.close();
  }
}
