import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMitKdc, type MitKdc } from '../../../test/daemons/mit-kdc.js';
import { exampleAppContext } from '../../../test/example-app-context.js';
import { createAccount, setPassword } from '../../app/accounts.js';
import type { AppContext } from '../../app/app-context.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount } from '../../app/lifecycle-actions.js';
import { changeOwnPassword } from '../../app/member-password.js';
import { createServer } from '../../server/create-server.js';
import { createScimUser } from '../../app/scim-users.js';
import { addPerson } from '../../app/people.js';
import { parseConfig } from '../../config/load-config.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { fixtureAccount, fixtureHost, RETIRED } from '../../../test/desired-fixture.js';
import { fixedClock } from '../../domain/clock.js';
import { applyPrepared } from '../../reconcile/apply-host-plan.js';
import { planDesired } from '../../reconcile/host-plan.js';
import { reconcileHost } from '../../reconcile/reconcile-host.js';
import { openStore } from '../../store/open-store.js';
import { targetRegistry } from '../registry.js';
import type { ResourceArchiveManifest } from '../resource-archive.js';
import { kerberosConfigSchema } from './kerberos-config.js';
import { kerberosPasswords } from './kerberos-passwords.js';
import { DISALLOW_ALL_TIX } from './kerberos-principal.js';
import { kerberosTarget } from './kerberos-target.js';

/**
 * The kerberos target and the password path against a real MIT realm
 * (DESIGN.md §8): krb5kdc and kadmind of this file's own on loopback ports,
 * Roster talking to kadmind with a keytab, as a server does. Every account
 * goes from the store through `reconcileHost`, and the proof is `kinit`:
 * the KDC itself says whether the password works.
 */

const targets = targetRegistry;
const PASSWORD = 'Corr3ct-Horse-Battery';
const REVOKED = /credentials have been revoked/;

let kdc: MitKdc;
let app: AppContext;
const now = Date.now();

function yaml(keytab: string): string {
  return `
timeZone: UTC
uids: { min: 2100050000, max: 2100059999 }
gids: { min: 2100050000, max: 2100059999 }
hosts:
  kdc:
    targets:
      kerberos: { realm: ${kdc.realm}, kadmin: { server: "${kdc.adminServer}", principal: roster/admin, keytab: ${keytab} }, krb5Config: ${kdc.krb5Config}, archiveDir: ${kdc.dir}/archive }
types:
  member:
    auth: kerberos
    principal: '{username}@${kdc.realm}'
    hosts: { live: [kdc] }
    grace: { deactivation: 0, deletion: 30 }
`;
}

function contextFor(keytab: string, db: string): Promise<AppContext> {
  const config = parseConfig(yaml(keytab), 'roster.yaml', { targets }).config;
  return openStore(db).then((store) => exampleAppContext(store, { now: () => new Date(now) }, { config, principals: kerberosPasswords(config) }));
}

beforeAll(async () => {
  kdc = await startMitKdc();
  app = await contextFor(kdc.keytab, join(kdc.dir, 'roster.db'));
  for (const [id, first] of [['P1', 'Alice'], ['P2', 'Bob'], ['P3', 'Carol'], ['P4', 'Dave'], ['P5', 'Erin'], ['P6', 'Frank']] as const) await addPerson(app, { id, firstName: first, lastName: 'Example' });
}, 60_000);

afterAll(async () => {
  // Only what beforeAll got as far as making.
  if ((app as AppContext | undefined) !== undefined) await app.store.close();
  if ((kdc as MitKdc | undefined) !== undefined) await kdc.stop();
});

const apply = async (ctx: AppContext = app): Promise<string[]> =>
  (await reconcileHost(ctx, targets, { host: 'kdc', root: '/' })).report.outcomes.map((o) => `${o.status} ${o.action} ${o.subject}${o.error === undefined ? '' : `: ${o.error}`}`);

/** What getprinc shows of a principal that Roster may change, without the lines every change moves (last modified). */
async function shown(principal: string): Promise<string> {
  return (await kdc.getprinc(principal)).split('\n').filter((l) => /^(Principal|Expiration date|Attributes|Policy|Number of keys|Key: |Last password change):?/.test(l)).join('\n');
}

