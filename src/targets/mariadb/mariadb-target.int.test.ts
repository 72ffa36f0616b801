import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMariadb, type MariadbServer } from '../../../test/daemons/mariadb-server.js';
import { FREEZE_BILLING, fixtureAccount, fixtureHost, RETIRED } from '../../../test/desired-fixture.js';
import { run } from '../../../test/unix-root.js';
import type { DesiredAccount, DesiredHost, DesiredResource, RemovedAccount } from '../../desired/desired-host.js';
import { parseConfig } from '../../config/load-config.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { fixedClock } from '../../domain/clock.js';
import { RosterError } from '../../domain/errors.js';
import { applyPrepared, type ApplyReport } from '../../reconcile/apply-host-plan.js';
import { enabledTargets, planDesired } from '../../reconcile/host-plan.js';
import { targetRegistry } from '../registry.js';
import type { ResourceArchiveManifest } from '../resource-archive.js';
import { defineTarget, type Change, type TargetContext } from '../target.js';
import { mariadbTarget } from './mariadb-target.js';

/**
 * The mariadb target against a real server of the test's own (mariadbd on a
 * free loopback port, data in a temp dir), through the pipeline's plan,
 * apply and verify. Members log in as members do: with the password they
 * set themselves, or over the socket as their Unix user.
 */

let server: MariadbServer;
let admin: Connection;
let root: string;
let ctx: TargetContext;
const ADMIN_PASSWORD = "s3cret'\\\"pw";
const ARCHIVE = '/var/lib/roster/archive';

function section(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: `mariadb://roster@127.0.0.1:${server.port}/`, passwordFile: '/etc/roster/mariadb.password', hostPatterns: ['localhost', '10.0.%'], archiveDir: ARCHIVE, ...over };
}

async function prepare(desired: DesiredHost, over: Record<string, unknown> = {}, target = mariadbTarget): ReturnType<typeof planDesired> {
  try {
    return await planDesired(enabledTargets([target], 'db', { mariadb: section(over) }), desired, ctx);
  } catch (e) {
    // The message says a target is unavailable; the issues say why.
    if (e instanceof RosterError) e.message = `${e.message}: ${e.issues.map((i) => i.message).join('; ')}`;
    throw e;
  }
}

async function plan(desired: DesiredHost, over: Record<string, unknown> = {}): Promise<readonly Change[]> {
  return (await prepare(desired, over)).steps.flatMap((s) => s.changes);
}

async function apply(desired: DesiredHost, over: Record<string, unknown> = {}, target = mariadbTarget): Promise<ApplyReport> {
  return applyPrepared(ctx, await prepare(desired, over, target));
}

/** Outcomes as [summary, status, error?] for readable expectations. */
function outcomes(report: ApplyReport): Array<[string, string, string?]> {
  return report.outcomes.map((o) => (o.error === undefined ? [o.summary, o.status] : [o.summary, o.status, o.error]));
}

const member = (name: string, uid: number, auth: 'password' | 'unix_socket', over: Partial<DesiredAccount> = {}): DesiredAccount => fixtureAccount(name, uid, { targets: { mariadb: { auth } }, ...over });

function database(id: number, owner: string, name: string): DesiredResource {
  return { id, kind: 'mariadb-database', name, owner, settings: { charset: 'utf8mb4' } };
}

function host(accounts: readonly DesiredAccount[], resources: readonly DesiredResource[] = [], options: { readonly removed?: readonly RemovedAccount[]; readonly freezeKeep?: readonly string[] } = {}): DesiredHost {
  return { ...fixtureHost(accounts, options), host: 'db', ...(resources.length === 0 ? {} : { resources: { mariadb: resources } }) };
}

async function rows<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  return admin.query<T[]>(sql, values);
}

async function users(): Promise<string[]> {
  const r = await rows<{ u: string }>("SELECT CONCAT(User, '@', Host) AS u FROM mysql.global_priv WHERE User NOT IN ('root', 'mariadb.sys', 'roster') ORDER BY User, Host");
  return r.map((x) => x.u);
}

