import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configProblems } from '../../../test/config-problems.js';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import { startPostgresCluster, type PostgresCluster } from '../../../test/daemons/postgres-cluster.js';
import { exampleAppContext } from '../../../test/example-app-context.js';
import { createAccount } from '../../app/accounts.js';
import { freezeAccount, unfreezeAccount } from '../../app/lifecycle-actions.js';
import { addPerson } from '../../app/people.js';
import { purgeAccount } from '../../app/purge.js';
import { addResource } from '../../app/resources.js';
import { restoreAccount } from '../../app/restore-account.js';
import { parseConfig } from '../../config/load-config.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { reconcileHost } from '../../reconcile/reconcile-host.js';
import { openStore } from '../../store/open-store.js';
import { targetRegistry } from '../registry.js';
import type { DesiredAccount, DesiredHost, DesiredResource, RemovedAccount } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import { applyPrepared, type ChangeOutcome } from '../../reconcile/apply-host-plan.js';
import { planDesired } from '../../reconcile/host-plan.js';
import type { ResourceArchiveManifest } from '../resource-archive.js';
import type { Change, TargetContext } from '../target.js';
import { postgresConfigSchema, type PostgresConfig } from './postgres-config.js';
import { postgresDatabaseKind } from './postgres-database-kind.js';
import { postgresTarget } from './postgres-target.js';

/**
 * The postgres target against a real cluster (DESIGN.md §8): one initdb'd
 * cluster for this file on a free loopback port, managed through a role that
 * is not a superuser (CREATEROLE CREATEDB, pg_signal_backend) whose password
 * comes from a file; members connect by trust on 127.0.0.1, so that a
 * connection as a role is refused only by its NOLOGIN. Each test has its own
 * accounts, so they share the cluster without seeing each other's objects.
 */

const ARCHIVE = '/var/lib/roster/archive';
const PASSWORD = 'adm1n secret';

let cluster: PostgresCluster;
let root: string;
/** What afterAll undoes: only what beforeAll got as far as making. */
const cleanups: Array<() => Promise<unknown>> = [];
let ctx: TargetContext;
let config: PostgresConfig;

beforeAll(async () => {
  cluster = await startPostgresCluster({
    hba: ['local all all trust', 'host all roster 127.0.0.1/32 scram-sha-256', 'host all all 127.0.0.1/32 trust'],
  });
  cleanups.push(() => cluster.stop());
  await cluster.query(`create role roster login createrole createdb password '${PASSWORD}'`);
  await cluster.query('grant pg_signal_backend to roster');
  root = await mkdtemp(join(tmpdir(), 'roster-postgres-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'etc/roster'), { recursive: true });
  await writeFile(join(root, 'etc/roster/postgres.password'), `${PASSWORD}\n`, { mode: 0o600 });
  ctx = { root, host: 'db', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
  config = postgresConfigSchema.parse({ url: cluster.url('roster'), passwordFile: '/etc/roster/postgres.password', archiveDir: ARCHIVE, backendGrace: 1000 });
}, 60_000);

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo();
});

/**
 * Each test is its own host: markers name the host that manages an object,
 * so a whole-host plan of one test leaves the others' databases alone (it
 * would otherwise dump and drop them as no longer desired).
 */
let hostName = 'db';
let testNo = 0;
beforeEach(() => {
  hostName = `db${++testNo}`;
  ctx = { ...ctx, host: hostName };
});

let nextResource = 1;
function database(owner: string, name: string, settings: Record<string, unknown> = {}): DesiredResource {
  return { id: nextResource++, kind: 'postgres-database', name, owner, settings };
}

function host(accounts: readonly DesiredAccount[], resources: readonly DesiredResource[] = [], options: { readonly removed?: readonly RemovedAccount[]; readonly freezeKeep?: readonly string[] } = {}): DesiredHost {
  return { ...fixtureHost(accounts, options), host: hostName, ...(resources.length === 0 ? {} : { resources: { postgres: resources } }), purge: { archive: true, archiveDir: '/unused' } };
}

async function plan(desired: DesiredHost, c: PostgresConfig = config): Promise<readonly Change[]> {
  return postgresTarget.plan(desired, await postgresTarget.observe(ctx, c, desired), c);
}

/** Observe, plan, apply and verify through the pipeline, as `roster apply` does: what each change became. */
async function converge(desired: DesiredHost, c: PostgresConfig = config): Promise<readonly ChangeOutcome[]> {
  const prepared = await planDesired([{ target: postgresTarget, config: c }], desired, ctx);
  return (await applyPrepared(ctx, prepared)).outcomes;
}

const brief = (outcomes: readonly ChangeOutcome[]): string[] => outcomes.map((o) => `${o.status} ${o.action} ${o.subject}${o.error === undefined ? '' : `: ${o.error}`}`);

/** A session as `user` (trust on 127.0.0.1), or the server's refusal. */
async function connectAs(user: string, db = 'postgres'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: cluster.url(user, db) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function refusal(user: string, db = 'postgres'): Promise<string> {
  try {
    const c = await connectAs(user, db);
    await c.end();
    return 'connected';
  } catch (e) {
    return (e as Error).message;
  }
}

function psql(user: string, sql: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(join(cluster.binDir, 'psql'), ['-X', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', user, '-d', 'postgres', '-Atc', sql], { env: { PATH: process.env.PATH, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: `${stdout}${stderr}`.trim() });
    });
  });
}

