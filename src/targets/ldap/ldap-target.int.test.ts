import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configProblems } from '../../../test/config-problems.js';
import { exampleAppContext } from '../../../test/example-app-context.js';
import { createAccount } from '../../app/accounts.js';
import { freezeAccount, unfreezeAccount } from '../../app/lifecycle-actions.js';
import { addPerson } from '../../app/people.js';
import { purgeAccount } from '../../app/purge.js';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import { startSlapd, type SlapdServer } from '../../../test/daemons/slapd-server.js';
import type { DesiredAccount, DesiredGroup, DesiredHost, RemovedAccount } from '../../desired/desired-host.js';
import { parseConfig } from '../../config/load-config.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { fixedClock } from '../../domain/clock.js';
import { applyPrepared, type ChangeOutcome } from '../../reconcile/apply-host-plan.js';
import { planDesired } from '../../reconcile/host-plan.js';
import { reconcileHost } from '../../reconcile/reconcile-host.js';
import { openStore } from '../../store/open-store.js';
import { targetRegistry } from '../registry.js';
import type { ResourceArchiveManifest } from '../resource-archive.js';
import type { Change, TargetContext } from '../target.js';
import { ldapConfigSchema, type LdapConfig } from './ldap-config.js';
import { ldapTarget } from './ldap-target.js';

/**
 * The ldap target against a real slapd (DESIGN.md §8): one server for this
 * file (mdb in a temp dir, ppolicy on, the stats log on) on a free loopback
 * port, written through its root DN, whose password comes from a file.
 * Every test is its own host (markers name the host, so one test's
 * whole-host plan leaves the others' entries alone) with its own names and
 * UIDs. Binds as the users are judged by ldapwhoami.
 */

const ARCHIVE = '/var/lib/roster/archive';
const PASSWORD = 'c0rrect horse';
const HASH = execFileSync('openssl', ['passwd', '-6', PASSWORD], { encoding: 'utf8' }).trim();

let slapd: SlapdServer;
let root: string;
/** What afterAll undoes: only what beforeAll got as far as making. */
const cleanups: Array<() => Promise<unknown>> = [];
let ctx: TargetContext;
let config: LdapConfig;

