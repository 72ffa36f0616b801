/**
 * Freezing a member across the service targets (issue 12; `npm run bench`,
 * called from main.ts, alone with BENCH_ONLY=services).
 *
 * One host, `services`, runs the postgres, mariadb, mail-lists (Postfix) and
 * vhosts (nginx) targets against real daemons started here by the test
 * starters (test/daemons: loopback ports, data in temp dirs, stopped by their
 * PIDs at the end, also when the bench fails or is interrupted). The store
 * holds BENCH_SERVICE_MEMBERS members (10,000), each with a PostgreSQL role
 * and a MariaDB user, and BENCH_SERVICE_RESOURCES owned resources (30,000):
 * a vhost and a list per member, BENCH_SERVICE_PG_DATABASES PostgreSQL
 * databases (300: each CREATE DATABASE copies template1, about 7 MB, so a
 * server holds hundreds, not thousands) and MariaDB databases for the rest.
 * BENCH_SERVICE_FROZEN members (1%) are frozen already, so the list map and
 * the vhosts hold suspended entries. Setting up (the store, the whole-host
 * first apply) is timed and printed, but it is not the figure.
 *
 * The figures: `roster account freeze U --reason billing --apply services`
 * and the matching unfreeze, each the whole command as a process
 * (dist/roster.mjs, so `npm run build` first), target ≤ 1 s each; the member
 * has a database on each server, a list and a vhost, and an open session on
 * each database server when it is frozen. The vhosts target suspends and
 * resumes a vhost by its suspension flag alone (a file the vhost's own
 * configuration checks), so neither command tests or reloads nginx; file
 * changes (the first apply) reload it with its graceful signal through the
 * PID file (`reload: { pidFile }`), as a host with this many vhosts would
 * set it: `nginx -s reload` parses all 10,000 files only to find that PID.
 * Beside them, in the same run and on
 * another member of the same shape, the same by hand: psql (ALTER ROLE …
 * NOLOGIN, pg_terminate_backend), mariadb (ALTER USER … ACCOUNT LOCK, KILL
 * of its connections), the list's lines added to the map and postmap, the
 * vhost file rewritten to a 503 and nginx -t, nginx -s reload; the unfreeze
 * undoes each. Roster also checks each effect on the daemon (verify); the
 * hand-run commands do not, so the ratio is reported, not a target. After
 * every freeze and unfreeze, both ways are checked from outside (logins,
 * sessions, RCPT TO, the vhost's answer), untimed. Last, freezes and
 * unfreezes in-process with each target's observe/plan/apply/verify timed,
 * and the projection of one account, to show where the time goes.
 *
 * BENCH_SERVICE_ROUNDS (5) freezes and unfreezes are timed each way.
 * BENCH_SERVICE_MODE=in-process runs the same use cases in this process
 * instead of the command (no build needed; no process start in the figure).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import pg from 'pg';
import { startMariadb, type MariadbServer } from '../test/daemons/mariadb-server.js';
import { startNginx } from '../test/daemons/nginx-server.js';
import { startPostfix, type PostfixServer } from '../test/daemons/postfix-server.js';
import { startPostgresCluster, type PostgresCluster } from '../test/daemons/postgres-cluster.js';
import type { WebDaemon } from '../test/daemons/web-daemon.js';
import { accountView } from '../src/app/account-view.js';
import { createAccounts } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { applyHost, type HostApplyResult } from '../src/app/apply-host.js';
import { freezeAccount, unfreezeAccount } from '../src/app/lifecycle-actions.js';
import { buildPerson } from '../src/app/person-input.js';
import { addResource, type AddResourceInput } from '../src/app/resources.js';
import { parseConfig } from '../src/config/load-config.js';
import { projectAccounts } from '../src/desired/project-host.js';
import { systemClock } from '../src/domain/clock.js';
import { openStore } from '../src/store/open-store.js';
import { MAILMAN_SUFFIXES } from '../src/targets/mail-lists/mail-lists-config.js';
import { probeRecipients } from '../src/targets/mail-lists/probe-recipients.js';
import { orderedTargets, targetRegistry, type AnyTarget } from '../src/targets/registry.js';
import { probeVhost } from '../src/targets/vhosts/probe-vhost.js';
import { vhostFileName } from '../src/targets/vhosts/vhost-marker.js';
import { failures, ms, mustRun, runProgram, seconds, teardownOnSignal, type ApplyJson } from './bench-process.js';
import { median } from './unix-bench.js';

export type Report = (what: string, seconds: number, targetSeconds: number, unit?: 's' | 'ms') => void;
/** A figure with no target (a ratio to a baseline that does less), kept in the summary as "reported". */
export type Reported = (what: string, figure: string) => void;

const HOST = 'services';
const UID0 = 2_200_000_000;
const MAP = '/etc/postfix/roster-lists';
const VHOST_DIR = '/etc/nginx/roster-vhosts';
/**
 * How long verify waits for a reload to take effect: nginx parses all 10,000
 * files after the signal, seconds on a loaded machine, where the default 10 s
 * would fail a change that is only slow.
 */