async function role(name: string): Promise<{ canLogin: boolean; validUntil: string | null; comment: string | null } | undefined> {
  const r = await cluster.query<{ can_login: boolean; valid_until: string | null; comment: string | null }>(
    "select rolcanlogin as can_login, to_char(rolvaliduntil at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as valid_until, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1",
    [name],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : { canLogin: row.can_login, validUntil: row.valid_until, comment: row.comment };
}

async function databaseOwner(name: string): Promise<string | undefined> {
  const r = await cluster.query<{ owner: string }>('select pg_get_userbyid(datdba) as owner from pg_database where datname = $1', [name]);
  return r.rows[0]?.owner;
}

const marker = (comment: string | null | undefined): unknown => (comment === null || comment === undefined ? null : (JSON.parse(comment) as { roster: unknown }).roster);

describe('postgres target: roles and databases', () => {
  it('gives each account a role and each of its databases, owned by the role and marked; a second plan is empty', async () => {
    const alice = fixtureAccount('alice', 3001);
    const desired = host([alice], [database('alice', 'alice_blog', { encoding: 'UTF8', locale: 'C.UTF-8' })]);
    expect(brief(await converge(desired))).toEqual(['ok create postgres-role:alice', 'ok create postgres-database:alice_blog']);
    expect(await role('alice')).toEqual({ canLogin: true, validUntil: null, comment: `{"roster":{"host":"${hostName}","owner":"alice","uid":3001,"login":"peer"}}` });
    expect(await databaseOwner('alice_blog')).toBe('alice');
    const comment = await cluster.query<{ c: string }>("select shobj_description(oid, 'pg_database') as c from pg_database where datname = 'alice_blog'");
    expect(marker(comment.rows[0]?.c)).toEqual({ host: hostName, owner: 'alice', uid: 3001, resource: desired.resources?.postgres?.[0]?.id });
    // The member uses it as its own.
    const session = await connectAs('alice', 'alice_blog');
    await session.query('create table posts (id int primary key, title text)');
    await session.end();
    expect(await plan(desired)).toEqual([]);
  });

  it('a database name is a lower-case PostgreSQL identifier of at most 63 characters, and not a system name', () => {
    const name = postgresDatabaseKind.name;
    expect(['alice_blog', '_x1', 'a'.repeat(63)].map((n) => name?.safeParse(n).success)).toEqual([true, true, true]);
    expect(['Alice', 'alice-blog', '1db', 'a'.repeat(64), 'postgres', 'template1', 'pg_x', ''].map((n) => name?.safeParse(n).success)).toEqual([false, false, false, false, false, false, false, false]);
    expect(postgresDatabaseKind.settings.safeParse({ encoding: "UTF8'; drop" }).success).toBe(false);
  });
});

describe('postgres target: freeze and unfreeze', () => {
  it('freeze: NOLOGIN, the open session is ended and a new one refused (pg and psql); unfreeze: it logs in again; each idempotent', async () => {
    const bob = fixtureAccount('bob', 3002);
    const bobDb = database('bob', 'bob_db');
    await converge(host([bob], [bobDb]));
    const open = await connectAs('bob', 'bob_db');
    const pid = (await open.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    expect((await psql('bob', 'select 1')).out).toBe('1');

    const frozen = host([fixtureAccount('bob', 3002, { holds: [FREEZE_BILLING] })], [bobDb]);
    const outcomes = await converge(frozen);
    expect(brief(outcomes)).toEqual(['ok lock postgres-role:bob']);
    expect(outcomes[0]?.summary).toBe('freeze role bob: NOLOGIN and end its 1 session (was LOGIN: kept for the unfreeze)');
    expect(outcomes[0]?.detail).toMatchObject({ role: 'bob', recorded: { canLogin: true, validUntil: null } });
    // The session that was open is gone, and no new one gets in.
    expect((await cluster.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount).toBe(0);
    await expect(open.query('select 1')).rejects.toThrow(/terminat|not queryable/);
    expect(await refusal('bob', 'bob_db')).toBe('role "bob" is not permitted to log in');
    const viaPsql = await psql('bob', 'select 1');
    expect(viaPsql.code).not.toBe(0);
    expect(viaPsql.out).toContain('role "bob" is not permitted to log in');
    expect(marker((await role('bob'))?.comment)).toEqual({ host: hostName, owner: 'bob', uid: 3002, login: 'peer', frozen: { canLogin: true, validUntil: null } });
    expect(await plan(frozen)).toEqual([]);

    // freeze.keep naming databases spares them.
    expect((await plan(host([fixtureAccount('bob', 3002, { holds: [FREEZE_BILLING] })], [bobDb], { freezeKeep: ['mail', 'portal', 'databases'] }))).map((c) => c.action)).toEqual(['unlock']);

    const thawed = host([bob], [bobDb]);
    expect(brief(await converge(thawed))).toEqual(['ok unlock postgres-role:bob']);
    expect(await role('bob')).toEqual({ canLogin: true, validUntil: null, comment: `{"roster":{"host":"${hostName}","owner":"bob","uid":3002,"login":"peer"}}` });
    expect(await refusal('bob', 'bob_db')).toBe('connected');
    expect(await plan(thawed)).toEqual([]);
  });

  it('a retirement disables databases whatever freeze.keep says', async () => {
    const ivy = fixtureAccount('ivy', 3009);
    await converge(host([ivy]));
    const retired = host([fixtureAccount('ivy', 3009, { holds: [RETIRED] })], [], { freezeKeep: ['mail', 'portal', 'databases'] });
    expect(brief(await converge(retired))).toEqual(['ok lock postgres-role:ivy']);
    expect(await refusal('ivy')).toBe('role "ivy" is not permitted to log in');
  });

  it('a role NOLOGIN by hand before the freeze is still NOLOGIN after the unfreeze, and a VALID UNTIL is kept as it was', async () => {
    const carol = fixtureAccount('carol', 3003);
    const dan = fixtureAccount('dan', 3004);
    await converge(host([carol, dan]));
    await cluster.query("alter role carol nologin valid until '2031-05-06 07:08:09+00'");
    await cluster.query("alter role dan valid until '2030-01-02 03:04:05+00'");

    const frozenAccounts = [fixtureAccount('carol', 3003, { holds: [FREEZE_BILLING] }), fixtureAccount('dan', 3004, { holds: [FREEZE_BILLING] })];
    expect(brief(await converge(host(frozenAccounts)))).toEqual(['ok lock postgres-role:carol', 'ok lock postgres-role:dan']);
    expect(marker((await role('carol'))?.comment)).toMatchObject({ frozen: { canLogin: false, validUntil: '2031-05-06 07:08:09+00' } });
    expect(await role('dan')).toMatchObject({ canLogin: false, validUntil: '2030-01-02 03:04:05' });

    // Someone gives dan LOGIN during the freeze: Roster freezes it again and keeps the first record.
    await cluster.query('alter role dan login');
    const again = await converge(host(frozenAccounts));
    expect(brief(again)).toEqual(['ok lock postgres-role:dan']);
    expect(marker((await role('dan'))?.comment)).toMatchObject({ frozen: { canLogin: true, validUntil: '2030-01-02 03:04:05+00' } });

    expect(brief(await converge(host([carol, dan])))).toEqual(['ok unlock postgres-role:carol', 'ok unlock postgres-role:dan']);
    expect(await role('carol')).toMatchObject({ canLogin: false, validUntil: '2031-05-06 07:08:09' });
    expect(await role('dan')).toMatchObject({ canLogin: true, validUntil: '2030-01-02 03:04:05' });
    expect(await refusal('carol')).toBe('role "carol" is not permitted to log in');
    expect(await refusal('dan')).toBe('connected');
    expect(await plan(host([carol, dan]))).toEqual([]);
  });

  it('a session that does not end when told is a failed change (verify), not a silent success', async () => {
    const hank = fixtureAccount('hank', 3008);
    await converge(host([hank]));
    const open = await connectAs('hank');
    const pid = Number((await open.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid);
    // A stopped backend cannot act on the SIGTERM pg_terminate_backend sends it.
    process.kill(pid, 'SIGSTOP');
    try {
      const outcomes = await converge(host([fixtureAccount('hank', 3008, { holds: [FREEZE_BILLING] })]));
      expect(brief(outcomes)).toEqual([`failed lock postgres-role:hank: applied but not in effect: role hank still has a session 1000 ms after they were ended (PID ${pid})`]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await expect(open.query('select 1')).rejects.toThrow();
    // Once it is gone, the freeze holds and the next plan has nothing left.
    for (let i = 0; i < 50 && (await cluster.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await plan(host([fixtureAccount('hank', 3008, { holds: [FREEZE_BILLING] })]))).toEqual([]);
  });
});

describe('postgres target: what is not Roster\'s', () => {
  it('never alters an unmanaged role or database; a collision with one is a failed change naming both', async () => {
    await cluster.query("create role dave login valid until '2032-01-01 00:00:00+00'");
    await cluster.query("comment on role dave is 'the DBA''s own'");
    await cluster.query('create database shared_db');
    const before = { dave: await role('dave'), owner: await databaseOwner('shared_db') };
    const erin = fixtureAccount('erin', 3005);
    // dave is frozen, too: the unmanaged role is still not touched.
    const desired = host([fixtureAccount('dave', 3006, { holds: [FREEZE_BILLING] }), erin], [database('dave', 'dave_db'), database('erin', 'shared_db'), database('erin', 'erin_db')]);
    const ids = desired.resources?.postgres?.map((r) => r.id) ?? [];
    const outcomes = await converge(desired);
    expect(brief(outcomes)).toEqual([
      'failed refuse postgres-role:dave: account dave (UID 3006) cannot have role dave: it is not managed by Roster (no Roster marker in its comment)',
      'ok create postgres-role:erin',
      `failed refuse postgres-database:dave_db: database dave_db (resource #${ids[0]}) of dave cannot be made: role dave is not Roster's`,
      `failed refuse postgres-database:shared_db: erin's postgres-database shared_db (resource #${ids[1]}) collides with database shared_db owned by postgres: it is not managed by Roster (no Roster marker in its comment)`,
      'ok create postgres-database:erin_db',
    ]);
    expect({ dave: await role('dave'), owner: await databaseOwner('shared_db') }).toEqual(before);
    expect(await databaseOwner('dave_db')).toBeUndefined();
    // A marker of another host is not this host's either.
    await cluster.query(`comment on role dave is '{"roster":{"host":"elsewhere","owner":"dave","uid":3006,"login":"peer"}}'`);
    expect((await plan(desired)).map((c) => c.summary)[0]).toBe(`account dave (UID 3006) cannot have role dave: Roster manages it for host elsewhere, not ${hostName}`);
    await cluster.query('drop role dave');
    await cluster.query('drop database shared_db');
  });
});

describe("postgres target: a marker is not proof on what its owner may comment", () => {
  it('a database whose marker names someone its owner is not is neither dropped nor handed over', async () => {
    const quinn = fixtureAccount('quinn', 3016);
    await converge(host([quinn]));
    // quinn owns the database, so quinn may write its comment: here, a marker of purged rob.
    await cluster.query('create database quinn_fake owner quinn');
    await cluster.query(`comment on database quinn_fake is '{"roster":{"host":"${hostName}","owner":"rob","uid":3017,"resource":999}}'`);
    const rob: RemovedAccount = { username: 'rob', uid: 3017, home: '/home/rob', purgedAt: '2026-11-22T00:00:00.000Z' };
    expect(await plan(host([quinn], [], { removed: [rob] }))).toEqual([]);
    const wanted = database('quinn', 'quinn_fake');
    expect(brief(await converge(host([quinn], [wanted], { removed: [rob] })))).toEqual([
      `failed refuse postgres-database:quinn_fake: quinn's postgres-database quinn_fake (resource #${wanted.id}) collides with database quinn_fake owned by quinn: its marker names rob, but quinn owns it, so it is not taken as Roster's`,
    ]);
    expect(await databaseOwner('quinn_fake')).toBe('quinn');
    await cluster.query('drop database quinn_fake');
  });
});

describe('postgres target: purge and restore', () => {
  const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('purge: each database dumped into the archive and checked by its SHA-256, then dropped, then the role; restore brings the data back', async () => {
    const frank = fixtureAccount('frank', 3007);
    const dbs = [database('frank', 'frank_a'), database('frank', 'frank_b')];
    await converge(host([frank], dbs));
    for (const [db, n] of [['frank_a', 3], ['frank_b', 5]] as const) {
      const s = await connectAs('frank', db);
      await s.query('create table notes (id int primary key, body text)');
      await s.query('insert into notes select g, $1 || g from generate_series(1, $2::int) g', [db, n]);
      await s.query("comment on table notes is 'frank''s notes'");
      await s.end();
    }
    const removed: RemovedAccount = { username: 'frank', uid: 3007, home: '/home/frank', purgedAt: '2026-11-20T10:00:00.000Z' };
    const purged = host([], [], { removed: [removed] });
    const outcomes = await converge(purged);
    expect(brief(outcomes)).toEqual([
      'ok archive postgres-database:frank_a',
      'ok delete postgres-database:frank_a',
      'ok archive postgres-database:frank_b',
      'ok delete postgres-database:frank_b',
      'ok delete postgres-role:frank',
    ]);
    expect(outcomes.filter((o) => o.destructive).length).toBe(3);
    const dir = join(root, ARCHIVE);
    const stem = 'frank-3007-20261120T100000000Z';
    expect(readdirSync(dir).filter((n) => n.startsWith('frank-')).sort()).toEqual([`${stem}.postgres-database.frank_a.dump`, `${stem}.postgres-database.frank_b.dump`, `${stem}.postgres.manifest.json`]);
    const manifest = JSON.parse(readFileSync(join(dir, `${stem}.postgres.manifest.json`), 'utf8')) as ResourceArchiveManifest;
    expect(manifest).toMatchObject({ format: 'roster-resource-archive/1', target: 'postgres', host: hostName, owner: 'frank', uid: 3007, stamp: '20261120T100000000Z' });
    for (const f of manifest.files) expect(f.sha256).toBe(sha(join(dir, f.file)));
    // A real custom-format dump that lists the table and its rows.
    const list = await new Promise<string>((resolve) => execFile(join(cluster.binDir, 'pg_restore'), ['--list', join(dir, `${stem}.postgres-database.frank_a.dump`)], (_e, out) => resolve(out)));
    expect(list).toMatch(/TABLE public notes/);
    expect(list).toMatch(/TABLE DATA public notes/);
    expect([await databaseOwner('frank_a'), await databaseOwner('frank_b'), await role('frank')]).toEqual([undefined, undefined, undefined]);
    expect(await plan(purged)).toEqual([]);

    // The account is restored: its role and databases come back, with their data, owned by it.
    const restored = host([frank], dbs);
    expect(brief(await converge(restored))).toEqual(['ok create postgres-role:frank', 'ok restore postgres-database:frank_a', 'ok restore postgres-database:frank_b']);
    const s = await connectAs('frank', 'frank_b');
    expect((await s.query<{ n: string; owner: string; c: string }>("select count(*)::text as n, (select tableowner from pg_tables where tablename = 'notes') as owner, obj_description('notes'::regclass) as c from notes")).rows).toEqual([{ n: '5', owner: 'frank', c: "frank's notes" }]);
    await s.end();
    expect(await databaseOwner('frank_a')).toBe('frank');
    const after = JSON.parse(readFileSync(join(dir, `${stem}.postgres.manifest.json`), 'utf8')) as ResourceArchiveManifest;
    expect(after.files.map((f) => f.restoredAt)).toEqual(['2026-11-23T12:00:00.000Z', '2026-11-23T12:00:00.000Z']);
    expect(await plan(restored)).toEqual([]);
  });

  it('a dump that does not match its SHA-256 is not restored; a database removed from a live account is dumped and dropped, its role stays', async () => {
    const gina = fixtureAccount('gina', 3010);
    const db = database('gina', 'gina_db');
    await converge(host([gina], [db]));
    // Removed by `roster resource remove`: dumped with the projection's time, then dropped.
    expect(brief(await converge(host([gina])))).toEqual(['ok archive postgres-database:gina_db', 'ok delete postgres-database:gina_db']);
    expect(await role('gina')).toMatchObject({ canLogin: true });
    const dump = join(root, ARCHIVE, 'gina-3010-20261123T120000000Z.postgres-database.gina_db.dump');
    writeFileSync(dump, Buffer.concat([readFileSync(dump), Buffer.from('x')]));
    // Added again: the archive is found, refused for its SHA-256, and nothing is created.
    const outcomes = await converge(host([gina], [db]));
    expect(brief(outcomes)).toEqual([expect.stringMatching(/^failed restore postgres-database:gina_db: gina-3010-20261123T120000000Z\.postgres-database\.gina_db\.dump does not match gina-3010-20261123T120000000Z\.postgres\.manifest\.json \(sha256 [0-9a-f]{64}/)]);
    expect(await databaseOwner('gina_db')).toBeUndefined();
  });

  it('a database a crashed restore left half done (its marker says so) is dropped and restored again', async () => {
    const pat = fixtureAccount('pat', 3015);
    const db = database('pat', 'pat_db');
    await converge(host([pat], [db]));
    const s = await connectAs('pat', 'pat_db');
    await s.query("create table t as select 'whole' as v");
    await s.end();
    await converge(host([pat]));
    // What a crash between CREATE DATABASE and the end of pg_restore leaves behind.
    await cluster.query('create database pat_db owner pat');
    await cluster.query(`comment on database pat_db is '{"roster":{"host":"${hostName}","owner":"pat","uid":3015,"resource":${db.id},"restoring":true}}'`);
    const outcomes = await converge(host([pat], [db]));
    expect(outcomes.map((o) => `${o.status} ${o.summary}`)).toEqual([`ok restore database pat_db owned by pat from pat-3015-20261123T120000000Z.postgres-database.pat_db.dump (replacing a restore that did not finish)`]);
    const back = await connectAs('pat', 'pat_db');
    expect((await back.query<{ v: string }>('select v from t')).rows).toEqual([{ v: 'whole' }]);
    await back.end();
    expect(await plan(host([pat], [db]))).toEqual([]);
  });

  it('with archiving off a database is dropped without a dump; a database owned by an unmanaged role keeps DROP ROLE from running and says why', async () => {
    const kim = fixtureAccount('kim', 3011);
    await converge(host([kim], [database('kim', 'kim_db')]));
    await cluster.query('create database kim_private owner kim');
    const off = postgresConfigSchema.parse({ ...config, archive: false });
    const outcomes = await converge(host([], [], { removed: [{ username: 'kim', uid: 3011, home: '/home/kim', purgedAt: '2026-11-21T00:00:00.000Z' }] }), off);
    expect(brief(outcomes)).toEqual(['ok delete postgres-database:kim_db', 'failed delete postgres-role:kim: role "kim" cannot be dropped because some objects depend on it (owner of database kim_private)']);
    expect(readdirSync(join(root, ARCHIVE)).filter((n) => n.startsWith('kim-'))).toEqual([]);
    expect(await databaseOwner('kim_private')).toBe('kim');
    await cluster.query('drop database kim_private');
  });
});

describe('postgres target: usage and scope', () => {
  it('reports the size of each managed database per owner, and nothing of unmanaged ones', async () => {
    const lou = fixtureAccount('lou', 3012);
    const desired = host([lou], [database('lou', 'lou_one'), database('lou', 'lou_two')]);
    await converge(desired);
    await cluster.query('create database lou_unmanaged');
    const s = await connectAs('lou', 'lou_two');
    await s.query("create table big as select g, repeat('x', 500) as pad from generate_series(1, 20000) g");
    await s.end();
    const usage = (await postgresTarget.usage?.(ctx, config, desired)) ?? [];
    const sizes = await cluster.query<{ datname: string; bytes: string }>("select datname, pg_database_size(oid)::text as bytes from pg_database where datname like 'lou_%' order by datname");
    const size = (n: string): number => Number(sizes.rows.find((r) => r.datname === n)?.bytes);
    expect(usage.filter((u) => u.account === 'lou')).toEqual([
      { account: 'lou', subject: 'postgres-database:lou_one', bytes: size('lou_one') },
      { account: 'lou', subject: 'postgres-database:lou_two', bytes: size('lou_two') },
    ]);
    expect(size('lou_two') - size('lou_one')).toBeGreaterThan(5_000_000);
    expect(usage.some((u) => u.subject.includes('unmanaged'))).toBe(false);
    await cluster.query('drop database lou_unmanaged');
  });

  it('a scoped plan touches its accounts only; the login method lives in the marker', async () => {
    const mia = fixtureAccount('mia', 3013);
    const ned = fixtureAccount('ned', 3014);
    await converge(host([mia, ned], [database('ned', 'ned_db')]));
    // Scoped to mia: ned's database is not in this state, and is left alone.
    const scoped: DesiredHost = { ...host([fixtureAccount('mia', 3013, { targets: { postgres: { login: 'password' } } })]), scope: ['mia'] };
    expect((await plan(scoped)).map((c) => c.summary)).toEqual(['mark role mia: password login (was peer)']);
    expect(brief(await converge(scoped))).toEqual(['ok update postgres-role:mia']);
    expect(marker((await role('mia'))?.comment)).toMatchObject({ login: 'password' });
    expect(await databaseOwner('ned_db')).toBe('ned');
  });

  it('a server it cannot reach makes the target unavailable, naming the url without its password', async () => {
    const bad = postgresConfigSchema.parse({ url: `postgres://roster:hunter2@127.0.0.1:1/postgres` });
    await expect(postgresTarget.observe(ctx, bad, host([]))).rejects.toThrow(/^cannot connect to PostgreSQL at postgres:\/\/roster:\*\*\*@127\.0\.0\.1:1\/postgres: /);
  });
});

describe('postgres target: registered with the others, from roster.yaml to the server', () => {
  const targets = targetRegistry;
  const yaml = (section: string, login = 'password'): string => `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
hosts:
  db:
    targets:
      postgres: ${section}
types:
  member:
    hosts: { live: [db] }
    targets:
      postgres: { login: ${login} }
`;
  const section = (): string => `{ url: "${cluster.url('roster')}", passwordFile: /etc/roster/postgres.password, archiveDir: ${ARCHIVE}, backendGrace: 1000 }`;

  const problems = (text: string): string[] => configProblems(text, targets);

  it('checks its host and type sections in roster.yaml, and roster doctor finds the tools and what the role may do', async () => {
    expect(problems(yaml(section()))).toEqual([]);
    expect(problems(yaml('{ url: "mysql://x/y", passwrodFile: /etc/p, backendGrace: -1 }', 'ident'))).toEqual([
      'roster.yaml:8:24: hosts.db.targets.postgres.url: the postgres url must look like postgres://user@host:port/database (without a #fragment)',
      'roster.yaml:8:39: hosts.db.targets.postgres.passwrodFile: unknown key (did you mean passwordFile?)',
      'roster.yaml:8:75: hosts.db.targets.postgres.backendGrace: must be at least 0',
      'roster.yaml:13:26: types.member.targets.postgres.login: must be one of peer, password, got the string "ident"',
    ]);
    const rosterConfig = parseConfig(yaml(section()), 'roster.yaml', { targets }).config;
    const doctor = async (c: PostgresConfig): Promise<Array<[string, string]>> =>
      ((await postgresTarget.doctor?.({ host: 'db', root, config: rosterConfig, system: liveSystem() }, c)) ?? []).map((x) => [x.status, x.message]);
    expect(await doctor(config)).toEqual([
      ['ok', expect.stringMatching(/pg_dump runs \(pg_dump \(PostgreSQL\) \d+/)],
      ['ok', expect.stringMatching(/pg_restore runs \(pg_restore \(PostgreSQL\) \d+/)],
      ['ok', `roster on postgres://roster@127.0.0.1:${cluster.port}/postgres may create and drop roles and databases and end sessions`],
    ]);
    await cluster.query('create role weak login');
    try {
      expect((await doctor(postgresConfigSchema.parse({ url: cluster.url('weak') })))[2]).toEqual(['fail', `weak on postgres://weak@127.0.0.1:${cluster.port}/postgres may not create roles and databases (CREATEROLE no, CREATEDB no)`]);
    } finally {
      await cluster.query('drop role weak');
    }
    expect((await doctor(postgresConfigSchema.parse({ url: 'postgres://roster@127.0.0.1:1/postgres', binDir: '/nonexistent' }))).map((x) => x[0])).toEqual(['fail', 'fail', 'fail']);
  });

  it('an account and its database through the store: added, frozen, unfrozen, purged with a dump, restored with its data', async () => {
    const app = exampleAppContext(await openStore(join(root, 'roster.db')), '2026-11-23T12:00:00Z', { config: parseConfig(yaml(section()), 'roster.yaml', { targets }).config });
    try {
      const apply = async (): Promise<string[]> => brief((await reconcileHost(app, targets, { host: 'db', root })).report.outcomes);
      await addPerson(app, { id: 'P9', firstName: 'Olga', lastName: 'Example' });
      const account = await createAccount(app, { personId: 'P9', type: 'member', username: 'olga' });
      const bad = await addResource(app, targets, { user: 'olga', kind: 'postgres-database', name: 'Olga-Blog', host: 'db' }).catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'bad_input', message: expect.stringContaining('"Olga-Blog" is not a postgres-database name: must be a lower-case PostgreSQL identifier') });
      await addResource(app, targets, { user: 'olga', kind: 'postgres-database', name: 'olga_blog', host: 'db', settings: { encoding: 'UTF8' } });
      expect(await apply()).toEqual(['ok create postgres-role:olga', 'ok create postgres-database:olga_blog']);
      expect(marker((await role('olga'))?.comment)).toEqual({ host: 'db', owner: 'olga', uid: account.uid, login: 'password' });
      const s = await connectAs('olga', 'olga_blog');
      await s.query("create table t as select 'kept' as v");

      await freezeAccount(app, 'olga', { reason: 'billing' });
      expect(await apply()).toEqual(['ok lock postgres-role:olga']);
      await expect(s.query('select 1')).rejects.toThrow();
      expect(await refusal('olga', 'olga_blog')).toBe('role "olga" is not permitted to log in');
      await unfreezeAccount(app, 'olga', { reason: 'billing' });
      expect(await apply()).toEqual(['ok unlock postgres-role:olga']);
      expect(await refusal('olga', 'olga_blog')).toBe('connected');
      expect(await apply()).toEqual([]);

      await app.store.transaction(async (tx) => {
        const olga = await tx.getAccount('olga');
        if (olga !== undefined) await purgeAccount(tx, app, olga, 'test');
      });
      expect(await apply()).toEqual(['ok archive postgres-database:olga_blog', 'ok delete postgres-database:olga_blog', 'ok delete postgres-role:olga']);
      expect(await role('olga')).toBeUndefined();
      await restoreAccount(app, 'olga');
      expect(await apply()).toEqual(['ok create postgres-role:olga', 'ok restore postgres-database:olga_blog']);
      const back = await connectAs('olga', 'olga_blog');
      expect((await back.query<{ v: string }>('select v from t')).rows).toEqual([{ v: 'kept' }]);
      await back.end();
      expect(await apply()).toEqual([]);
    } finally {
      await app.store.close();
    }
  });
});