async function locked(user: string, hostPattern: string): Promise<boolean> {
  const r = await rows<{ priv: string | { account_locked?: boolean } }>('SELECT Priv AS priv FROM mysql.global_priv WHERE User = ? AND Host = ?', [user, hostPattern]);
  const priv = r[0]?.priv ?? {};
  return (typeof priv === 'string' ? (JSON.parse(priv) as { account_locked?: boolean }) : priv).account_locked === true;
}

async function databases(): Promise<string[]> {
  const r = await rows<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY n");
  return r.map((x) => x.n);
}

/** A login as a member over TCP (127.0.0.1 is localhost to the server): the connection, or the server's error number. */
async function login(user: string, password: string, database?: string): Promise<Connection | number> {
  try {
    const c = await createConnection({ host: '127.0.0.1', port: server.port, user, password, ...(database === undefined ? {} : { database }) });
    // A freeze kills it: the connector then reports the closed socket as an event, which the test expects.
    c.on('error', () => undefined);
    return c;
  } catch (e) {
    return (e as { errno: number }).errno;
  }
}

async function loginErrno(user: string, password: string, database?: string): Promise<number> {
  const c = await login(user, password, database);
  if (typeof c === 'number') return c;
  await c.end();
  return 0;
}

/** A member's password, set as the member would (Roster never sets one). */
async function setPassword(user: string, hostPattern: string, password: string): Promise<void> {
  await admin.query('SET PASSWORD FOR ?@? = PASSWORD(?)', [user, hostPattern, password]);
}

beforeAll(async () => {
  server = await startMariadb();
  admin = await server.root();
  // The admin account the target uses: a password with quotes and a backslash, read from a file.
  await admin.query("CREATE USER 'roster'@'localhost' IDENTIFIED BY ?", [ADMIN_PASSWORD]);
  await admin.query("GRANT ALL PRIVILEGES ON *.* TO 'roster'@'localhost' WITH GRANT OPTION");
});

afterAll(async () => {
  await admin.end();
  await server.stop();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'roster-mariadb-root-'));
  await mkdir(join(root, 'etc/roster'), { recursive: true });
  await writeFile(join(root, 'etc/roster/mariadb.password'), `${ADMIN_PASSWORD}\n`, { mode: 0o600 });
  ctx = { root, host: 'db', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
});

afterEach(async () => {
  // Each test starts from an empty server: only the system's users and databases, and the admin account.
  for (const u of await rows<{ User: string; Host: string }>("SELECT User, Host FROM mysql.global_priv WHERE User NOT IN ('root', 'mariadb.sys', 'roster')")) await admin.query('DROP USER ?@?', [u.User, u.Host]);
  for (const d of await databases()) await admin.query(`DROP DATABASE \`${d}\``);
  await rm(root, { recursive: true, force: true });
});

