import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { applyHost } from '../src/app/apply-host.js';
import { freezeAccount, retireAccount, unfreezeAccount } from '../src/app/lifecycle-actions.js';
import { addPerson } from '../src/app/people.js';
import { purge } from '../src/app/purge.js';
import { addResource } from '../src/app/resources.js';
import { restoreAccount } from '../src/app/restore-account.js';
import { parseConfig } from '../src/config/load-config.js';
import type { Clock } from '../src/domain/clock.js';
import type { ApplyReport, ChangeOutcome } from '../src/reconcile/apply-host-plan.js';
import { planHost } from '../src/reconcile/host-plan.js';
import { openStore } from '../src/store/open-store.js';
import { targetRegistry, type AnyTarget } from '../src/targets/registry.js';
import type { ResourceArchiveManifest } from '../src/targets/resource-archive.js';
import { DEFAULT_FLAG_DIR } from '../src/targets/vhosts/vhosts-config.js';
import { startMariadb, type MariadbServer } from './daemons/mariadb-server.js';
import { startNginx } from './daemons/nginx-server.js';
import { startPostfix, type PostfixServer } from './daemons/postfix-server.js';
import { startPostgresCluster, type PostgresCluster } from './daemons/postgres-cluster.js';
import type { WebDaemon } from './daemons/web-daemon.js';
import { swaksRcpt, type Rcpt } from './daemons/swaks-rcpt.js';

/**
 * Issue 12's round trip through every service target at once (DESIGN.md
 * §8): one host enabling postgres, mariadb, mail-lists (Postfix), vhosts
 * (nginx) and a user-list, each against a real daemon this file starts on
 * loopback with its data in temp dirs and stops by PID. Members are made,
 * given resources, frozen, unfrozen, retired, purged and restored through
 * the use cases `roster` runs, and every effect is judged by a client of
 * the service itself (pg, psql, the mariadb connector, swaks, HTTP), not by
 * the targets' own probes.
 */

const targets: readonly AnyTarget[] = targetRegistry;

const HOST = 'svc';
const SERVICE_TARGETS = ['postgres', 'mariadb', 'mail-lists', 'vhosts', 'user-list'];
const ARCHIVE = '/var/lib/roster/archive';
const MAP = '/etc/postfix/roster-lists';
const VHOSTS = '/etc/nginx/roster';
const FTP_USERS = '/etc/vsftpd.user_list';
const DOMTOOL_ACL = '/etc/domtool/acl';
const PG_PASSWORD = 'pg admin secret';
const MARIADB_PASSWORD = 'maria admin secret';
const PAGE = '<h1>Suspended</h1><p>This member site is suspended until its dues are paid.</p>';
const MESSAGE = 'list {list} is suspended; please write to its owner at {owner}';
/** vsftpd's list as Debian ships it: the admin's lines, which Roster must keep as they are. */
const FTP_USERS_SHIPPED = '# vsftpd userlist\nroot\nbin\ndaemon\n';

let dir: string;
let root: string;
let cluster: PostgresCluster;
let maria: MariadbServer;
let admin: Connection;
let postfix: PostfixServer;
let web: WebDaemon;
let ctx: AppContext;
let now = new Date('2026-11-23T12:00:00Z');
const clock: Clock = { now: () => new Date(now.getTime()) };
/** The files Roster wrote on the host before the freeze, which the unfreeze and a restore must give back byte for byte. */
let filesBeforeFreeze: Record<string, string> = {};
/** What afterAll undoes, in reverse: only what beforeAll got as far as making. */
const cleanups: Array<() => Promise<unknown>> = [];