const VERIFY_SECONDS = 60;
/** Where roster.yaml says nginx keeps its PID: the vhosts target signals the master there (reload: { pidFile }). */
const NGINX_PID = '/run/nginx.pid';
/** The password a benchmarked member sets for MariaDB (Roster never sets one), to hold a session open over TCP. */
const MEMBER_PASSWORD = 'bench-pw';
const HMAC_KEY = 'b'.repeat(64);
/** The four service targets of the host: the figure is about them, whatever else is registered. */
const SERVICE_TARGETS = ['postgres', 'mariadb', 'mail-lists', 'vhosts'];

interface Sizes {
  readonly members: number;
  readonly resources: number;
  readonly vhosts: number;
  readonly lists: number;
  readonly pgDatabases: number;
  readonly mariadbDatabases: number;
  readonly frozen: number;
  readonly rounds: number;
}

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${text}"`);
  return n;
}

function sizesFromEnv(): Sizes {
  const members = envNumber('BENCH_SERVICE_MEMBERS', 10_000);
  const resources = envNumber('BENCH_SERVICE_RESOURCES', 3 * members);
  const rounds = Math.max(1, envNumber('BENCH_SERVICE_ROUNDS', 5));
  const pgDatabases = Math.min(members, envNumber('BENCH_SERVICE_PG_DATABASES', Math.min(300, Math.ceil(members * 0.03))));
  const mariadbDatabases = resources - 2 * members - pgDatabases;
  // Benchmarked members have a PostgreSQL database, and the two ways each freeze their own.
  if (pgDatabases < 2) throw new Error('BENCH_SERVICE_PG_DATABASES must be at least 2: the benchmarked members each have one');
  if (mariadbDatabases < pgDatabases) throw new Error(`BENCH_SERVICE_RESOURCES (${resources}) must hold a vhost and a list per member and at least as many MariaDB as PostgreSQL databases: at least ${2 * members + 2 * pgDatabases}`);
  const frozen = Math.min(envNumber('BENCH_SERVICE_FROZEN', Math.floor(members / 100)), Math.max(0, members - pgDatabases));
  return { members, resources, vhosts: members, lists: members, pgDatabases, mariadbDatabases, frozen, rounds };
}

const username = (i: number): string => `m${i}x`;
const vhostName = (u: string): string => `www.${u}.example.org`;
const listName = (u: string): string => `${u}-news@example.org`;
const ownerAddress = (u: string): string => `${u}@example.net`;
const pgDatabase = (u: string): string => `${u}_pg`;

function applyJson(result: HostApplyResult): ApplyJson {
  return { ...result.summary, ...(result.report.widened === undefined ? {} : { widened: result.report.widened }), outcomes: result.report.outcomes };
}

/** How the bench drives Roster: the command as a process, or the same use cases in this process. */
interface Driver {
  readonly how: string;
  /** `roster apply --host services` (the whole host). */
  applyAll(allowMassChange: boolean): Promise<ApplyJson>;
  /** `roster account freeze|unfreeze U --reason billing --apply services`: the state after and the apply. */
  lifecycle(verb: 'freeze' | 'unfreeze', user: string): Promise<{ readonly state: string; readonly apply: ApplyJson }>;
  /** The command's cost without the apply (the CLI only): `roster account show U` and `roster plan --account U`, medians of 3, in seconds. */
  floor?(user: string): Promise<{ readonly show: number; readonly plan: number }>;
}

function cliDriver(work: string, root: string): Driver {
  const main = join(import.meta.dirname, '../dist/roster.mjs');
  const env = { ...process.env, ROSTER_CONFIG: join(work, 'roster.yaml'), ROSTER_HMAC_KEY: HMAC_KEY, TZ: 'UTC', PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
  const roster = async (args: readonly string[]): Promise<unknown> => {
    const r = await runProgram(process.execPath, [main, ...args], { env, cwd: work });
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      throw new Error(`roster ${args.join(' ')}: exit ${r.code}, no JSON: ${r.stderr.slice(-2000)}${r.stdout.slice(0, 500)}`);
    }
  };
  return {
    how: 'the roster command as a process (dist/roster.mjs)',
    async applyAll(allowMassChange) {
      return (await roster(['apply', '--host', HOST, '--root', root, '--json', ...(allowMassChange ? ['--allow-mass-change'] : [])])) as ApplyJson;
    },
    async lifecycle(verb, user) {
      return (await roster(['account', verb, user, '--reason', 'billing', '--apply', HOST, '--root', root, '--json'])) as { state: string; apply: ApplyJson };
    },
    async floor(user) {
      const time = async (args: readonly string[]): Promise<number> => {
        const runs: number[] = [];
        for (let i = 0; i < 3; i++) {
          const start = process.hrtime.bigint();
          await roster(args);
          runs.push(seconds(start));
        }
        return median(runs);
      };
      return { show: await time(['account', 'show', user, '--json']), plan: await time(['plan', '--host', HOST, '--root', root, '--account', user, '--json']) };
    },
  };
}