beforeAll(async () => {
  slapd = await startSlapd({ ppolicy: true, stats: true });
  cleanups.push(() => slapd.stop());
  root = await mkdtemp(join(tmpdir(), 'roster-ldap-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'etc/roster'), { recursive: true });
  await writeFile(join(root, 'etc/roster/ldap.password'), `${slapd.rootPassword}\n`, { mode: 0o600 });
  ctx = { root, host: 'dir', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
  config = ldapConfigSchema.parse({
    url: slapd.url,
    bindDn: slapd.rootDn,
    bindPasswordFile: '/etc/roster/ldap.password',
    usersDn: slapd.peopleDn,
    groupsDn: slapd.groupsDn,
    ppolicy: true,
    authorizedService: { sshd: 'login', imap: 'mail' },
    archiveDir: ARCHIVE,
  });
}, 60_000);

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo();
});

let hostName = 'dir';
let testNo = 0;
beforeEach(() => {
  hostName = `dir${++testNo}`;
  ctx = { ...ctx, host: hostName };
});

/** The user-private group of each account, plus the shared groups given. */
function host(accounts: readonly DesiredAccount[], options: { readonly removed?: readonly RemovedAccount[]; readonly freezeKeep?: readonly string[]; readonly groups?: readonly DesiredGroup[]; readonly scope?: readonly string[] } = {}): DesiredHost {
  const upg = accounts.map((a) => ({ name: a.username, gid: a.gid, members: [] }));
  return {
    ...fixtureHost(accounts, options),
    host: hostName,
    groups: [...upg, ...(options.groups ?? [])],
    purge: { archive: true, archiveDir: '/unused' },
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  };
}

async function plan(desired: DesiredHost, c: LdapConfig = config): Promise<readonly Change[]> {
  return ldapTarget.plan(desired, await ldapTarget.observe(ctx, c, desired), c);
}

/** Observe, plan, apply and verify through the pipeline, as `roster apply` does. */
async function converge(desired: DesiredHost, c: LdapConfig = config): Promise<readonly ChangeOutcome[]> {
  const prepared = await planDesired([{ target: ldapTarget, config: c }], desired, ctx);
  return (await applyPrepared(ctx, prepared)).outcomes;
}

const brief = (outcomes: readonly ChangeOutcome[]): string[] => outcomes.map((o) => `${o.status} ${o.action} ${o.subject}${o.error === undefined ? '' : `: ${o.error}`}`);

const dnOf = (username: string): string => `uid=${username},${slapd.peopleDn}`;

/** The entry's user attributes and pwdAccountLockedTime, as ldapsearch prints them, or '' when it is not there. */
async function entry(dn: string): Promise<string> {
  try {
    return await slapd.ldapsearch(dn, '(objectClass=*)', ['*', 'pwdAccountLockedTime']);
  } catch (e) {
    if (String(e).includes('No such object (32)')) return '';
    throw e;
  }
}

/** ldapwhoami as the user: 'ok' or ldapwhoami's refusal. */
function whoami(username: string, password = PASSWORD): Promise<string> {
  return new Promise((resolve) => {
    execFile('ldapwhoami', ['-x', '-H', slapd.url, '-D', dnOf(username), '-w', password], (error, _stdout, stderr) => resolve(error === null ? 'ok' : stderr.trim()));
  });
}

function values(ldif: string, attribute: string): string[] {
  return ldif
    .split('\n')
    .filter((l) => l.toLowerCase().startsWith(`${attribute.toLowerCase()}: `))
    .map((l) => l.slice(attribute.length + 2))
    .sort();
}

describe('ldap target', () => {
  it('creates the entry and groups, binds as the user, and a second run plans nothing', async () => {
    const alice = fixtureAccount('alice', 3001, { passwordField: HASH, gecos: 'Alice Liddell,Room 7', groups: ['readers'] });
    const desired = host([alice], { groups: [{ name: 'readers', gid: 4001, members: ['alice'] }] });
    expect(brief(await converge(desired))).toEqual(['ok create ldap-user:alice', 'ok create ldap-group:alice', 'ok create ldap-group:readers']);
    const e = await entry(dnOf('alice'));
    expect(values(e, 'objectClass')).toEqual(['authorizedServiceObject', 'inetOrgPerson', 'posixAccount', 'shadowAccount', 'top']);
    expect(values(e, 'cn')).toEqual(['Alice Liddell']);
    expect(values(e, 'sn')).toEqual(['Liddell']);
    expect(values(e, 'givenName')).toEqual(['Alice']);
    expect(values(e, 'uidNumber')).toEqual(['3001']);
    expect(values(e, 'authorizedService')).toEqual(['imap', 'sshd']);
    expect(values(e, 'description')).toEqual([`roster {"host":"${hostName}","owner":"alice","uid":3001}`]);
    expect(values(await entry(`cn=readers,${slapd.groupsDn}`), 'memberUid')).toEqual(['alice']);
    expect(await whoami('alice')).toBe('ok');
    expect(await whoami('alice', 'wrong')).toMatch(/Invalid credentials/);
    expect(await plan(desired)).toEqual([]);
  });

  it('a full freeze locks every way in (ppolicy refuses the bind), and the unfreeze gives back the entry attribute for attribute', async () => {
    const bob = fixtureAccount('bob', 3002, { passwordField: HASH });
    await converge(host([bob]));
    const before = await entry(dnOf('bob'));
    expect(await whoami('bob')).toBe('ok');
    const frozen = fixtureAccount('bob', 3002, { passwordField: HASH, holds: [FREEZE_BILLING] });
    expect(brief(await converge(host([frozen], { freezeKeep: [] })))).toEqual(['ok lock ldap-user:bob']);
    const locked = await entry(dnOf('bob'));
    expect(values(locked, 'shadowExpire')).toEqual(['1']);
    expect(values(locked, 'pwdAccountLockedTime')).toEqual(['000001010000Z']);
    expect(values(locked, 'authorizedService')).toEqual([]);
    expect(await whoami('bob')).toMatch(/Invalid credentials/);
    expect(brief(await converge(host([bob])))).toEqual(['ok unlock ldap-user:bob']);
    expect(await entry(dnOf('bob'))).toBe(before);
    expect(await whoami('bob')).toBe('ok');
  });

  it('a billing freeze that keeps mail removes sshd only: imap stays and the password still binds', async () => {
    const carol = fixtureAccount('carol', 3003, { passwordField: HASH });
    await converge(host([carol]));
    const before = await entry(dnOf('carol'));
    expect(values(before, 'authorizedService')).toEqual(['imap', 'sshd']);
    const frozen = fixtureAccount('carol', 3003, { passwordField: HASH, holds: [FREEZE_BILLING] });
    expect(brief(await converge(host([frozen], { freezeKeep: ['mail', 'portal'] })))).toEqual(['ok lock ldap-user:carol']);
    const during = await entry(dnOf('carol'));
    expect(values(during, 'authorizedService')).toEqual(['imap']);
    expect(values(during, 'shadowExpire')).toEqual([]);
    expect(values(during, 'pwdAccountLockedTime')).toEqual([]);
    expect(await whoami('carol')).toBe('ok');
    await converge(host([carol]));
    expect(await entry(dnOf('carol'))).toBe(before);
  });

  it('a scheduled retirement writes shadowExpire for the deactivation day; a retirement locks', async () => {
    const dave = fixtureAccount('dave', 3004, { passwordField: HASH, expiryDay: 20_800 });
    await converge(host([dave]));
    expect(values(await entry(dnOf('dave')), 'shadowExpire')).toEqual(['20800']);
    const retired = fixtureAccount('dave', 3004, { passwordField: HASH, holds: [RETIRED] });
    await converge(host([retired]));
    expect(values(await entry(dnOf('dave')), 'shadowExpire')).toEqual(['1']);
    expect(await whoami('dave')).toMatch(/Invalid credentials/);
    // An account created while a hold disables it is added locked.
    const late = fixtureAccount('dora', 3013, { passwordField: HASH, holds: [RETIRED] });
    expect(brief(await converge(host([retired, late])))).toEqual(['ok create ldap-user:dora', 'ok create ldap-group:dora']);
    expect(values(await entry(dnOf('dora')), 'pwdAccountLockedTime')).toEqual(['000001010000Z']);
    expect(await whoami('dora')).toMatch(/Invalid credentials/);
  });

  it('an entry that is not Roster\'s is a failed change naming both, and is left as it was', async () => {
    await slapd.ldif(`dn: ${dnOf('mallory')}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: mallory\ncn: Mallory\nsn: M\nuidNumber: 9005\ngidNumber: 9005\nhomeDirectory: /home/mallory\n`);
    await slapd.ldif(`dn: uid=other,${slapd.peopleDn}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: other\ncn: Other\nsn: O\nuidNumber: 3006\ngidNumber: 3006\nhomeDirectory: /home/other\n`);
    const beforeMallory = await entry(dnOf('mallory'));
    const beforeOther = await entry(`uid=other,${slapd.peopleDn}`);
    const mallory = fixtureAccount('mallory', 3005, { passwordField: HASH });
    const erin = fixtureAccount('erin', 3006, { passwordField: HASH });
    const outcomes = await converge(host([erin, mallory]));
    const refusals = outcomes.filter((o) => o.subject.startsWith('ldap-user:'));
    expect(refusals.map((o) => o.status)).toEqual(['failed', 'failed']);
    expect(refusals[0]?.error).toContain(`account erin (UID 3006) at ${dnOf('erin')} collides with uid=other,${slapd.peopleDn} (uid other, uidNumber 3006, gidNumber 3006), not managed by Roster`);
    expect(refusals[1]?.error).toContain(`account mallory (UID 3005) cannot have ${dnOf('mallory')} (uid mallory, uidNumber 9005, gidNumber 9005), not managed by Roster`);
    expect(await entry(dnOf('mallory'))).toBe(beforeMallory);
    expect(await entry(`uid=other,${slapd.peopleDn}`)).toBe(beforeOther);
    expect(await entry(dnOf('erin'))).toBe('');
  });

  it('escapes DNs and filters: hostile group names and GECOS are written and found again exactly', async () => {
    const names = ['a*)(uid=*', 'x,ou=evil+cn=y', ' #lead\\trail ', 'q"<>;='];
    const frank = fixtureAccount('frank', 3007, { passwordField: HASH, gecos: '*)(|(uid=*', groups: names });
    const groups = names.map((name, i) => ({ name, gid: 4100 + i, members: ['frank'] }));
    const outcomes = await converge(host([frank], { groups }));
    expect(brief(outcomes).filter((o) => !o.startsWith('ok'))).toEqual([]);
    expect(values(await entry(dnOf('frank')), 'cn')).toEqual(['*)(|(uid=*']);
    const listed = await slapd.ldapsearch(slapd.groupsDn, '(memberUid=frank)', ['cn']);
    expect(values(listed, 'cn').length + (listed.match(/^cn:: /gm)?.length ?? 0)).toBe(4);
    expect(await slapd.ldapsearch(slapd.groupsDn, '(cn=x)', ['cn'])).toBe('');
    expect(await plan(host([frank], { groups }))).toEqual([]);
  });

  it('purge writes the entry, its group and its memberships as LDIF to the archive (SHA-256 in the manifest), then deletes them', async () => {
    const gina = fixtureAccount('gina', 3008, { passwordField: HASH, groups: ['crew'] });
    const hank = fixtureAccount('hank', 3009, { passwordField: HASH, groups: ['crew'] });
    await converge(host([gina, hank], { groups: [{ name: 'crew', gid: 4200, members: ['gina', 'hank'] }] }));
    const removed: RemovedAccount = { username: 'gina', uid: 3008, home: '/home/gina', purgedAt: '2026-11-23T12:00:00.000Z' };
    const desired = { ...host([hank], { removed: [removed], groups: [{ name: 'crew', gid: 4200, members: ['hank'] }] }), purge: { archive: true, archiveDir: ARCHIVE } };
    expect(brief(await converge(desired))).toEqual(['ok archive ldap-user:gina', 'ok delete ldap-user:gina', 'ok update ldap-group:crew', 'ok delete ldap-group:gina']);
    expect(await entry(dnOf('gina'))).toBe('');
    expect(await entry(`cn=gina,${slapd.groupsDn}`)).toBe('');
    expect(values(await entry(`cn=crew,${slapd.groupsDn}`), 'memberUid')).toEqual(['hank']);
    const dir = join(root, ARCHIVE);
    const manifestName = readdirSync(dir).find((f) => f.startsWith('gina-3008-') && f.endsWith('.ldap.manifest.json')) as string;
    const manifest = JSON.parse(readFileSync(join(dir, manifestName), 'utf8')) as ResourceArchiveManifest;
    const file = manifest.files[0];
    expect(file?.kind).toBe('ldap-entry');
    const ldif = readFileSync(join(dir, file?.file as string));
    expect(createHash('sha256').update(ldif).digest('hex')).toBe(file?.sha256);
    const text = ldif.toString('utf8');
    expect(text).toContain(`dn: ${dnOf('gina')}`);
    expect(text).toContain(`dn: cn=gina,${slapd.groupsDn}`);
    expect(text).toContain(`dn: cn=crew,${slapd.groupsDn}\nchangetype: modify\nadd: memberUid\nmemberUid: gina`);
    // The archive is what ldapadd takes back.
    await slapd.ldif(text.split('\n\n')[0]?.replace(/^#.*\n/, '') as string);
    expect(values(await entry(dnOf('gina')), 'uidNumber')).toEqual(['3008']);
  });

  it('groupOfNames groups: member DNs, the empty DN while a group has no member', async () => {
    const names = { ...config, groups: 'groupOfNames' as const };
    const ivy = fixtureAccount('ivy', 3010, { passwordField: HASH, groups: ['band'] });
    const empty = { name: 'quiet', gid: 4300, members: [] };
    const desired = host([ivy], { groups: [{ name: 'band', gid: 4301, members: ['ivy'] }, empty] });
    const outcomes = await converge(desired, names);
    expect(brief(outcomes).filter((o) => !o.startsWith('ok'))).toEqual([]);
    expect(values(await entry(`cn=band,${slapd.groupsDn}`), 'member')).toEqual([dnOf('ivy')]);
    const quiet = await entry(`cn=quiet,${slapd.groupsDn}`);
    expect(values(quiet, 'objectClass')).toEqual(['groupOfNames', 'top']);
    expect(quiet).toMatch(/^member: ?$/m);
    expect(await plan(desired, names)).toEqual([]);
    const joined = fixtureAccount('ivy', 3010, { passwordField: HASH, groups: ['band', 'quiet'] });
    await converge(host([joined], { groups: [{ name: 'band', gid: 4301, members: ['ivy'] }, { ...empty, members: ['ivy'] }] }), names);
    expect(values(await entry(`cn=quiet,${slapd.groupsDn}`), 'member')).toEqual([dnOf('ivy')]);
  });

  it('an entry whose marker changed between plan and apply is refused by the server (the assertion), not modified', async () => {
    const jack = fixtureAccount('jack', 3011, { passwordField: HASH });
    await converge(host([jack]));
    const frozen = fixtureAccount('jack', 3011, { passwordField: HASH, holds: [RETIRED] });
    const changes = await plan(host([frozen]));
    await slapd.ldapmodify(`dn: ${dnOf('jack')}\nchangetype: modify\nreplace: description\ndescription: taken over by hand\n`);
    const before = await entry(dnOf('jack'));
    const [result] = await ldapTarget.apply(ctx, config, changes, host([frozen]));
    expect(result?.ok).toBe(false);
    expect(result?.error).toBe(`${dnOf('jack')} is no longer Roster's (its marker changed since the plan); not touching it`);
    expect(await entry(dnOf('jack'))).toBe(before);
  });

  it('a password file it cannot read, or a refused bind, makes the target unavailable, naming the file or the DN', async () => {
    const missing = { ...config, bindPasswordFile: '/etc/roster/nope' };
    await expect(ldapTarget.observe(ctx, missing, host([]))).rejects.toThrow('cannot read the ldap bindPasswordFile /etc/roster/nope: ENOENT');
    await writeFile(join(root, 'etc/roster/wrong.password'), 'wrong\n', { mode: 0o600 });
    const wrong = { ...config, bindPasswordFile: '/etc/roster/wrong.password' };
    await expect(ldapTarget.observe(ctx, wrong, host([]))).rejects.toThrow(`cannot bind to ${slapd.url} as ${slapd.rootDn}: `);
    const results = await ldapTarget.apply(ctx, wrong, await plan(host([fixtureAccount('kim', 3012)])), host([]));
    expect(results.map((r) => r.ok)).toEqual([false, false]);
  });

  it('a scoped freeze among 2,000 entries is one modify and no search of all entries', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => fixtureAccount(`m${String(i).padStart(4, '0')}`, 10_000 + i, { passwordField: HASH }));
    const load = Date.now();
    const first = await converge(host(many));
    const loadMs = Date.now() - load;
    expect(first.filter((o) => o.status !== 'ok')).toEqual([]);
    // The whole-host read pages through the 2,000 entries and finds nothing to do.
    expect(await plan(host(many))).toEqual([]);
    const target = many[1234] as DesiredAccount;
    const frozen = { ...target, holds: [FREEZE_BILLING], disabled: true };
    const mark = (await slapd.log()).length;
    const started = performance.now();
    const outcomes = await converge(host([frozen], { scope: [frozen.username], freezeKeep: [] }));
    const freezeMs = performance.now() - started;
    expect(brief(outcomes)).toEqual([`ok lock ldap-user:${frozen.username}`]);
    await new Promise((r) => setTimeout(r, 200));
    const log = (await slapd.log()).slice(mark);
    const mods = log.split('\n').filter((l) => l.includes(' MOD dn='));
    expect(mods).toHaveLength(1);
    expect(mods[0]).toContain(`uid=${frozen.username},`);
    expect(log.toLowerCase()).not.toContain('objectclass=posixaccount');
    console.log(`ldap: initial load of 2,000 entries ${loadMs} ms; one scoped freeze ${freezeMs.toFixed(0)} ms`);
  }, 300_000);
});

describe('ldap target: in roster.yaml and roster doctor', () => {
  const targets = [...targetRegistry.filter((t) => t.name !== ldapTarget.name), ldapTarget];
  const yaml = (section: string): string => `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
freeze: { keep: [mail] }
hosts:
  dir:
    targets:
      ldap: ${section}
types:
  member:
    hosts: { live: [dir] }
`;
  const section = (): string => `{ url: "${slapd.url}", bindDn: "${slapd.rootDn}", bindPasswordFile: /etc/roster/ldap.password, usersDn: "${slapd.peopleDn}", groupsDn: "${slapd.groupsDn}", ppolicy: true, authorizedService: { sshd: login, imap: mail } }`;

  it('checks its host section field by field, and roster doctor binds and reads both bases', async () => {
    expect(configProblems(yaml(section()), targets)).toEqual([]);
    expect(configProblems(yaml('{ url: "http://x", bindDn: "", bindPasswordFile: etc/p, usersDn: ou=people, groupsDn: "cn=g,dc=x", groups: posix, startTls: true }'), targets)).toEqual([
      expect.stringMatching(/hosts\.dir\.targets\.ldap\.url: must be an ldap:\/\/ or ldaps:\/\/ URL/),
      expect.stringMatching(/hosts\.dir\.targets\.ldap\.bindDn: /),
      expect.stringMatching(/hosts\.dir\.targets\.ldap\.bindPasswordFile: must be an absolute path/),
      expect.stringMatching(/hosts\.dir\.targets\.ldap\.groups: must be one of posixGroup, groupOfNames/),
      expect.stringMatching(/hosts\.dir\.targets\.ldap\.startTls: unknown key \(did you mean startTLS\?\)/),
    ]);
    const rosterConfig = parseConfig(yaml(section()), 'roster.yaml', { targets }).config;
    const doctor = async (c: LdapConfig): Promise<Array<[string, string]>> => ((await ldapTarget.doctor?.({ host: 'dir', root, config: rosterConfig, system: liveSystem() }, c)) ?? []).map((x) => [x.status, x.message]);
    expect(await doctor(config)).toEqual([
      ['ok', `${slapd.rootDn} binds to ${slapd.url}`],
      ['ok', `usersDn ${slapd.peopleDn} can be read`],
      ['ok', `groupsDn ${slapd.groupsDn} can be read`],
      // Then the clients: this root has no nsswitch.conf (ldap-client-check.test.ts has the rest).
      ['warn', expect.stringMatching(/^neither nslcd nor SSSD is set up here /)],
    ]);
    expect(await doctor({ ...config, groupsDn: `ou=nowhere,${slapd.baseDn}` })).toEqual([
      ['ok', `${slapd.rootDn} binds to ${slapd.url}`],
      ['ok', `usersDn ${slapd.peopleDn} can be read`],
      ['fail', expect.stringContaining(`groupsDn ou=nowhere,${slapd.baseDn} cannot be read as ${slapd.rootDn}: `)],
      ['warn', expect.stringMatching(/^neither nslcd nor SSSD is set up here /)],
    ]);
  });

  it('an account through the store: added, billing-frozen (sshd gone, imap kept), unfrozen, scoped, purged into the archive', async () => {
    const app = exampleAppContext(await openStore(join(root, 'roster.db')), '2026-11-23T12:00:00Z', { config: parseConfig(yaml(section()), 'roster.yaml', { targets }).config });
    try {
      const apply = async (accounts?: readonly string[]): Promise<string[]> => brief((await reconcileHost(app, [ldapTarget], { host: 'dir', root, ...(accounts === undefined ? {} : { accounts }) })).report.outcomes);
      await addPerson(app, { id: 'P9', firstName: 'Olga', lastName: 'Example' });
      const account = await createAccount(app, { personId: 'P9', type: 'member', username: 'olga' });
      expect(await apply()).toEqual(['ok create ldap-user:olga', 'ok create ldap-group:olga']);
      const active = await entry(dnOf('olga'));
      expect(values(active, 'uidNumber')).toEqual([String(account.uid)]);
      expect(values(active, 'authorizedService')).toEqual(['imap', 'sshd']);
      await freezeAccount(app, 'olga', { reason: 'billing' });
      expect(await apply(['olga'])).toEqual(['ok lock ldap-user:olga']);
      expect(values(await entry(dnOf('olga')), 'authorizedService')).toEqual(['imap']);
      await unfreezeAccount(app, 'olga', { reason: 'billing' });
      expect(await apply(['olga'])).toEqual(['ok unlock ldap-user:olga']);
      expect(await entry(dnOf('olga'))).toBe(active);
      expect(await apply()).toEqual([]);
      await app.store.transaction(async (tx) => {
        const olga = await tx.getAccount('olga');
        if (olga !== undefined) await purgeAccount(tx, app, olga, 'test');
      });
      expect(await apply()).toEqual(['ok archive ldap-user:olga', 'ok delete ldap-user:olga', 'ok delete ldap-group:olga']);
      expect(await entry(dnOf('olga'))).toBe('');
      expect(readdirSync(join(root, 'var/lib/roster/archive')).filter((f) => f.startsWith(`olga-${account.uid}-`))).toHaveLength(2);
    } finally {
      await app.store.close();
    }
  });
});