function configText(): string {
  const sections = {
    postgres: { url: cluster.url('roster'), passwordFile: '/etc/roster/postgres.password', backendGrace: 2000 },
    mariadb: { url: `mariadb://roster@127.0.0.1:${maria.port}/`, passwordFile: '/etc/roster/mariadb.password', hostPatterns: ['localhost'] },
    'mail-lists': { mta: 'postfix', map: MAP, message: MESSAGE, verify: { smtp: postfix.address } },
    vhosts: { server: 'nginx', dir: VHOSTS, listen: [web.address], suspendedPage: PAGE, test: web.testArgv, reload: web.reloadArgv, verify: { http: web.address, timeoutSeconds: 10 } },
    'user-list': {
      lists: [
        { path: FTP_USERS, mode: 'deny', service: 'ftp' },
        { path: DOMTOOL_ACL, mode: 'allow', service: 'domtool' },
      ],
    },
  };
  // JSON is YAML: each section goes in as one flow mapping.
  return `
timeZone: UTC
uids: { min: 2100060000, max: 2100069999 }
gids: { min: 2100060000, max: 2100069999 }
purge: { archiveDir: ${ARCHIVE} }
hosts:
  ${HOST}:
    targets:
${Object.entries(sections)
  .map(([name, section]) => `      ${name}: ${JSON.stringify(section)}`)
  .join('\n')}
types:
  member:
    hosts: { live: [${HOST}] }
    targets:
      postgres: { login: peer }
      mariadb: { auth: password }
      mail-lists: { address: '{user}@example.net' }
`;
}

/** Starts every daemon at once; those that started are stopped in afterAll even when another one failed. */
async function startDaemons(): Promise<void> {
  const started = await Promise.allSettled([
    startPostgresCluster({ hba: ['local all all trust', 'host all roster 127.0.0.1/32 scram-sha-256', 'host all all 127.0.0.1/32 trust'] }).then((c) => {
      cluster = c;
      cleanups.push(() => c.stop());
    }),
    startMariadb().then((m) => {
      maria = m;
      cleanups.push(() => m.stop());
    }),
    startPostfix({ recipientAccess: `hash:${join(root, MAP)}`, domains: ['example.org', 'example.net'] }).then((p) => {
      postfix = p;
      cleanups.push(() => p.stop());
    }),
    startNginx({ includeDir: join(root, VHOSTS) }).then((w) => {
      web = w;
      cleanups.push(() => w.stop());
    }),
  ]);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-service-freeze-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  root = join(dir, 'root');
  // smtpd (postfix) reads the compiled map and nginx's workers (www-data) the homes under the root prefix.
  await chmod(dir, 0o755);
  await mkdir(join(root, 'etc/postfix'), { recursive: true, mode: 0o755 });
  await mkdir(join(root, 'etc/roster'), { recursive: true });
  await writeFile(join(root, FTP_USERS), FTP_USERS_SHIPPED);
  await startDaemons();

  await cluster.query(`create role roster login createrole createdb password '${PG_PASSWORD}'`);
  await cluster.query('grant pg_signal_backend to roster');
  await writeFile(join(root, 'etc/roster/postgres.password'), `${PG_PASSWORD}\n`, { mode: 0o600 });
  admin = await maria.root();
  cleanups.push(() => admin.end());
  await admin.query("CREATE USER 'roster'@'localhost' IDENTIFIED BY ?", [MARIADB_PASSWORD]);
  await admin.query("GRANT ALL PRIVILEGES ON *.* TO 'roster'@'localhost' WITH GRANT OPTION");
  await writeFile(join(root, 'etc/roster/mariadb.password'), `${MARIADB_PASSWORD}\n`, { mode: 0o600 });

  ctx = {
    store: await openStore(join(dir, 'roster.db')),
    config: parseConfig(configText(), 'roster.yaml', { targets }).config,
    clock,
    actor: 'test',
    hmacKey: Buffer.alloc(32, 1),
    hasher: { hash: (p: string) => `$6$salt$${Buffer.from(p).toString('hex')}` },
    log: { info: () => undefined, warn: () => undefined },
  };
  cleanups.push(() => ctx.store.close());
  const members = [
    ['P1', 'alice'],
    ['P2', 'bob'],
    ['P3', 'carol'],
  ] as const;
  for (const [id, username] of members) {
    await addPerson(ctx, { id, firstName: username, lastName: 'Member' });
    await createAccount(ctx, { personId: id, type: 'member', username });
    await mkdir(join(root, 'home', username, 'public_html'), { recursive: true });
    await writeFile(join(root, 'home', username, 'public_html', 'index.html'), `${username}'s pages\n`);
  }
  // alice and bob each have a database in each server, a list and a vhost; carol has her role and user only.
  for (const user of ['alice', 'bob']) {
    await addResource(ctx, targets, { user, kind: 'postgres-database', name: `${user}_db`, host: HOST });
    await addResource(ctx, targets, { user, kind: 'mariadb-database', name: `${user}_db`, host: HOST });
    await addResource(ctx, targets, { user, kind: 'list', name: `${user}-news@example.org`, host: HOST });
    await addResource(ctx, targets, { user, kind: 'vhost', name: `www.${user}.test`, host: HOST, settings: { root: 'public_html' } });
  }
}, 120_000);

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo();
}, 60_000);