describe('kerberos target against a real KDC', () => {
  it('the creation password works with kinit; a billing freeze leaves it; retirement revokes it; reactivation gives back exactly what was there', async () => {
    await createAccount(app, { personId: 'P1', type: 'member', username: 'alice', password: PASSWORD });
    expect((await kdc.kinit('alice', PASSWORD)).code).toBe(0);
    expect(await kdc.strings('alice')).toMatchObject({ 'roster.managed': 'kdc', 'roster.owner': 'alice' });
    expect(await apply()).toEqual([]);
    const before = await shown('alice');
    expect(before).toContain('Expiration date: [never]');

    await freezeAccount(app, 'alice', { reason: 'billing' });
    expect(await apply()).toEqual([]);
    expect((await kdc.kinit('alice', PASSWORD)).code).toBe(0);
    await unfreezeAccount(app, 'alice', { reason: 'billing' });

    await retireAccount(app, 'alice', { deactivateAfter: 0, deleteAfter: 30 });
    expect(await apply()).toEqual(['ok lock kerberos-principal:alice@TEST.ROSTER']);
    const refused = await kdc.kinit('alice', PASSWORD);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(REVOKED);
    expect(await apply()).toEqual([]);

    await reactivateAccount(app, 'alice');
    expect(await apply()).toEqual(['ok unlock kerberos-principal:alice@TEST.ROSTER']);
    expect((await kdc.kinit('alice', PASSWORD)).code).toBe(0);
    expect(await shown('alice')).toBe(before);
    expect(Object.keys(await kdc.strings('alice')).sort()).toEqual(['roster.managed', 'roster.owner', 'roster.uid']);
    expect(await apply()).toEqual([]);
  });

  it('a SCIM POST with a password makes the principal with it (an IdP provisioning a kerberos type); a weak one is refused and nothing is made', async () => {
    const input = { userName: 'Heidi.Example@example.edu', externalId: 'idp-heidi', active: true, givenName: 'Heidi', familyName: 'Example', emails: [], attributes: {} };
    await expect(createScimUser(app, { ...input, password: 'short' })).rejects.toMatchObject({ code: 'weak_password' });
    expect(await kdc.terse('heidiexample')).toBeNull();
    const { record } = await createScimUser(app, { ...input, password: PASSWORD });
    expect(record.account.username).toBe('heidiexample');
    expect((await kdc.kinit('heidiexample', PASSWORD)).code).toBe(0);
    const audit = await app.store.read.listAudit({ target: 'account:heidiexample' });
    expect(audit.map((r) => r.action)).toContain('account.principal-create');
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
  });

  it("the portal asks the KDC: the principal's password checks (kinit), a wrong one does not, and a member changes it by giving the current one", async () => {
    await addPerson(app, { id: 'P7', firstName: 'Ivan', lastName: 'Example' });
    await createAccount(app, { personId: 'P7', type: 'member', username: 'ivan', password: PASSWORD });
    const principals = app.principals;
    if (principals === undefined) throw new Error('the test context has the kadmin port');
    const check = (password: string): Promise<boolean> => principals.check({ hosts: ['kdc'], principal: 'ivan@TEST.ROSTER', password });
    expect(await check(PASSWORD)).toBe(true);
    expect(await check('Wrong-Passw0rd-here')).toBe(false);
    expect(await principals.check({ hosts: ['kdc'], principal: 'nobody@TEST.ROSTER', password: PASSWORD })).toBe(false);
    const next = 'N3w-Kerberos-Secret';
    const change = { personId: 'P7', username: 'ivan', current: 'Wrong-Passw0rd-here', next };
    await expect(changeOwnPassword(app, change, () => false)).rejects.toMatchObject({ code: 'unauthorized' });
    await changeOwnPassword(app, { ...change, current: PASSWORD }, () => false);
    expect((await kdc.kinit('ivan', next)).code).toBe(0);
    expect(await check(PASSWORD)).toBe(false);
  });

  it('a Kerberos member signs in to the portal with the password the KDC knows, and not with another', async () => {
    await addPerson(app, { id: 'P8', firstName: 'Judy', lastName: 'Example' });
    await createAccount(app, { personId: 'P8', type: 'member', username: 'judy', password: PASSWORD });
    const { app: web } = createServer({ store: app.store, config: app.config, clock: app.clock, hmacKey: app.hmacKey, hasher: app.hasher, log: app.log, ...(app.principals === undefined ? {} : { principals: app.principals }) });
    const signIn = async (password: string): Promise<Response> => {
      const form = await web.request('http://127.0.0.1/portal/login');
      const cookies = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const body = new URLSearchParams({ csrf, username: 'judy', password }).toString();
      return web.request('http://127.0.0.1/portal/login', { method: 'POST', headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    };
    const wrong = await signIn('Not-The-Passw0rd');
    expect(wrong.status).toBe(401);
    const right = await signIn(PASSWORD);
    expect([right.status, right.headers.get('location')]).toEqual([303, '/portal']);
  });

  it('a principal that had DISALLOW_ALL_TIX before Roster keeps it after the hold is lifted', async () => {
    await kdc.local('addprinc -randkey -allow_tix +requires_preauth bob');
    const before = await kdc.terse('bob');
    expect((before?.attributes ?? 0) & DISALLOW_ALL_TIX).toBe(DISALLOW_ALL_TIX);
    await createAccount(app, { personId: 'P2', type: 'member', username: 'bob' });
    expect(await apply()).toEqual(['ok adopt kerberos-principal:bob@TEST.ROSTER']);
    await retireAccount(app, 'bob', { deactivateAfter: 0, deleteAfter: 30 });
    expect(await apply()).toEqual(['ok update kerberos-principal:bob@TEST.ROSTER']);
    expect(await kdc.strings('bob')).toMatchObject({ 'roster.saved-flags': String(before?.attributes) });
    await reactivateAccount(app, 'bob');
    expect(await apply()).toEqual(['ok update kerberos-principal:bob@TEST.ROSTER']);
    expect(await kdc.terse('bob')).toMatchObject({ attributes: before?.attributes, expiration: before?.expiration });
  });

  it('an existing principal keeps its password: the one given at creation is not set, and the adoption says so', async () => {
    await kdc.local('addprinc carol', 'Old-Passw0rd-of-Carol\nOld-Passw0rd-of-Carol\n');
    const keys = await kdc.terse('carol');
    const warned: string[] = [];
    await createAccount({ ...app, log: { info: () => undefined, warn: (m) => warned.push(m) } }, { personId: 'P3', type: 'member', username: 'carol', password: PASSWORD });
    expect(warned).toEqual(['principal carol@TEST.ROSTER already exists on the KDC of host kdc: it keeps its password (the one given was not set there)']);
    expect((await kdc.kinit('carol', 'Old-Passw0rd-of-Carol')).code).toBe(0);
    expect((await kdc.kinit('carol', PASSWORD)).code).not.toBe(0);
    const r = await reconcileHost(app, targets, { host: 'kdc', root: '/' });
    expect(r.report.outcomes.map((o) => `${o.status} ${o.summary}`)).toEqual(['ok adopt existing principal carol@TEST.ROSTER for carol, keeping its password']);
    expect(await kdc.terse('carol')).toEqual(keys);
  });

  it('retiring with D > 0 expires the principal at the start of the deactivation day; reactivation gives back never', async () => {
    await createAccount(app, { personId: 'P4', type: 'member', username: 'dave', password: PASSWORD });
    await retireAccount(app, 'dave', { deactivateAfter: 10, deleteAfter: 40 });
    expect(await apply()).toEqual(['ok update kerberos-principal:dave@TEST.ROSTER']);
    const day = new Date(now + 10 * 86_400_000).toISOString().slice(0, 10);
    expect((await kdc.terse('dave'))?.expiration).toBe(Date.parse(`${day}T00:00:00Z`) / 1000);
    expect(await kdc.getprinc('dave')).toContain(`Expiration date: ${new Date(`${day}T00:00:00Z`).toUTCString().slice(0, 3)}`);
    expect((await kdc.kinit('dave', PASSWORD)).code).toBe(0);
    await reactivateAccount(app, 'dave');
    expect(await apply()).toEqual(['ok update kerberos-principal:dave@TEST.ROSTER']);
    expect((await kdc.terse('dave'))?.expiration).toBe(0);
  });

  it('a missing principal is made with a random key and a warning; roster account passwd then sets its password', async () => {
    await createAccount(app, { personId: 'P6', type: 'member', username: 'frank' });
    const r = await reconcileHost(app, targets, { host: 'kdc', root: '/' });
    expect(r.report.outcomes.map((o) => [o.status, o.action, o.warnings])).toEqual([['ok', 'create', ['principal frank@TEST.ROSTER has a random key: frank has no Kerberos password until roster account passwd frank --password-stdin']]]);
    await setPassword(app, 'frank', PASSWORD);
    expect((await kdc.kinit('frank', PASSWORD)).code).toBe(0);
    const audit = await app.store.read.listAudit({ target: 'account:frank' });
    expect(audit.map((a) => [a.action, JSON.stringify(a.after)])).toContainEqual(['account.passwd', expect.stringContaining('"passwordChanged":true')]);
    await expect(setPassword(app, 'frank', 'short')).rejects.toMatchObject({ code: 'weak_password' });
  });

  it('purge records the principal in the archive, then deletes it', async () => {
    await createAccount(app, { personId: 'P5', type: 'member', username: 'erin', password: PASSWORD });
    const result = await retireAccount(app, 'erin', { deactivateAfter: 0, deleteAfter: 0 });
    expect(result.purged).toBe(true);
    expect(await apply()).toEqual(['ok archive kerberos-principal:erin@TEST.ROSTER', 'ok delete kerberos-principal:erin@TEST.ROSTER']);
    expect(await kdc.terse('erin')).toBeNull();
    const dir = join(kdc.dir, 'archive');
    const manifests = (await readdir(dir)).filter((f) => f.startsWith('erin-') && f.endsWith('.kerberos.manifest.json'));
    expect(manifests).toHaveLength(1);
    const manifest = JSON.parse(await readFile(join(dir, manifests[0] ?? ''), 'utf8')) as ResourceArchiveManifest;
    const record = await readFile(join(dir, manifest.files[0]?.file ?? ''), 'utf8');
    expect(record).toContain('Principal: erin@TEST.ROSTER');
    expect(record).toContain('roster.owner: erin');
    expect(await apply()).toEqual([]);
  });

  it('a kadmin that cannot authenticate (wrong keytab) fails the creation, and nothing is stored; doctor says why', async () => {
    const wrong = join(kdc.dir, 'wrong.keytab');
    await writeFile(wrong, 'not a keytab');
    const bad = await contextFor(wrong, join(kdc.dir, 'bad.db'));
    try {
      await addPerson(bad, { id: 'P9', firstName: 'Gina', lastName: 'Example' });
      const auditBefore = (await bad.store.read.listAudit()).length;
      await expect(createAccount(bad, { personId: 'P9', type: 'member', username: 'gina', password: PASSWORD })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^the password of gina@TEST\.ROSTER could not be set on the KDC of host kdc \(addprinc\): kadmin -p roster\/admin -s 127\.0\.0\.1:\d+ failed \(exit 1\)/) });
      expect(await bad.store.read.getAccount('gina')).toBeUndefined();
      expect((await bad.store.read.listAudit()).length).toBe(auditBefore);
      expect(await kdc.terse('gina')).toBeNull();
      const doctor = async (keytab: string): Promise<string[]> => {
        const c = kerberosConfigSchema.parse({ realm: kdc.realm, kadmin: { server: kdc.adminServer, principal: 'roster/admin', keytab }, krb5Config: kdc.krb5Config });
        return ((await kerberosTarget.doctor?.({ host: 'kdc', root: '/', config: app.config, system: liveSystem() }, c)) ?? []).map((x) => `${x.status} ${x.message}`);
      };
      expect(await doctor(kdc.keytab)).toEqual([expect.stringMatching(/^ok kadmin -p roster\/admin -s 127\.0\.0\.1:\d+ reaches realm TEST\.ROSTER with privileges .*INQUIRE ADD MODIFY DELETE/)]);
      expect(await doctor(wrong)).toEqual([expect.stringMatching(/^fail kadmin -p roster\/admin -s 127\.0\.0\.1:\d+ failed \(exit 1\)/)]);
    } finally {
      await bad.store.close();
    }
  });

  it('kadmin.local on the KDC itself does the same (local: true)', async () => {
    const local = kerberosConfigSchema.parse({ realm: kdc.realm, local: true, krb5Config: kdc.krb5Config, kdcProfile: kdc.kdcProfile });
    const tctx = { root: '/', host: 'kdc-local', clock: fixedClock(new Date(now)), log: { info: () => undefined, warn: () => undefined } };
    const converge = async (holds: ReadonlyArray<typeof RETIRED>): Promise<string[]> => {
      const desired = { ...fixtureHost([fixtureAccount('hana', 2100059990, { principal: 'hana', holds })]), host: 'kdc-local' };
      return (await applyPrepared(tctx, await planDesired([{ target: kerberosTarget, config: local }], desired, tctx))).outcomes.map((o) => `${o.status} ${o.action} ${o.subject}`);
    };
    expect(await converge([])).toEqual(['ok create kerberos-principal:hana@TEST.ROSTER']);
    expect(await converge([RETIRED])).toEqual(['ok lock kerberos-principal:hana@TEST.ROSTER']);
    expect(((await kdc.terse('hana'))?.attributes ?? 0) & DISALLOW_ALL_TIX).toBe(DISALLOW_ALL_TIX);
    expect(await converge([])).toEqual(['ok unlock kerberos-principal:hana@TEST.ROSTER']);
    expect(await kdc.terse('hana')).toMatchObject({ attributes: 0, expiration: 0 });
    expect(await converge([])).toEqual([]);
  });
});