describe('the mariadb target on a real server', () => {
  it('makes a user per host pattern with the type’s authentication and each database with all privileges for its owner only; a second plan is empty, also after a member sets a password', async () => {
    const desired = host([member('ann', 3001, 'password'), member('bo', 3002, 'unix_socket')], [database(1, 'ann', 'ann_blog'), database(2, 'bo', 'bo_wiki')]);
    const report = await apply(desired);
    expect(outcomes(report)).toEqual([
      ["create user 'ann'@'localhost' identified via mysql_native_password or unix_socket", 'ok'],
      ["create user 'ann'@'10.0.%' identified via mysql_native_password or unix_socket", 'ok'],
      ["create database ann_blog (utf8mb4) for ann, all privileges to 'ann'@'localhost', 'ann'@'10.0.%'", 'ok'],
      ["create user 'bo'@'localhost' identified via unix_socket", 'ok'],
      ["create user 'bo'@'10.0.%' identified via unix_socket", 'ok'],
      ["create database bo_wiki (utf8mb4) for bo, all privileges to 'bo'@'localhost', 'bo'@'10.0.%'", 'ok'],
    ]);
    expect(await users()).toEqual(['ann@10.0.%', 'ann@localhost', 'bo@10.0.%', 'bo@localhost']);
    expect(await databases()).toEqual(['ann_blog', 'bo_wiki', 'roster_meta']);
    // The grant names ann_blog alone: `_` is escaped, so it is no pattern matching annXblog.
    const grants = (await rows<Record<string, string>>("SHOW GRANTS FOR 'ann'@'localhost'")).map((r) => Object.values(r)[0]);
    expect(grants).toEqual(["GRANT USAGE ON *.* TO `ann`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket", 'GRANT ALL PRIVILEGES ON `ann\\_blog`.* TO `ann`@`localhost`']);
    expect(await plan(desired)).toEqual([]);

    // No password works until the member sets one; then ann reaches her database and nothing else.
    expect(await loginErrno('ann', '')).toBe(1698);
    await setPassword('ann', 'localhost', 'ann-pw');
    await admin.query('CREATE DATABASE annXblog');
    expect(await loginErrno('ann', 'ann-pw', 'ann_blog')).toBe(0);
    expect(await loginErrno('ann', 'ann-pw', 'bo_wiki')).toBe(1044);
    expect(await loginErrno('ann', 'ann-pw', 'annXblog')).toBe(1044);
    expect(await loginErrno('ann', 'ann-pw', 'roster_meta')).toBe(1044);
    // The password the member set is not drift: Roster never resets it.
    expect(await plan(desired)).toEqual([]);
    expect(await loginErrno('ann', 'ann-pw', 'ann_blog')).toBe(0);
  });

  it('freezes: the users are locked, a login is refused with 4151 and an open connection is killed; the unfreeze lets the member in again', async () => {
    const ann = member('ann', 3001, 'password');
    await apply(host([ann], [database(1, 'ann', 'ann_blog')]));
    await setPassword('ann', 'localhost', 'ann-pw');
    const open = await login('ann', 'ann-pw', 'ann_blog');
    if (typeof open === 'number') throw new Error(`ann cannot log in: ${open}`);
    await open.query('CREATE TABLE notes (id INT PRIMARY KEY)');

    // A billing freeze keeping databases leaves them alone.
    expect(await plan(host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [database(1, 'ann', 'ann_blog')], { freezeKeep: ['mail', 'portal', 'databases'] }))).toEqual([]);

    const frozen = host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [database(1, 'ann', 'ann_blog')]);
    const report = await apply(frozen);
    expect(outcomes(report)).toEqual([["lock 'ann'@'10.0.%', 'ann'@'localhost' and end ann's connections (databases disabled)", 'ok']]);
    expect((report.outcomes[0]?.detail as { killed: number[] }).killed).toEqual([open.threadId]);
    await expect(open.query('SELECT 1')).rejects.toThrow();
    expect(await loginErrno('ann', 'ann-pw', 'ann_blog')).toBe(4151);
    expect(await locked('ann', '10.0.%')).toBe(true);
    expect(await plan(frozen)).toEqual([]);
    // The data is untouched while frozen.
    expect(await rows('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', ['ann_blog'])).toEqual([{ n: 1n }]);

    const thawed = host([ann], [database(1, 'ann', 'ann_blog')]);
    expect(outcomes(await apply(thawed))).toEqual([["unlock 'ann'@'10.0.%', 'ann'@'localhost'", 'ok']]);
    expect(await loginErrno('ann', 'ann-pw', 'ann_blog')).toBe(0);
    expect(await locked('ann', '10.0.%')).toBe(false);
    expect(await plan(thawed)).toEqual([]);
  });

  it('a user locked by hand before the freeze stays locked after the unfreeze; the other is unlocked', async () => {
    const ann = member('ann', 3001, 'password');
    await apply(host([ann]));
    await setPassword('ann', 'localhost', 'ann-pw');
    await admin.query("ALTER USER 'ann'@'10.0.%' ACCOUNT LOCK");
    const frozen = host([{ ...ann, holds: [RETIRED], disabled: true }]);
    expect(outcomes(await apply(frozen))).toEqual([["lock 'ann'@'10.0.%', 'ann'@'localhost' and end ann's connections (databases disabled)", 'ok']]);
    const meta = await rows<{ host: string; frozen: number; locked_before: number | null }>('SELECT host, frozen, locked_before FROM roster_meta.users WHERE user = ? ORDER BY host', ['ann']);
    expect(meta).toEqual([
      { host: '10.0.%', frozen: 1, locked_before: 1 },
      { host: 'localhost', frozen: 1, locked_before: 0 },
    ]);
    // Unlocked by hand while frozen: drift, locked again without forgetting what was before.
    await admin.query("ALTER USER 'ann'@'localhost' ACCOUNT UNLOCK");
    expect(outcomes(await apply(frozen))).toEqual([["lock 'ann'@'10.0.%', 'ann'@'localhost' and end ann's connections (databases disabled)", 'ok']]);
    expect(await loginErrno('ann', 'ann-pw')).toBe(4151);

    expect(outcomes(await apply(host([ann])))).toEqual([["unlock 'ann'@'localhost'; keep 'ann'@'10.0.%' locked, as before the freeze", 'ok']]);
    expect(await locked('ann', 'localhost')).toBe(false);
    expect(await locked('ann', '10.0.%')).toBe(true);
    expect(await loginErrno('ann', 'ann-pw')).toBe(0);
    expect(await plan(host([ann]))).toEqual([]);
  });

  it('logs in over the socket as the Unix user with unix_socket: refused with 4151 while frozen, let in after; verify logs in the same way', async () => {
    // nobody (65534) is a Unix user of every Debian machine, so the server can name the socket's peer.
    await chmod(server.dir, 0o755);
    const overSocket = { url: `mariadb://roster@localhost/?socket=${server.socket}` };
    const nobody = member('nobody', 65534, 'unix_socket', { gid: 65534 });
    const frozen = host([{ ...nobody, holds: [FREEZE_BILLING], disabled: true }]);
    await apply(host([nobody]), overSocket);
    const asNobody = (): ReturnType<typeof run> => run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'mariadb', '--no-defaults', `--socket=${server.socket}`, '--user=nobody', '-e', 'SELECT CURRENT_USER()']);
    expect((await asNobody()).stdout).toContain('nobody@localhost');
    expect(outcomes(await apply(frozen, overSocket)).map(([, status]) => status)).toEqual(['ok']);
    expect((await asNobody()).stderr).toContain('ERROR 4151');
    expect(outcomes(await apply(host([nobody]), overSocket)).map(([, status]) => status)).toEqual(['ok']);
    expect((await asNobody()).code).toBe(0);

    // The server changed behind Roster's back between apply and verify: verify's own login finds it out, both ways.
    const behindTheBack = (sql: string): typeof mariadbTarget =>
      defineTarget({
        ...mariadbTarget,
        apply: async (c, config, changes, desired) => {
          const results = await mariadbTarget.apply(c, config, changes, desired);
          await admin.query(sql);
          return results;
        },
      });
    const unlocked = await apply(frozen, overSocket, behindTheBack("ALTER USER 'nobody'@'localhost' ACCOUNT UNLOCK"));
    expect(unlocked.outcomes[0]?.error).toBe("applied but not in effect: 'nobody'@'localhost' is not locked: the server lets it log in; a login over the socket as nobody was let in");
    await admin.query("ALTER USER 'nobody'@'localhost' ACCOUNT LOCK");
    const relocked = await apply(host([nobody]), overSocket, behindTheBack("ALTER USER 'nobody'@'localhost' ACCOUNT LOCK"));
    expect(relocked.outcomes[0]?.error).toBe("applied but not in effect: 'nobody'@'localhost' is still locked: a login is refused with error 4151; a login over the socket as nobody is still refused with error 4151");
  });

  it('never touches unmanaged users and databases; a collision with one is a failed change naming both', async () => {
    await admin.query("CREATE USER 'carl'@'%' IDENTIFIED BY 'carl-pw'");
    await admin.query("CREATE USER 'eve'@'localhost' IDENTIFIED BY 'eve-pw' ACCOUNT LOCK");
    await admin.query('CREATE DATABASE legacy');
    await admin.query('CREATE TABLE legacy.t (id INT)');
    const before = await rows('SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host');
    const carl = member('carl', 3003, 'password');
    const desired = host([carl, member('dana', 3004, 'unix_socket')], [database(7, 'dana', 'legacy')]);
    const report = await apply(desired);
    expect(outcomes(report)).toEqual([
      [
        "cannot manage the MariaDB users of carl: 'carl'@'%' is not Roster's",
        'failed',
        "'carl'@'%' exists on the server and Roster does not manage it: account carl would need 'carl'@'localhost', 'carl'@'10.0.%'; rename or drop the other user, or record it in roster_meta.users if it is the account's",
      ],
      ["create user 'dana'@'localhost' identified via unix_socket", 'ok'],
      ["create user 'dana'@'10.0.%' identified via unix_socket", 'ok'],
      ['cannot make database legacy for dana: an unmanaged database has that name', 'failed', 'database legacy exists on the server and Roster does not manage it: resource 7 of dana cannot take it; rename one of them'],
    ]);
    // A freeze of carl cannot lock what is not Roster's either.
    const frozen = await apply(host([{ ...carl, holds: [FREEZE_BILLING], disabled: true }, member('dana', 3004, 'unix_socket')], [database(7, 'dana', 'legacy')]));
    expect(frozen.outcomes.map((o) => [o.account, o.status])).toEqual([
      ['carl', 'failed'],
      ['dana', 'failed'],
    ]);
    // A whole-host plan without any of them drops dana's users (Roster's) and leaves the rest as they were.
    expect(outcomes(await apply(host([])))).toEqual([["drop users 'dana'@'10.0.%', 'dana'@'localhost' (dana no longer lives on this host)", 'ok']]);
    expect(await rows('SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host')).toEqual(before);
    expect(await databases()).toEqual(['legacy', 'roster_meta']);
    expect(await rows('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', ['legacy'])).toEqual([{ n: 1n }]);
    expect(await plan(host([]))).toEqual([]);
  });

  it('purge dumps each database into the archive with its SHA-256, then drops it and the users; restoring the account brings the data back, checked against the SHA-256', async () => {
    const ann = member('ann', 3001, 'password');
    const blog = database(1, 'ann', 'ann_blog');
    await apply(host([ann], [blog, database(2, 'ann', 'ann_shop')]));
    await admin.query('CREATE TABLE ann_blog.posts (id INT PRIMARY KEY, body TEXT, pic BLOB)');
    await admin.query("INSERT INTO ann_blog.posts VALUES (1, 'hello ''world''', x'00ff10'), (2, 'ünïcode ✓', NULL)");
    await admin.query('CREATE VIEW ann_blog.first AS SELECT body FROM ann_blog.posts WHERE id = 1');
    await setPassword('ann', 'localhost', 'ann-pw');
    const open = await login('ann', 'ann-pw', 'ann_blog');
    if (typeof open === 'number') throw new Error(`ann cannot log in: ${open}`);

    const removed: RemovedAccount = { username: 'ann', uid: 3001, home: '/home/ann', purgedAt: '2026-11-20T10:00:00.000Z' };
    const purge = host([], [], { removed: [removed] });
    const report = await apply(purge);
    expect(outcomes(report)).toEqual([
      [`dump database ann_blog of ann into ${ARCHIVE}`, 'ok'],
      ['drop database ann_blog of ann (after its dump)', 'ok'],
      [`dump database ann_shop of ann into ${ARCHIVE}`, 'ok'],
      ['drop database ann_shop of ann (after its dump)', 'ok'],
      ["drop users 'ann'@'10.0.%', 'ann'@'localhost' (ann purged)", 'ok'],
    ]);
    expect(report.outcomes.filter((o) => o.destructive).map((o) => o.action)).toEqual(['delete', 'delete', 'delete']);
    expect(await databases()).toEqual(['roster_meta']);
    expect(await users()).toEqual([]);
    await expect(open.query('SELECT 1')).rejects.toThrow();
    expect(await rows('SELECT * FROM roster_meta.users')).toEqual([]);
    expect(await rows('SELECT * FROM roster_meta.databases')).toEqual([]);
    expect(await plan(purge)).toEqual([]);

    // The archive: 0700, one manifest listing both dumps with their SHA-256, files 0600.
    const dir = join(root, ARCHIVE);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['ann-3001-20261120T100000000Z.mariadb-database.ann_blog.sql', 'ann-3001-20261120T100000000Z.mariadb-database.ann_shop.sql', 'ann-3001-20261120T100000000Z.mariadb.manifest.json']);
    const manifest = JSON.parse(await readFile(join(dir, 'ann-3001-20261120T100000000Z.mariadb.manifest.json'), 'utf8')) as ResourceArchiveManifest;
    const dump = await readFile(join(dir, files[0] ?? ''));
    expect(manifest.files.map((f) => [f.name, f.sha256, f.bytes])).toEqual([
      ['ann_blog', createHash('sha256').update(dump).digest('hex'), dump.length],
      ['ann_shop', expect.stringMatching(/^[0-9a-f]{64}$/), expect.any(Number)],
    ]);
    expect(dump.toString()).toContain('0x00FF10');

    // Restoring the account makes its resources desired again: the users are made anew, the data comes from the dump,
    // which is checked first: a damaged one is never loaded, and nothing is made of it.
    const restored = host([ann], [blog]);
    await writeFile(join(dir, files[0] ?? ''), Buffer.concat([dump, Buffer.from('DROP TABLE posts;\n')]));
    const damaged = await apply(restored);
    expect(outcomes(damaged).map(([summary, status]) => [summary, status])).toEqual([
      ["create user 'ann'@'localhost' identified via mysql_native_password or unix_socket", 'ok'],
      ["create user 'ann'@'10.0.%' identified via mysql_native_password or unix_socket", 'ok'],
      ['restore database ann_blog of ann from ann-3001-20261120T100000000Z.mariadb-database.ann_blog.sql', 'failed'],
    ]);
    expect(damaged.outcomes[2]?.error).toMatch(/^ann-3001-20261120T100000000Z\.mariadb-database\.ann_blog\.sql does not match ann-3001-20261120T100000000Z\.mariadb\.manifest\.json \(sha256 /);
    expect(await databases()).toEqual(['roster_meta']);
    expect(await rows('SELECT * FROM roster_meta.databases')).toEqual([]);
    await writeFile(join(dir, files[0] ?? ''), dump);
    expect(outcomes(await apply(restored))).toEqual([['restore database ann_blog of ann from ann-3001-20261120T100000000Z.mariadb-database.ann_blog.sql', 'ok']]);
    expect(await rows('SELECT id, body, HEX(pic) AS pic FROM ann_blog.posts ORDER BY id')).toEqual([
      { id: 1, body: "hello 'world'", pic: '00FF10' },
      { id: 2, body: 'ünïcode ✓', pic: null },
    ]);
    expect(await rows('SELECT body FROM ann_blog.first')).toEqual([{ body: "hello 'world'" }]);
    const after = JSON.parse(await readFile(join(dir, 'ann-3001-20261120T100000000Z.mariadb.manifest.json'), 'utf8')) as ResourceArchiveManifest;
    expect(after.files.map((f) => [f.name, f.restoredAt])).toEqual([
      ['ann_blog', '2026-11-23T12:00:00.000Z'],
      ['ann_shop', undefined],
    ]);
    expect(await plan(restored)).toEqual([]);
  });

  it('a database no longer desired is dumped, then dropped and its grants revoked while the owner lives on', async () => {
    const ann = member('ann', 3001, 'unix_socket');
    await apply(host([ann], [database(1, 'ann', 'ann_blog'), database(2, 'ann', 'ann_old')]));
    const report = await apply(host([ann], [database(1, 'ann', 'ann_blog')]));
    expect(outcomes(report)).toEqual([
      [`dump database ann_old of ann into ${ARCHIVE}`, 'ok'],
      ['drop database ann_old of ann (after its dump)', 'ok'],
    ]);
    expect(await databases()).toEqual(['ann_blog', 'roster_meta']);
    expect(await rows('SELECT Host, Db FROM mysql.db WHERE User = ? ORDER BY Host, Db', ['ann'])).toEqual([
      { Host: '10.0.%', Db: 'ann\\_blog' },
      { Host: 'localhost', Db: 'ann\\_blog' },
    ]);
    expect(await readdir(join(root, ARCHIVE))).toContain('ann-3001-20261123T120000000Z.mariadb-database.ann_old.sql');
    // Archiving off: dropped straight away.
    await apply(host([ann], [database(1, 'ann', 'ann_blog'), database(3, 'ann', 'ann_tmp')]), { archive: false });
    expect(outcomes(await apply(host([ann], [database(1, 'ann', 'ann_blog')]), { archive: false }))).toEqual([['drop database ann_tmp of ann (archiving is off)', 'ok']]);
  });

  it('a lock that does not take effect is a failed change, as verify finds it on the server', async () => {
    const ann = member('ann', 3001, 'password');
    await apply(host([ann]));
    // Someone unlocks the user between the apply and the check.
    const racing = defineTarget({
      ...mariadbTarget,
      apply: async (c, config, changes, desired) => {
        const results = await mariadbTarget.apply(c, config, changes, desired);
        await admin.query("ALTER USER 'ann'@'localhost' ACCOUNT UNLOCK");
        return results;
      },
    });
    const report = await apply(host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }]), {}, racing);
    expect(outcomes(report)).toEqual([
      ["lock 'ann'@'10.0.%', 'ann'@'localhost' and end ann's connections (databases disabled)", 'failed', "applied but not in effect: 'ann'@'localhost' is not locked: the server lets it log in"],
    ]);
  });

  it('reports the bytes of each database for its owner', async () => {
    const desired = host([member('ann', 3001, 'unix_socket'), member('bo', 3002, 'unix_socket')], [database(1, 'ann', 'ann_blog'), database(2, 'bo', 'bo_wiki')]);
    await apply(desired);
    await admin.query('CREATE TABLE ann_blog.big (id INT PRIMARY KEY, body LONGTEXT) ENGINE=InnoDB');
    await admin.query("INSERT INTO ann_blog.big SELECT seq, REPEAT('x', 2000) FROM ann_blog.seq_1_to_500");
    await admin.query('ANALYZE TABLE ann_blog.big');
    await admin.query('CREATE DATABASE unmanaged');
    await admin.query('CREATE TABLE unmanaged.t (id INT)');
    const usage = await mariadbTarget.usage?.(ctx, mariadbTarget.hostSettings.parse(section()), desired);
    const [blog, wiki] = usage ?? [];
    expect(usage?.map((u) => [u.account, u.subject])).toEqual([
      ['ann', 'mariadb-database:ann_blog'],
      ['bo', 'mariadb-database:bo_wiki'],
    ]);
    expect(blog?.bytes).toBeGreaterThan(500 * 2000 * 0.9);
    expect(wiki?.bytes).toBe(0);
  });

  it('plans a scoped desired state for its accounts only', async () => {
    const ann = member('ann', 3001, 'unix_socket');
    const bo = member('bo', 3002, 'unix_socket');
    await apply(host([ann, bo], [database(1, 'ann', 'ann_blog'), database(2, 'bo', 'bo_wiki')]));
    const scoped: DesiredHost = { ...host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [database(1, 'ann', 'ann_blog')]), scope: ['ann'] };
    expect((await plan(scoped)).map((c) => c.summary)).toEqual(["lock 'ann'@'10.0.%', 'ann'@'localhost' and end ann's connections (databases disabled)"]);
    // It reads ann's rows only: one member's freeze costs the same among 10,000 users.
    const seen = await mariadbTarget.observe(ctx, mariadbTarget.hostSettings.parse(section()), scoped);
    expect(seen.users.map((u) => `${u.user}@${u.host}`).sort()).toEqual(['ann@10.0.%', 'ann@localhost']);
    expect([...seen.databases]).toEqual(['ann_blog']);
    expect(seen.meta.users.map((u) => u.user)).toEqual(['ann', 'ann']);
    expect(seen.meta.databases.map((d) => d.name)).toEqual(['ann_blog']);
    // A database ann wants that is recorded as bo's is still seen as bo's.
    const taking: DesiredHost = { ...host([ann], [database(1, 'ann', 'ann_blog'), database(3, 'ann', 'bo_wiki')]), scope: ['ann'] };
    expect((await plan(taking)).map((c) => c.summary)).toEqual(['cannot make database bo_wiki for ann: it is bo\'s']);
  });

  it('changes a user’s authentication when its type’s setting changes, and a host pattern no longer configured drops its users', async () => {
    await apply(host([member('ann', 3001, 'unix_socket')]));
    expect(outcomes(await apply(host([member('ann', 3001, 'password')]), { hostPatterns: ['localhost'] }))).toEqual([
      ["authenticate 'ann'@'localhost' via mysql_native_password or unix_socket (is unix_socket)", 'ok'],
      ["drop user 'ann'@'10.0.%' (its host is no longer in hostPatterns)", 'ok'],
    ]);
    expect(await users()).toEqual(['ann@localhost']);
    expect(await plan(host([member('ann', 3001, 'password')]), { hostPatterns: ['localhost'] })).toEqual([]);
  });

  it('roster doctor finds the tools and the admin account allowed everything, and says when the server cannot be reached', async () => {
    const targets = targetRegistry;
    const rosterConfig = parseConfig(`timeZone: UTC\nhosts: { db: { targets: { mariadb: { url: "mariadb://roster@127.0.0.1:${server.port}/" } } } }\ntypes: { member: {} }\n`, 'roster.yaml', { targets }).config;
    const check = async (over: Record<string, unknown>): Promise<Array<[string, string]>> =>
      ((await mariadbTarget.doctor?.({ host: 'db', root, config: rosterConfig, system: liveSystem() }, mariadbTarget.hostSettings.parse(section(over)))) ?? []).map((c) => [c.status, c.message]);
    expect(await check({})).toEqual([
      ['ok', expect.stringMatching(/^mariadb-dump runs \(/)],
      ['ok', expect.stringMatching(/^mariadb runs \(/)],
      ['ok', `the admin account of mariadb://roster@127.0.0.1:${server.port}/ may manage users and databases`],
    ]);
    expect((await check({ url: 'mariadb://roster@127.0.0.1:1/' }))[2]).toEqual(['fail', expect.stringMatching(/^cannot reach mariadb:\/\/roster@127\.0\.0\.1:1\/: mariadb at 127\.0\.0\.1:1 as roster: /)]);
  });

  it('an unreachable server makes the host unavailable, and nothing is planned', async () => {
    await expect(prepare(host([member('ann', 3001, 'unix_socket')]), { url: 'mariadb://roster@127.0.0.1:1/' })).rejects.toMatchObject({ code: 'unavailable' });
  });
});