/** `roster account freeze alice --apply svc` applies the account alone; `roster apply svc` the whole host. Every change must be ok, and audited. */
async function apply(accounts?: readonly string[]): Promise<ApplyReport> {
  const head = (await ctx.store.read.auditHead()).seq;
  const { report, shortfall } = await applyHost(ctx, targets, { host: HOST, root, ...(accounts === undefined ? {} : { accounts }) });
  expect(report.outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
  expect(shortfall).toBeNull();
  // The audit holds one record per applied change, with its result.
  const records = (await ctx.store.read.listAudit({ afterSeq: head, limit: 1000 })).filter((r) => r.action.startsWith('apply.'));
  expect(records.map((r) => [r.action, r.target, r.result, (r.after as { summary?: string }).summary])).toEqual(
    report.outcomes.map((o) => [`apply.${o.action}`, `host:${HOST}/${o.target}/${o.subject}`, 'ok', o.summary]),
  );
  return report;
}

/** What each change was, in the words of the apply report. */
const brief = (outcomes: readonly ChangeOutcome[]): string[] => outcomes.map((o) => `${o.target}: ${o.summary}`);

async function pending(): Promise<string[]> {
  return (await planHost(ctx, targets, { host: HOST, root })).plan.targets.flatMap((t) => t.changes.map((c) => `${c.target}: ${c.summary}`));
}

/**
 * Every file under the root's etc, by path: the Postfix map, the vhost files,
 * the user lists (and the password files, which nothing may touch). The map
 * compiled by postmap is left out: Berkeley DB writes a hash file's pages
 * differently for the same entries, and what smtpd makes of it is judged at
 * RCPT TO.
 */
async function configFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (!entry.name.endsWith('.db')) out[`/${relative(root, full)}`] = await readFile(full, 'latin1');
    }
  };
  await walk(join(root, 'etc'));
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The vhosts' suspension flags (the default flagDir, under the root prefix): a freeze and an unfreeze touch these, not the vhost files. */
async function suspensionFlags(): Promise<string[]> {
  return (await readdir(join(root, DEFAULT_FLAG_DIR)).catch(() => [])).sort();
}

async function pgConnect(user: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: cluster.url(user, database) });
  // A freeze ends the session: the client then reports the closed socket as an event, which the test expects.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function pgRefusal(user: string, database: string): Promise<string> {
  try {
    const c = await pgConnect(user, database);
    await c.end();
    return 'connected';
  } catch (e) {
    return (e as Error).message;
  }
}

function psql(user: string, database: string, sql: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(join(cluster.binDir, 'psql'), ['-X', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', user, '-d', database, '-Atc', sql], { env: { PATH: process.env.PATH, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: `${stdout}${stderr}`.trim() });
    });
  });
}

async function pgRole(name: string): Promise<{ canLogin: boolean; validUntil: string | null; comment: string | null } | undefined> {
  const r = await cluster.query<{ can_login: boolean; valid_until: string | null; comment: string | null }>(
    "select rolcanlogin as can_login, rolvaliduntil::text as valid_until, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1",
    [name],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : { canLogin: row.can_login, validUntil: row.valid_until, comment: row.comment };
}

async function pgDatabases(): Promise<string[]> {
  return (await cluster.query<{ n: string }>("select datname as n from pg_database where datname like '%\\_db' order by datname")).rows.map((r) => r.n);
}

async function pgSessions(user: string): Promise<number> {
  return (await cluster.query('select 1 from pg_stat_activity where usename = $1', [user])).rowCount ?? 0;
}

/** A login as a member over TCP (127.0.0.1 is localhost to the server): the connection, or the server's error number. */
async function mariaLogin(user: string, password: string, database?: string): Promise<Connection | number> {
  try {
    const c = await createConnection({ host: '127.0.0.1', port: maria.port, user, password, ...(database === undefined ? {} : { database }) });
    c.on('error', () => undefined);
    return c;
  } catch (e) {
    return (e as { errno: number }).errno;
  }
}

async function mariaErrno(user: string, password: string, database?: string): Promise<number> {
  const c = await mariaLogin(user, password, database);
  if (typeof c === 'number') return c;
  await c.end();
  return 0;
}

async function mariaRows<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  return admin.query<T[]>(sql, values);
}