function inProcessDriver(ctx: AppContext, targets: readonly AnyTarget[], root: string): Driver {
  return {
    how: 'the use cases the command runs, in this process',
    async applyAll(allowMassChange) {
      return applyJson(await applyHost(ctx, targets, { host: HOST, root, allowMassChange }));
    },
    async lifecycle(verb, user) {
      const r = verb === 'freeze' ? await freezeAccount(ctx, user, { reason: 'billing' }) : await unfreezeAccount(ctx, user, { reason: 'billing' });
      const applied = applyJson(await applyHost(ctx, targets, { host: HOST, root, accounts: [user] }));
      return { state: accountView(r.account, ctx.clock.now()).state, apply: applied };
    },
  };
}

interface Daemons {
  readonly postgres: PostgresCluster;
  readonly mariadb: MariadbServer;
  readonly postfix: PostfixServer;
  readonly nginx: WebDaemon;
}

function configText(d: Daemons): string {
  const section = (o: unknown): string => JSON.stringify(o);
  return `# The bench's roster.yaml (bench/services-bench.ts): one host with the four service targets.
timeZone: UTC
database: roster.db
uids: { min: ${UID0}, max: ${UID0 + 9_999_999} }
gids: { min: ${UID0}, max: ${UID0 + 9_999_999} }
hosts:
  ${HOST}:
    targets:
      postgres: ${section({ url: d.postgres.url(), backendGrace: 1000 })}
      mariadb: ${section({ url: `mariadb://root@localhost/?socket=${d.mariadb.socket}` })}
      mail-lists: ${section({ mta: 'postfix', map: MAP, verify: { smtp: d.postfix.address } })}
      vhosts: ${section({ server: 'nginx', dir: VHOST_DIR, listen: [d.nginx.address], test: d.nginx.testArgv, reload: { pidFile: NGINX_PID }, verify: { http: d.nginx.address, timeoutSeconds: VERIFY_SECONDS } })}
types:
  member:
    hosts: { live: [${HOST}] }
    targets:
      postgres: { login: password }
      mariadb: { auth: password }
      mail-lists: { address: '{user}@example.net' }
`;
}

/** Every resource of the store, by member: a vhost and a list each, PostgreSQL databases for the first members, MariaDB databases dealt round. */
function resourceInputs(s: Sizes): AddResourceInput[] {
  const inputs: AddResourceInput[] = [];
  for (let i = 0; i < s.members; i++) {
    const u = username(i);
    inputs.push({ user: u, kind: 'vhost', name: vhostName(u), host: HOST, settings: { root: 'public_html' } });
    inputs.push({ user: u, kind: 'list', name: listName(u), host: HOST });
  }
  for (let i = 0; i < s.pgDatabases; i++) inputs.push({ user: username(i), kind: 'postgres-database', name: pgDatabase(username(i)), host: HOST });
  for (let k = 0; k < s.mariadbDatabases; k++) {
    const u = username(k % s.members);
    const round = Math.floor(k / s.members);
    inputs.push({ user: u, kind: 'mariadb-database', name: round === 0 ? `${u}_db` : `${u}_db${round}`, host: HOST, settings: {} });
  }
  return inputs;
}

/** The already frozen members: spread over those without a PostgreSQL database (the benchmarked ones have one). */
function frozenMembers(s: Sizes): number[] {
  const span = s.members - s.pgDatabases;
  return Array.from({ length: s.frozen }, (_, k) => s.pgDatabases + Math.floor((k * span) / s.frozen));
}

/** The store: people, accounts (the batch use case), resources (the use case, 1,000 to a transaction) and the freezes already in force. */
async function fillStore(ctx: AppContext, targets: readonly AnyTarget[], s: Sizes): Promise<void> {
  const now = new Date().toISOString();
  await ctx.store.transaction(async (tx) => {
    for (let i = 0; i < s.members; i++) await tx.putPerson(buildPerson({ id: `P${i}`, firstName: 'Bench', lastName: `Member${i}`, roles: ['MEMBER'] }, ctx.hmacKey, now));
  });
  const created = await createAccounts(ctx, Array.from({ length: s.members }, (_, i) => ({ personId: `P${i}`, type: 'member', username: username(i) })));
  const failed = created.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`services bench: ${failed.length} account creations failed`);
  const inputs = resourceInputs(s);
  for (let i = 0; i < inputs.length; i += 1000) {
    await ctx.store.transaction(async (tx) => {
      for (const r of inputs.slice(i, i + 1000)) await addResource(ctx, targets, r, { tx });
    });
  }
  for (const i of frozenMembers(s)) await freezeAccount(ctx, username(i), { reason: 'billing' });
}

/**
 * Every SMTP probe (Roster's verify, the checks here) takes one of Postfix's
 * in-flow tokens at MAIL FROM, and only a message taken into the queue gives
 * one back; this Postfix never gets mail, so after about 100 probe sessions
 * every MAIL FROM would wait in_flow_delay (1 s) and the figures would show
 * that wait instead of the freeze. A server with mail flowing returns the
 * tokens; here the delay is turned off (postconf -e and a reload of this
 * instance, whose master is the PID the starter holds).
 */
async function withoutInFlowDelay(postfix: PostfixServer): Promise<void> {
  const config = join(postfix.dir, 'config');
  const reloads = (): number => postfix.log().split('\n').filter((l) => l.includes('reload -- version')).length;
  const before = reloads();
  await mustRun('postconf', ['-c', config, '-e', 'in_flow_delay = 0']);
  await mustRun('postfix', ['-c', config, 'reload']);
  const deadline = Date.now() + 10_000;
  while (reloads() === before) {
    if (Date.now() > deadline) throw new Error(`postfix -c ${config} reload: no reload in its log after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The daemons, each started by its test starter; `stops` gets each one's stop as soon as it runs. */
async function startDaemons(root: string, stops: Array<() => Promise<unknown>>): Promise<Daemons> {
  const postgres = await startPostgresCluster();
  stops.push(() => postgres.stop());
  const mariadb = await startMariadb();
  stops.push(() => mariadb.stop());
  const postfix = await startPostfix({ recipientAccess: `hash:${join(root, MAP)}`, domains: ['example.org', 'example.net'] });
  stops.push(() => postfix.stop());
  await withoutInFlowDelay(postfix);
  const nginx = await startNginx({ includeDir: join(root, VHOST_DIR) });
  stops.push(() => nginx.stop());
  // The PID file as roster.yaml names it, under the root prefix: a link to where this nginx writes it.
  await mkdir(join(root, 'run'), { recursive: true });
  await symlink(nginx.pidFile, join(root, NGINX_PID));
  return { postgres, mariadb, postfix, nginx };
}

/** A session of the member on each database server, as a member's running program would hold one. */
interface Sessions {
  readonly pg: pg.Client;
  readonly mariadb: Connection;
}

async function openSessions(d: Daemons, u: string): Promise<Sessions> {
  const client = new pg.Client({ connectionString: d.postgres.url(u, pgDatabase(u)) });
  client.on('error', () => undefined);
  await client.connect();
  const conn = await createConnection({ host: '127.0.0.1', port: d.mariadb.port, user: u, password: MEMBER_PASSWORD });
  conn.on('error', () => undefined);
  return { pg: client, mariadb: conn };
}

async function closeSessions(s: Sessions): Promise<void> {
  await s.pg.end().catch(() => undefined);
  await s.mariadb.end().catch(() => undefined);
}

/** What a member meets on each service right now. */
interface Seen {
  readonly pgLogin: string;
  readonly mariadbLogin: number;
  readonly rcpt: number;
  readonly vhost: number;
}

async function pgLogin(d: Daemons, u: string): Promise<string> {
  const c = new pg.Client({ connectionString: d.postgres.url(u, pgDatabase(u)) });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return 'in';
  } catch (e) {
    return String(e).includes('is not permitted to log in') ? 'nologin' : String(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function mariadbLogin(d: Daemons, u: string): Promise<number> {
  try {
    const c = await createConnection({ host: '127.0.0.1', port: d.mariadb.port, user: u, password: MEMBER_PASSWORD });
    await c.end();
    return 0;
  } catch (e) {
    return (e as { errno?: number }).errno ?? -1;
  }
}

async function seen(d: Daemons, u: string): Promise<Seen> {
  const [host, port] = d.postfix.address.split(':');
  const replies = await probeRecipients({ host: host ?? '127.0.0.1', port: Number(port), helo: 'bench.example', from: '' }, [listName(u)]);
  const answer = await probeVhost(d.nginx.address, vhostName(u), 2000);
  return { pgLogin: await pgLogin(d, u), mariadbLogin: await mariadbLogin(d, u), rcpt: replies.get(listName(u))?.code ?? 0, vhost: 'status' in answer ? answer.status : 0 };
}

function problemsWith(now: Seen, frozen: boolean): string[] {
  const p: string[] = [];
  if (frozen !== (now.pgLogin === 'nologin')) p.push(`PostgreSQL login: ${now.pgLogin}`);
  if (frozen !== (now.mariadbLogin === 4151)) p.push(`MariaDB login: ${now.mariadbLogin === 0 ? 'let in' : `error ${now.mariadbLogin}`}`);
  if (frozen !== (now.rcpt >= 500)) p.push(`RCPT TO the list: ${now.rcpt}`);
  if (frozen !== (now.vhost === 503)) p.push(`the vhost: ${now.vhost}`);
  return p;
}

/**
 * Checks from outside that the member is frozen (or thawed) on all four
 * services, waiting up to 10 s for what lags (an nginx reload, smtpd's next
 * process): the problems left, [] when all is as it should be.
 */
async function check(d: Daemons, u: string, frozen: boolean, sessions: Sessions | null): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  let problems = problemsWith(await seen(d, u), frozen);
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    problems = problemsWith(await seen(d, u), frozen);
  }
  if (sessions !== null) {
    if (await sessions.pg.query('select 1').then(() => true, () => false)) problems.push('its PostgreSQL session still runs');
    if (await sessions.mariadb.query('SELECT 1').then(() => true, () => false)) problems.push('its MariaDB connection still runs');
  }
  return problems;
}

/** The same freeze and unfreeze as an administrator types them, one command after another. */
interface ByHand {
  freeze(u: string): Promise<void>;
  unfreeze(u: string): Promise<void>;
  /** Each step's times so far, in seconds: psql, mariadb, the map and postmap, the vhost file and nginx -t, nginx -s reload. */
  readonly steps: ReadonlyMap<string, readonly number[]>;
}

function byHand(d: Daemons, root: string): ByHand {
  const steps = new Map<string, number[]>();
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      steps.set(name, [...(steps.get(name) ?? []), seconds(start)]);
    }
  };
  const psql = (sql: readonly string[]): Promise<string> =>
    mustRun(join(d.postgres.binDir, 'psql'), ['-X', '-q', '-h', '127.0.0.1', '-p', String(d.postgres.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', ...sql.flatMap((q) => ['-c', q])]);
  const mariadb = (sql: string, force = false): Promise<string> =>
    mustRun('mariadb', ['--no-defaults', `--socket=${d.mariadb.socket}`, '--user=root', '--batch', '--skip-column-names', ...(force ? ['--force'] : []), `--execute=${sql}`]);
  const map = join(root, MAP);
  const postmap = (): Promise<string> => mustRun('postmap', [`hash:${map}`]);
  const [test = 'nginx', ...testArgs] = d.nginx.testArgv;
  const [reload = 'nginx', ...reloadArgs] = d.nginx.reloadArgv;
  const vhostFile = (u: string): string => join(root, VHOST_DIR, vhostFileName(vhostName(u)));
  // What each freeze replaced, put back byte for byte by the unfreeze.
  const saved = new Map<string, { readonly map: string; readonly vhost: string }>();
  return {
    steps,
    async freeze(u) {
      await step('psql', () => psql([`ALTER ROLE "${u}" NOLOGIN`, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${u}'`]));
      await step('mariadb', async () => {
        const ids = (await mariadb(`ALTER USER '${u}'@'localhost' ACCOUNT LOCK; SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '${u}'`)).split('\n').filter((l) => /^\d+$/.test(l));
        if (ids.length > 0) await mariadb(ids.map((id) => `KILL CONNECTION ${id};`).join(' '), true);
      });
      const mapText = await step('map + postmap', async () => {
        const text = await readFile(map, 'utf8');
        const [local, domain] = listName(u).split('@');
        const keys = [listName(u), ...MAILMAN_SUFFIXES.map((x) => `${local ?? ''}${x}@${domain ?? ''}`)];
        await writeFile(map, text + keys.map((k) => `${k}\t550 5.7.1 this list is suspended; please write to its owner at ${ownerAddress(u)}\n`).join(''));
        await postmap();
        return text;
      });
      const vhostText = await step('vhost + nginx -t', async () => {
        const text = await readFile(vhostFile(u), 'utf8');
        await writeFile(vhostFile(u), `server {\n    listen ${d.nginx.address};\n    server_name ${vhostName(u)};\n    default_type text/html;\n    return 503 '<h1>Suspended</h1>';\n}\n`);
        await mustRun(test, testArgs);
        return text;
      });
      await step('nginx -s reload', () => mustRun(reload, reloadArgs));
      saved.set(u, { map: mapText, vhost: vhostText });
    },
    async unfreeze(u) {
      const before = saved.get(u);
      if (before === undefined) throw new Error(`${u} was not frozen by hand`);
      await step('psql', () => psql([`ALTER ROLE "${u}" LOGIN`]));
      await step('mariadb', () => mariadb(`ALTER USER '${u}'@'localhost' ACCOUNT UNLOCK`));
      await step('map + postmap', async () => {
        await writeFile(map, before.map);
        await postmap();
      });
      await step('vhost + nginx -t', async () => {
        await writeFile(vhostFile(u), before.vhost);
        await mustRun(test, testArgs);
      });
      await step('nginx -s reload', () => mustRun(reload, reloadArgs));
      saved.delete(u);
    },
  };
}

/**
 * Each target's observe, plan, apply and verify timed, summed over a run.
 * The pipeline observes all targets side by side, where each one's time
 * would include the others' (one event loop, and the vhosts target reads its
 * directory synchronously); here they observe one after another, so each
 * figure is its own.
 */
function timedTargets(targets: readonly AnyTarget[], times: Map<string, number>): AnyTarget[] {
  const add = (key: string, start: number): void => void times.set(key, (times.get(key) ?? 0) + performance.now() - start);
  let observing: Promise<unknown> = Promise.resolve();
  return targets.map((t): AnyTarget => {
    const verify = t.verify?.bind(t);
    return {
      ...t,
      observe: (...a) => {
        const mine = observing.then(async () => {
          const s = performance.now();
          try {
            return await t.observe(...a);
          } finally {
            add(`${t.name} observe`, s);
          }
        });
        observing = mine.catch(() => undefined);
        return mine;
      },
      plan: (...a) => {
        const s = performance.now();
        try {
          return t.plan(...a);
        } finally {
          add(`${t.name} plan`, s);
        }
      },
      apply: async (...a) => {
        const s = performance.now();
        try {
          return await t.apply(...a);
        } finally {
          add(`${t.name} apply`, s);
        }
      },
      ...(verify === undefined
        ? {}
        : {
            verify: async (...a: Parameters<typeof verify>) => {
              const s = performance.now();
              try {
                return await verify(...a);
              } finally {
                add(`${t.name} verify`, s);
              }
            },
          }),
    };
  });
}

/**
 * Freezes and unfreezes through the in-process use cases with every target
 * timed: where the command's time goes (medians over `users`, one freeze
 * and unfreeze each). The pipeline's own share (projection, the apply
 * lock, the audit records) is what the targets leave of the total.
 */
async function breakdown(ctx: AppContext, targets: readonly AnyTarget[], root: string, users: readonly string[], apart: () => Promise<void>): Promise<void> {
  for (const verb of ['freeze', 'unfreeze'] as const) {
    const runs: Array<Map<string, number>> = [];
    for (const user of users) {
      const times = new Map<string, number>();
      const timed = orderedTargets(timedTargets(targets, times));
      if (verb === 'freeze') await apart();
      const start = performance.now();
      await freezeAccount(ctx, user, { reason: 'billing' });
      if (verb === 'unfreeze') {
        await applyHost(ctx, targets, { host: HOST, root, accounts: [user] });
        await apart();
        times.clear();
        const again = performance.now();
        await unfreezeAccount(ctx, user, { reason: 'billing' });
        times.set('store', performance.now() - again);
        const result = await applyHost(ctx, timed, { host: HOST, root, accounts: [user] });
        times.set('total', performance.now() - again);
        if (result.summary.failed > 0) throw new Error(`services bench, in-process unfreeze of ${user}: ${failures(applyJson(result))}`);
      } else {
        times.set('store', performance.now() - start);
        const result = await applyHost(ctx, timed, { host: HOST, root, accounts: [user] });
        times.set('total', performance.now() - start);
        if (result.summary.failed > 0) throw new Error(`services bench, in-process freeze of ${user}: ${failures(applyJson(result))}`);
        await apart();
        await unfreezeAccount(ctx, user, { reason: 'billing' });
        await applyHost(ctx, targets, { host: HOST, root, accounts: [user] });
      }
      runs.push(times);
    }
    const of = (key: string): number => median(runs.map((t) => t.get(key) ?? 0));
    const steps = ['observe', 'plan', 'apply', 'verify'];
    const parts = SERVICE_TARGETS.map((name) => `${name}: ${steps.map((step) => `${step} ${of(`${name} ${step}`).toFixed(step === 'plan' ? 1 : 0)}`).join(', ')}`);
    process.stdout.write(
      `  where an in-process ${verb} spends its ${of('total').toFixed(0)} ms (ms, medians of ${runs.length}; the targets observe at once, and these four, being concurrent, apply and verify at once, so their times overlap): the ${verb} in the store ${of('store').toFixed(0)}; ` +
        `${parts.join('; ')}\n`,
    );
  }
  const projection: number[] = [];
  const listing: number[] = [];
  for (let i = 0; i < 3; i++) {
    let start = performance.now();
    await projectAccounts(ctx.store.read, ctx.config, HOST, ctx.clock.now(), users.slice(0, 1), targets);
    projection.push(performance.now() - start);
    start = performance.now();
    await ctx.store.read.listResources({ host: HOST });
    listing.push(performance.now() - start);
  }
  process.stdout.write(`  the projection of one account (projectAccounts) ${median(projection).toFixed(0)} ms, of which reading every resource of the host (listResources({ host }), then kept for the account) about ${median(listing).toFixed(0)} ms\n`);
}

/** Picks `n` members of the first `span` (those with a PostgreSQL database), spread out; the two ways alternate. */
function benchmarked(span: number, n: number): Array<{ readonly roster: string; readonly hand: string }> {
  return Array.from({ length: n }, (_, r) => ({ roster: username(Math.floor((2 * r * span) / (2 * n)) % span), hand: username(Math.floor(((2 * r + 1) * span) / (2 * n)) % span) }));
}

export async function benchServices(dir: string, report: Report, reported: Reported): Promise<void> {
  const s = sizesFromEnv();
  const teardown = teardownOnSignal('services');
  const stops = teardown.stops;
  try {
    const registered = new Set(targetRegistry.map((t) => t.name));
    const missing = SERVICE_TARGETS.filter((n) => !registered.has(n));
    if (missing.length > 0) throw new Error(`services bench: targets not registered: ${missing.join(', ')}`);
    const mode = process.env.BENCH_SERVICE_MODE ?? 'cli';
    if (mode !== 'cli' && mode !== 'in-process') throw new Error(`BENCH_SERVICE_MODE must be cli or in-process, got "${mode}"`);
    if (mode === 'cli' && !existsSync(join(import.meta.dirname, '../dist/roster.mjs'))) throw new Error('services bench: dist/roster.mjs is missing: npm run build first');

    const root = await mkdtemp(join(tmpdir(), 'roster-services-root-'));
    stops.push(() => rm(root, { recursive: true, force: true }));
    // smtpd (postfix) and nginx's workers (www-data) read the map and the members' homes under it.
    await chmod(root, 0o755);
    await mkdir(join(root, 'etc/postfix'), { recursive: true, mode: 0o755 });
    await mkdir(join(root, VHOST_DIR), { recursive: true, mode: 0o755 });
    // 10,000 server names need a bigger hash than nginx's default: the administrator's own file beside Roster's.
    await writeFile(join(root, VHOST_DIR, '00-server-names.conf'), 'server_names_hash_max_size 65536;\nserver_names_hash_bucket_size 128;\n');

    const split = `${s.vhosts.toLocaleString('en')} vhosts, ${s.lists.toLocaleString('en')} lists, ${s.mariadbDatabases.toLocaleString('en')} MariaDB and ${s.pgDatabases.toLocaleString('en')} PostgreSQL databases`;
    process.stdout.write(`services: ${s.members.toLocaleString('en')} members with ${s.resources.toLocaleString('en')} resources (${split}); a role and a MariaDB user each; ${s.frozen} frozen already\n`);
    const daemonsStart = process.hrtime.bigint();
    const d = await startDaemons(root, stops);
    process.stdout.write(`  daemons up in ${seconds(daemonsStart).toFixed(1)} s: PostgreSQL ${d.postgres.port}, MariaDB ${d.mariadb.port}, Postfix ${d.postfix.address}, nginx ${d.nginx.address} (PIDs ${d.postgres.pid}, ${d.mariadb.pid}, ${d.postfix.pid}, ${d.nginx.pid})\n`);

    const work = join(dir, 'services');
    await mkdir(work, { recursive: true });
    const text = configText(d);
    await writeFile(join(work, 'roster.yaml'), text);
    const { config } = parseConfig(text, join(work, 'roster.yaml'), { targets: targetRegistry });
    const store = await openStore(join(work, 'roster.db'));
    const ctx: AppContext = {
      store,
      config,
      clock: systemClock,
      actor: 'bench',
      hmacKey: Buffer.from(HMAC_KEY, 'utf8'),
      hasher: { hash: () => { throw new Error('the bench creates accounts without passwords'); } },
      log: { info: () => undefined, warn: (m) => process.stderr.write(`services bench: ${m}\n`) },
    };
    let storeOpen = true;
    stops.push(async () => {
      if (storeOpen) await store.close();
    });
    const fillStart = process.hrtime.bigint();
    await fillStore(ctx, targetRegistry, s);
    const filled = seconds(fillStart);
    const driver = mode === 'cli' ? cliDriver(work, root) : inProcessDriver(ctx, targetRegistry, root);
    if (mode === 'cli') {
      await store.close();
      storeOpen = false;
    }

    const firstStart = process.hrtime.bigint();
    const first = await driver.applyAll(true);
    const firstApply = seconds(firstStart);
    if (first.failed + first.skipped > 0) throw new Error(`services bench, first apply: ${first.failed} failed, ${first.skipped} skipped: ${failures(first)}`);
    const byTarget = SERVICE_TARGETS.map((t) => `${t} ${first.outcomes.filter((o) => o.target === t).length.toLocaleString('en')}`).join(', ');
    const againStart = process.hrtime.bigint();
    const again = await driver.applyAll(false);
    const converged = seconds(againStart);
    process.stdout.write(
      `  setup: store filled in ${filled.toFixed(1)} s; whole-host first apply ${firstApply.toFixed(1)} s (${first.applied.toLocaleString('en')} changes: ${byTarget}); ` +
        `converged whole-host apply ${converged.toFixed(2)} s (${again.outcomes.length} changes${again.outcomes.length === 0 ? '' : `: ${again.outcomes.slice(0, 3).map((o) => o.summary).join('; ')}`})\n`,
    );

    // The benchmarked members set a MariaDB password (to hold a session over TCP) and have a page to serve.
    const pairs = benchmarked(s.pgDatabases, s.rounds);
    const admin = await d.mariadb.root();
    try {
      for (const u of pairs.flatMap((p) => [p.roster, p.hand])) {
        await admin.query('SET PASSWORD FOR ?@? = PASSWORD(?)', [u, 'localhost', MEMBER_PASSWORD]);
        await mkdir(join(root, 'home', u, 'public_html'), { recursive: true });
        await writeFile(join(root, 'home', u, 'public_html', 'index.html'), `${u}'s pages\n`);
      }
    } finally {
      await admin.end();
    }

    const hand = byHand(d, root);
    const times = { rosterFreeze: [] as number[], rosterUnfreeze: [] as number[], handFreeze: [] as number[], handUnfreeze: [] as number[] };
    const handProblems: string[] = [];
    /*
     * Each timed step changes the list map, and postmap rewrites the compiled
     * map in place: smtpd sees a table change by its mtime in whole seconds,
     * so a hand-run postmap within a second of the change before it may go
     * unseen (Roster compiles beside and renames over, which smtpd always
     * sees). An administrator's commands are seconds apart; so are the steps
     * here (an untimed wait), to measure the hand-run way where it works.
     */
    let lastChange = 0;
    const apart = async (): Promise<void> => {
      const wait = lastChange + 1100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    };
    const timed = async <T>(into: number[], step: () => Promise<T>): Promise<T> => {
      await apart();
      const start = process.hrtime.bigint();
      try {
        return await step();
      } finally {
        into.push(seconds(start));
        lastChange = Date.now();
      }
    };
    for (const { roster: ru, hand: hu } of pairs) {
      // Roster: the whole command, each way, with the member's sessions open when it is frozen.
      let sessions = await openSessions(d, ru);
      const froze = await timed(times.rosterFreeze, () => driver.lifecycle('freeze', ru));
      if (froze.state !== 'disabled' || froze.apply.failed + froze.apply.skipped > 0 || froze.apply.applied < SERVICE_TARGETS.length || froze.apply.widened !== undefined) {
        throw new Error(`services bench: roster account freeze ${ru} --apply: state ${froze.state}, ${froze.apply.applied} applied, ${froze.apply.failed} failed, widened ${froze.apply.widened ?? 'no'}: ${failures(froze.apply)}`);
      }
      let problems = await check(d, ru, true, sessions);
      await closeSessions(sessions);
      if (problems.length > 0) throw new Error(`services bench: ${ru} frozen by roster, but ${problems.join('; ')}`);
      const thawed = await timed(times.rosterUnfreeze, () => driver.lifecycle('unfreeze', ru));
      if (thawed.state !== 'active' || thawed.apply.failed + thawed.apply.skipped > 0 || thawed.apply.applied < SERVICE_TARGETS.length) {
        throw new Error(`services bench: roster account unfreeze ${ru} --apply: state ${thawed.state}, ${thawed.apply.applied} applied, ${thawed.apply.failed} failed: ${failures(thawed.apply)}`);
      }
      problems = await check(d, ru, false, null);
      if (problems.length > 0) throw new Error(`services bench: ${ru} unfrozen by roster, but ${problems.join('; ')}`);

      // By hand, on another member of the same shape.
      sessions = await openSessions(d, hu);
      await timed(times.handFreeze, () => hand.freeze(hu));
      problems = await check(d, hu, true, sessions);
      await closeSessions(sessions);
      if (problems.length > 0) handProblems.push(`${hu} frozen by hand: ${problems.join('; ')}`);
      await timed(times.handUnfreeze, () => hand.unfreeze(hu));
      problems = await check(d, hu, false, null);
      if (problems.length > 0) handProblems.push(`${hu} unfrozen by hand: ${problems.join('; ')}`);
    }
    const list = (xs: readonly number[]): string => xs.map((x) => (x * 1000).toFixed(0)).join(', ');
    const [rf, ru, hf, hu] = [median(times.rosterFreeze), median(times.rosterUnfreeze), median(times.handFreeze), median(times.handUnfreeze)];
    process.stdout.write(
      `  roster account freeze U --apply ${HOST} (${driver.how}): ${list(times.rosterFreeze)} ms (median ${ms(rf)}); unfreeze: ${list(times.rosterUnfreeze)} ms (median ${ms(ru)})\n` +
        `  by hand (psql; mariadb lock, processlist, KILL; map edit + postmap; vhost edit + nginx -t + nginx -s reload): freeze ${list(times.handFreeze)} ms (median ${ms(hf)}); unfreeze ${list(times.handUnfreeze)} ms (median ${ms(hu)})\n` +
        `    its steps (medians over freezes and unfreezes): ${[...hand.steps].map(([name, xs]) => `${name} ${ms(median(xs))}`).join(', ')}\n` +
        `  ratio roster/by hand: freeze ${(rf / hf).toFixed(2)}, unfreeze ${(ru / hu).toFixed(2)} (Roster also verifies each effect on the daemon and records the state before the freeze)\n` +
        (handProblems.length === 0 ? '  checked from outside after each: both ways froze and thawed all four services\n' : `  by hand fell short: ${handProblems.join(' | ')}\n`),
    );
    const scale = `one member among ${s.members.toLocaleString('en')} (${s.resources.toLocaleString('en')} resources on 4 servers)`;
    const what = mode === 'cli' ? 'whole command' : 'its use cases in-process';
    report(`services: roster account freeze --apply, ${scale}, ${what} (median of ${s.rounds})`, rf, 1);
    report(`services: roster account unfreeze --apply, ${scale}, ${what} (median of ${s.rounds})`, ru, 1);
    reported('services: freeze, roster / the same by hand (psql, mariadb, postmap, nginx -t + reload)', `${(rf / hf).toFixed(2)}× (${ms(rf)} vs ${ms(hf)})`);
    reported('services: unfreeze, roster / the same by hand', `${(ru / hu).toFixed(2)}× (${ms(ru)} vs ${ms(hu)})`);

    if (driver.floor !== undefined) {
      const floor = await driver.floor(pairs[0]?.roster ?? username(0));
      process.stdout.write(`  the command without the apply: roster account show U ${ms(floor.show)} (start, roster.yaml, store); roster plan --host ${HOST} --account U ${ms(floor.plan)} (and observe + plan of the four targets); medians of 3\n`);
    }
    const inProcess = mode === 'cli' ? await openStore(join(work, 'roster.db')) : store;
    if (mode === 'cli') stops.push(() => inProcess.close());
    await breakdown({ ...ctx, store: inProcess }, targetRegistry, root, pairs.map((p) => p.roster).slice(0, 3), apart);
  } finally {
    await teardown.done();
  }
}