/**
 * The members' MariaDB users as the server keeps them (authentication,
 * password hash, lock). A user that was never locked has no account_locked
 * key; once locked and unlocked it has `false`: the same state, so it is
 * read as a boolean.
 */
async function mariaUsers(): Promise<Array<{ u: string; priv: Record<string, unknown> }>> {
  const rows = await mariaRows<{ u: string; priv: string | Record<string, unknown> }>("SELECT CONCAT(User, '@', Host) AS u, Priv AS priv FROM mysql.global_priv WHERE User IN ('alice', 'bob', 'carol') ORDER BY User, Host");
  return rows.map(({ u, priv }) => {
    const parsed = typeof priv === 'string' ? (JSON.parse(priv) as Record<string, unknown>) : priv;
    return { u, priv: { ...parsed, account_locked: parsed.account_locked === true } };
  });
}

async function mariaDatabases(): Promise<string[]> {
  return (await mariaRows<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '%\\_db' ORDER BY n")).map((r) => r.n);
}

/** RCPT TO one address, judged by swaks. */
function rcpt(address: string): Promise<Rcpt> {
  return swaksRcpt(postfix.address, address);
}

function httpOnce(name: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: web.port, path: '/', headers: { Host: name, Connection: 'close' }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${name}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** What nginx answers for `name` once its answers stop changing (an old worker may take a connection for a moment after a graceful reload). */
async function http(name: string): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 10_000;
  let last = await httpOnce(name);
  for (let same = 1; same < 4 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 30));
    const next = await httpOnce(name);
    same = next.status === last.status && next.body === last.body ? same + 1 : 1;
    last = next;
  }
  return last;
}

const refusalText = (list: string, user: string): string => `<${list}>: Recipient address rejected: list ${list} is suspended; please write to its owner at ${user}@example.net`;

describe('a billing freeze across PostgreSQL, MariaDB, Postfix, nginx and a user list, and its unfreeze', () => {
  let rolesBefore: Array<[string, Awaited<ReturnType<typeof pgRole>>]>;
  let usersBefore: Awaited<ReturnType<typeof mariaUsers>>;
  let alicePg: pg.Client;
  let aliceMaria: Connection;
  const services = async (): Promise<Record<string, unknown>> => ({
    alicePg: await pgRefusal('alice', 'alice_db'),
    bobPg: await pgRefusal('bob', 'bob_db'),
    aliceMaria: await mariaErrno('alice', 'alice-pw', 'alice_db'),
    bobMaria: await mariaErrno('bob', 'bob-pw', 'bob_db'),
    aliceList: (await rcpt('alice-news@example.org')).code,
    aliceListRequest: (await rcpt('alice-news-request@example.org')).code,
    aliceMailbox: (await rcpt('alice@example.net')).code,
    bobList: (await rcpt('bob-news@example.org')).code,
    aliceSite: await http('www.alice.test'),
    bobSite: await http('www.bob.test'),
  });
  const working = {
    alicePg: 'connected',
    bobPg: 'connected',
    aliceMaria: 0,
    bobMaria: 0,
    aliceList: 250,
    aliceListRequest: 250,
    aliceMailbox: 250,
    bobList: 250,
    aliceSite: { status: 200, body: "alice's pages\n" },
    bobSite: { status: 200, body: "bob's pages\n" },
  };

  it('applies the whole host: each member gets a role, a MariaDB user, databases, a vhost and list entries; a second plan is empty', async () => {
    const report = await apply();
    expect(new Set(report.outcomes.map((o) => o.target))).toEqual(new Set(SERVICE_TARGETS));
    expect(brief(report.outcomes)).toEqual([
      'postgres: create role alice (LOGIN, peer login)',
      'postgres: create role bob (LOGIN, peer login)',
      'postgres: create role carol (LOGIN, peer login)',
      'postgres: create database alice_db owned by alice',
      'postgres: create database bob_db owned by bob',
      'user-list: /etc/domtool/acl (domtool allowed): add alice, bob, carol',
      "mariadb: create user 'alice'@'localhost' identified via mysql_native_password or unix_socket",
      "mariadb: create database alice_db (utf8mb4) for alice, all privileges to 'alice'@'localhost'",
      "mariadb: create user 'bob'@'localhost' identified via mysql_native_password or unix_socket",
      "mariadb: create database bob_db (utf8mb4) for bob, all privileges to 'bob'@'localhost'",
      "mariadb: create user 'carol'@'localhost' identified via mysql_native_password or unix_socket",
      `mail-lists: ${MAP}: rewrite it as Roster renders it`,
      'vhosts: serve www.alice.test (alice) from /home/alice/public_html',
      'vhosts: serve www.bob.test (bob) from /home/bob/public_html',
    ]);
    expect(await pending()).toEqual([]);
    // The members use what they were given: tables in each database, and MariaDB passwords they set themselves.
    for (const user of ['alice', 'bob']) {
      const s = await pgConnect(user, `${user}_db`);
      await s.query(`create table notes as select '${user} kept this' as body`);
      await s.end();
      await admin.query('SET PASSWORD FOR ?@? = PASSWORD(?)', [user, 'localhost', `${user}-pw`]);
      const m = await mariaLogin(user, `${user}-pw`, `${user}_db`);
      if (typeof m === 'number') throw new Error(`${user} cannot log in to MariaDB: ${m}`);
      await m.query(`CREATE TABLE notes AS SELECT '${user} kept this' AS body`);
      await m.end();
    }
    // carol's role was NOLOGIN by hand before any freeze: that is not Roster's to undo.
    await cluster.query('alter role carol nologin');
    expect(await pending()).toEqual([]);
    expect(await services()).toEqual(working);
    expect(await readFile(join(root, FTP_USERS), 'utf8')).toBe(FTP_USERS_SHIPPED);
    expect(await readFile(join(root, DOMTOOL_ACL), 'utf8')).toBe('alice\nbob\ncarol\n');
  });

  it('a billing freeze of alice applied for her alone: her role refused and its session ended, MariaDB 4151 and her connection killed, her list refused at RCPT TO with the text, her vhost 503 with the page, her name in the deny list; her mailbox and bob keep working', async () => {
    filesBeforeFreeze = await configFiles();
    rolesBefore = await Promise.all(['alice', 'bob', 'carol'].map(async (r) => [r, await pgRole(r)] as [string, Awaited<ReturnType<typeof pgRole>>]));
    usersBefore = await mariaUsers();
    alicePg = await pgConnect('alice', 'alice_db');
    const backend = (await alicePg.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    const maria = await mariaLogin('alice', 'alice-pw', 'alice_db');
    if (typeof maria === 'number') throw new Error(`alice cannot log in to MariaDB: ${maria}`);
    aliceMaria = maria;
    expect(await pgSessions('alice')).toBe(1);

    // The billing hold, as the billing job and `roster account freeze alice --reason billing` place it.
    await freezeAccount(ctx, 'alice', { reason: 'billing' });
    const report = await apply(['alice']);
    expect(report.widened).toBeUndefined();
    expect(report.accounts).toEqual(['alice']);
    expect(brief(report.outcomes)).toEqual([
      'postgres: freeze role alice: NOLOGIN and end its 1 session (was LOGIN: kept for the unfreeze)',
      `user-list: ${FTP_USERS} (ftp denied): add alice`,
      `user-list: ${DOMTOOL_ACL} (domtool allowed): remove alice`,
      "mariadb: lock 'alice'@'localhost' and end alice's connections (databases disabled)",
      `mail-lists: ${MAP}: refuse alice-news@example.org`,
      'vhosts: suspend www.alice.test (alice): 503 with the suspended page',
    ]);
    // What was ended is in the report and in the audit record of the change.
    const ended = { postgres: { terminated: [backend] }, mariadb: { killed: [aliceMaria.threadId] } };
    for (const [target, detail] of Object.entries(ended)) {
      expect(report.outcomes.find((o) => o.target === target)?.detail).toMatchObject(detail);
      const record = (await ctx.store.read.listAudit({ target: `host:${HOST}/${target}/${report.outcomes.find((o) => o.target === target)?.subject ?? ''}` })).at(-1);
      expect((record?.after as { detail?: unknown } | undefined)?.detail).toMatchObject(detail);
    }

    // PostgreSQL: the open session is gone, a new one is refused, by pg and by psql.
    await expect(alicePg.query('select 1')).rejects.toThrow();
    expect(await pgSessions('alice')).toBe(0);
    expect(await pgRefusal('alice', 'alice_db')).toBe('role "alice" is not permitted to log in');
    const viaPsql = await psql('alice', 'alice_db', 'select 1');
    expect(viaPsql.code).not.toBe(0);
    expect(viaPsql.out).toContain('role "alice" is not permitted to log in');
    // MariaDB: the open connection is killed, a new login answers 4151.
    await expect(aliceMaria.query('SELECT 1')).rejects.toThrow();
    expect(await mariaRows("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'alice'")).toEqual([]);
    expect(await mariaErrno('alice', 'alice-pw', 'alice_db')).toBe(4151);
    // Postfix: the list and its -request address are refused with the configured text; her own mailbox is not.
    expect(await rcpt('alice-news@example.org')).toEqual({ code: 550, text: refusalText('alice-news@example.org', 'alice') });
    expect(await rcpt('alice-news-request@example.org')).toEqual({ code: 550, text: refusalText('alice-news-request@example.org', 'alice').replace('list alice-news-request@', 'list alice-news@') });
    expect(await rcpt('alice@example.net')).toMatchObject({ code: 250 });
    // nginx: 503 with the page for her, 200 for bob; by her vhost's flag, her vhost file as it was.
    expect(await http('www.alice.test')).toEqual({ status: 503, body: PAGE });
    expect(await http('www.bob.test')).toEqual({ status: 200, body: "bob's pages\n" });
    expect(await suspensionFlags()).toEqual(['www.alice.test']);
    expect((await configFiles())[`${VHOSTS}/roster-vhost-www.alice.test.conf`]).toBe(filesBeforeFreeze[`${VHOSTS}/roster-vhost-www.alice.test.conf`]);
    // The tools' user lists: in the ftp deny list, out of the domtool allow list; the admin's lines kept.
    expect(await readFile(join(root, FTP_USERS), 'utf8')).toBe(`${FTP_USERS_SHIPPED}alice\n`);
    expect(await readFile(join(root, DOMTOOL_ACL), 'utf8')).toBe('bob\ncarol\n');
    // bob's databases are still his to use.
    const bobPg = await pgConnect('bob', 'bob_db');
    expect((await bobPg.query<{ body: string }>('select body from notes')).rows).toEqual([{ body: 'bob kept this' }]);
    await bobPg.end();
    const bobMaria = await mariaLogin('bob', 'bob-pw', 'bob_db');
    if (typeof bobMaria === 'number') throw new Error(`bob cannot log in to MariaDB: ${bobMaria}`);
    expect(await bobMaria.query('SELECT body FROM notes')).toEqual([{ body: 'bob kept this' }]);
    await bobMaria.end();
    expect(await pending()).toEqual([]);
  });

  it('carol, whose role was NOLOGIN by hand, is frozen too', async () => {
    await freezeAccount(ctx, 'carol', { reason: 'billing' });
    const report = await apply(['carol']);
    expect(brief(report.outcomes)).toEqual([
      'postgres: freeze role carol: record it (was NOLOGIN: kept for the unfreeze)',
      `user-list: ${FTP_USERS} (ftp denied): add carol`,
      `user-list: ${DOMTOOL_ACL} (domtool allowed): remove carol`,
      "mariadb: lock 'carol'@'localhost' and end carol's connections (databases disabled)",
    ]);
    expect(await pgRole('carol')).toMatchObject({ canLogin: false });
    expect(await pending()).toEqual([]);
  });

  it('the unfreeze gives everything back, as `roster account unfreeze alice --apply svc` applies it: every service works again, the roles and users are as they were (carol still NOLOGIN)', async () => {
    await unfreezeAccount(ctx, 'alice', { reason: 'billing' });
    const thawed = await apply(['alice']);
    expect(brief(thawed.outcomes)).toEqual([
      'postgres: unfreeze role alice: LOGIN as before the freeze',
      `user-list: ${FTP_USERS} (ftp denied): remove alice`,
      `user-list: ${DOMTOOL_ACL} (domtool allowed): add alice`,
      "mariadb: unlock 'alice'@'localhost'",
      `mail-lists: ${MAP}: reopen alice-news@example.org`,
      'vhosts: resume www.alice.test (alice) from /home/alice/public_html',
    ]);
    // carol's hold is lifted, and the next whole-host apply (`roster apply svc`, the agent) unfreezes her.
    await unfreezeAccount(ctx, 'carol', { reason: 'billing' });
    const whole = await apply();
    expect(brief(whole.outcomes)).toEqual([
      'postgres: unfreeze role carol: NOLOGIN as before the freeze',
      `user-list: ${FTP_USERS} (ftp denied): remove carol`,
      `user-list: ${DOMTOOL_ACL} (domtool allowed): add carol`,
      "mariadb: unlock 'carol'@'localhost'",
    ]);

    expect(await services()).toEqual(working);
    expect(await suspensionFlags()).toEqual([]);
    expect(await Promise.all(['alice', 'bob', 'carol'].map(async (r) => [r, await pgRole(r)]))).toEqual(rolesBefore);
    expect(await pgRole('carol')).toMatchObject({ canLogin: false });
    expect(await pgRefusal('carol', 'postgres')).toBe('role "carol" is not permitted to log in');
    expect(await mariaUsers()).toEqual(usersBefore);
    // Her data went nowhere.
    const s = await pgConnect('alice', 'alice_db');
    expect((await s.query<{ body: string }>('select body from notes')).rows).toEqual([{ body: 'alice kept this' }]);
    await s.end();
    expect(await mariaRows('SELECT body FROM alice_db.notes')).toEqual([{ body: 'alice kept this' }]);
    expect(await pending()).toEqual([]);
  });

  it('after the unfreeze every file Roster writes (the Postfix map, the vhost files, the user lists) is byte for byte as before the freeze', async () => {
    expect(await configFiles()).toEqual(filesBeforeFreeze);
  });
});

describe('a retirement, then the purge and a restore of alice, on the same daemons', () => {
  const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
  /** How the archive names what it keeps of alice: username, UID and the time of the purge. */
  let stem: string;

  it('retired: every service of hers is off (her list refused, her vhost 503, her role and user locked, in the deny list)', async () => {
    await retireAccount(ctx, 'alice', { deactivateAfter: 0, deleteAfter: 1 });
    const report = await apply(['alice']);
    expect(brief(report.outcomes)).toEqual([
      'postgres: freeze role alice: NOLOGIN (was LOGIN: kept for the unfreeze)',
      `user-list: ${FTP_USERS} (ftp denied): add alice`,
      `user-list: ${DOMTOOL_ACL} (domtool allowed): remove alice`,
      "mariadb: lock 'alice'@'localhost' and end alice's connections (databases disabled)",
      `mail-lists: ${MAP}: refuse alice-news@example.org`,
      'vhosts: suspend www.alice.test (alice): 503 with the suspended page',
    ]);
    expect(await pgRefusal('alice', 'alice_db')).toBe('role "alice" is not permitted to log in');
    expect(await mariaErrno('alice', 'alice-pw', 'alice_db')).toBe(4151);
    expect((await rcpt('alice-news@example.org')).code).toBe(550);
    expect(await http('www.alice.test')).toEqual({ status: 503, body: PAGE });
    expect(await suspensionFlags()).toEqual(['www.alice.test']);
    expect(await readFile(join(root, FTP_USERS), 'utf8')).toBe(`${FTP_USERS_SHIPPED}alice\n`);
  });

  it('purged: each database dumped into the archive (checked by its SHA-256), then dropped with her role and user; her list and vhost gone', async () => {
    now = new Date('2026-11-25T12:00:00Z');
    const purged = await purge(ctx);
    expect(purged.results).toEqual([{ username: 'alice', purgeAt: '2026-11-24T00:00:00.000Z', ok: true }]);
    const report = await apply();
    expect(brief(report.outcomes)).toEqual([
      `postgres: dump database alice_db of purged alice to ${ARCHIVE}`,
      'postgres: drop database alice_db of purged alice (after its dump)',
      'postgres: drop role alice of purged account alice',
      `user-list: ${FTP_USERS} (ftp denied): remove alice`,
      `mariadb: dump database alice_db of alice into ${ARCHIVE}`,
      'mariadb: drop database alice_db of alice (after its dump)',
      "mariadb: drop user 'alice'@'localhost' (alice purged)",
      `mail-lists: ${MAP}: reopen alice-news@example.org`,
      'vhosts: remove www.alice.test (alice): no longer desired',
    ]);

    stem = `alice-${(await ctx.store.read.getAccount('alice'))?.uid ?? '?'}-20261125T120000000Z`;
    const archive = join(root, ARCHIVE);
    expect((await readdir(archive)).sort()).toEqual([
      `${stem}.mariadb-database.alice_db.sql`,
      `${stem}.mariadb.manifest.json`,
      `${stem}.postgres-database.alice_db.dump`,
      `${stem}.postgres.manifest.json`,
    ]);
    for (const m of [`${stem}.mariadb.manifest.json`, `${stem}.postgres.manifest.json`]) {
      const manifest = JSON.parse(await readFile(join(archive, m), 'utf8')) as ResourceArchiveManifest;
      expect(manifest.owner).toBe('alice');
      expect(manifest.files.map((f) => f.name)).toEqual(['alice_db']);
      for (const f of manifest.files) {
        const bytes = await readFile(join(archive, f.file));
        expect([f.file, sha256(bytes), bytes.length]).toEqual([f.file, f.sha256, f.bytes]);
      }
    }
    expect(await pgDatabases()).toEqual(['bob_db']);
    expect(await pgRole('alice')).toBeUndefined();
    expect(await mariaDatabases()).toEqual(['bob_db']);
    expect((await mariaUsers()).map((u) => u.u)).toEqual(['bob@localhost', 'carol@localhost']);
    expect(await readdir(join(root, VHOSTS))).toEqual(['roster-vhost-www.bob.test.conf']);
    // Her vhost's flag went after its file.
    expect(await suspensionFlags()).toEqual([]);
    expect((await http('www.alice.test')).status).toBe(404);
    // Nothing refuses the list any more: the map names no list.
    expect((await readFile(join(root, MAP), 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    expect((await rcpt('alice-news@example.org')).code).toBe(250);
    expect(await readFile(join(root, FTP_USERS), 'utf8')).toBe(FTP_USERS_SHIPPED);
    expect(await readFile(join(root, DOMTOOL_ACL), 'utf8')).toBe('bob\ncarol\n');
    expect(await pending()).toEqual([]);
  });

  it('restored: her databases come back from the dumps with their data, her vhost serves again and her list is open', async () => {
    await restoreAccount(ctx, 'alice');
    const report = await apply();
    expect(brief(report.outcomes)).toEqual([
      'postgres: create role alice (LOGIN, peer login)',
      `postgres: restore database alice_db owned by alice from ${stem}.postgres-database.alice_db.dump`,
      `user-list: ${DOMTOOL_ACL} (domtool allowed): add alice`,
      "mariadb: create user 'alice'@'localhost' identified via mysql_native_password or unix_socket",
      `mariadb: restore database alice_db of alice from ${stem}.mariadb-database.alice_db.sql`,
      'vhosts: serve www.alice.test (alice) from /home/alice/public_html',
    ]);
    const s = await pgConnect('alice', 'alice_db');
    expect((await s.query<{ body: string }>('select body from notes')).rows).toEqual([{ body: 'alice kept this' }]);
    await s.end();
    expect(await mariaRows('SELECT body FROM alice_db.notes')).toEqual([{ body: 'alice kept this' }]);
    expect(await http('www.alice.test')).toEqual({ status: 200, body: "alice's pages\n" });
    expect((await rcpt('alice-news@example.org')).code).toBe(250);
    expect(await pending()).toEqual([]);
    // Everything Roster writes is as it was before the freeze: her vhost file names the same resource, her allow-list line is back in its place.
    expect(await configFiles()).toEqual(filesBeforeFreeze);
  });
});
