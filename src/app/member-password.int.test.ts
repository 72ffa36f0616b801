import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { RosterError } from '../domain/errors.js';
import { hashPassword, verifyPassword } from '../system/libcrypt.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccount, requireAccount } from './accounts.js';
import { changeOwnPassword } from './member-password.js';
import { addPerson } from './people.js';

// The example roster.yaml with a Kerberos type and a locked one added at the end of its types.
const config = parseConfig(
  `${exampleConfig()}
  realm:
    eligibility: { roles: { some: [MEMBER] } }
    auth: kerberos
    principal: '{username}@EXAMPLE.ORG'
    hosts: { live: [shell], login: [shell] }
  service:
    eligibility: { roles: { some: [MEMBER] } }
    auth: locked
    hosts: { live: [shell] }
`,
  'roster.yaml',
).config;

const FIRST = 'Tidal-Lantern-42';
const SECOND = 'Quiet-Harbor-77';

async function refusal(p: Promise<unknown>): Promise<RosterError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof RosterError)) throw new Error(`expected a RosterError, got ${String(e)}`);
  return e;
}

describe.each(storeFactories)('changeOwnPassword on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  beforeAll(async () => {
    s = await factory.open();
    // The real libcrypt: the hash written is what pam_unix verifies.
    ctx = exampleAppContext(s.store, '2026-05-01T10:00:00Z', { hasher: { hash: hashPassword }, config });
    await addPerson(ctx, { id: 'M1', firstName: 'Mara', lastName: 'Owens', roles: ['MEMBER'] });
    await addPerson(ctx, { id: 'M2', firstName: 'Olu', lastName: 'Other', roles: ['MEMBER'] });
    await createAccount(ctx, { personId: 'M1', type: 'member', username: 'mara', password: FIRST });
    await createAccount(ctx, { personId: 'M2', type: 'member', username: 'olu', password: FIRST });
  });
  afterAll(async () => s.cleanup());

  it('with the right current password: the new hash verifies, the old does not, audited as the member with no secret', async () => {
    const before = (await s.store.read.auditHead()).seq;
    await changeOwnPassword(ctx, { personId: 'M1', username: 'mara', current: FIRST, next: SECOND }, verifyPassword);
    const hash = (await requireAccount(s.store.read, 'mara')).passwordHash ?? '';
    expect(hash.startsWith('$y$')).toBe(true);
    expect(verifyPassword(SECOND, hash)).toBe(true);
    expect(verifyPassword(FIRST, hash)).toBe(false);
    const records = await s.store.read.listAudit({ afterSeq: before });
    expect(records.map((r) => [r.actor, r.action, r.target])).toEqual([['portal:M1', 'account.passwd', 'account:mara']]);
    const text = JSON.stringify(records);
    expect(text).not.toContain(SECOND);
    expect(text).not.toContain(hash);
  });

  it('a wrong current password is refused naming the field, and changes nothing', async () => {
    const hash = (await requireAccount(s.store.read, 'mara')).passwordHash;
    const head = (await s.store.read.auditHead()).seq;
    const e = await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'mara', current: FIRST, next: 'Brand-New-Pass-9' }, verifyPassword));
    expect(e.code).toBe('unauthorized');
    expect(e.issues).toEqual([{ where: 'current', message: 'is not right' }]);
    // A phrase libcrypt refuses (a NUL) is just as wrong, not an error of another kind.
    expect((await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'mara', current: 'a\0b', next: 'Brand-New-Pass-9' }, verifyPassword))).code).toBe('unauthorized');
    expect((await requireAccount(s.store.read, 'mara')).passwordHash).toBe(hash);
    expect((await s.store.read.auditHead()).seq).toBe(head);
  });

  it("a weak new password is refused with every reason; another person's account is not found; nothing changes", async () => {
    const hash = (await requireAccount(s.store.read, 'mara')).passwordHash;
    const weak = await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'mara', current: SECOND, next: 'short' }, verifyPassword));
    expect(weak.code).toBe('weak_password');
    expect(weak.issues.length).toBeGreaterThanOrEqual(2);
    expect(weak.issues.every((i) => i.where === 'password')).toBe(true);
    expect(weak.message).toMatch(/at least 10/);
    const same = await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'mara', current: SECOND, next: SECOND }, verifyPassword));
    expect(same.message).toMatch(/same as the current one/);
    // M1's session may not change olu's password even knowing it.
    const other = await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'olu', current: FIRST, next: 'Brand-New-Pass-9' }, verifyPassword));
    expect(other.code).toBe('not_found');
    expect((await requireAccount(s.store.read, 'mara')).passwordHash).toBe(hash);
    expect(verifyPassword(FIRST, (await requireAccount(s.store.read, 'olu')).passwordHash ?? '')).toBe(true);
  });

  it('a Kerberos account is refused naming kpasswd where the server reaches no KDC to check the current password; a locked one has no password to change', async () => {
    await createAccount(ctx, { personId: 'M1', type: 'realm', username: 'marak' });
    await createAccount(ctx, { personId: 'M1', type: 'service', username: 'maras' });
    const head = (await s.store.read.auditHead()).seq;
    const kerberos = await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'marak', current: FIRST, next: 'Brand-New-Pass-9' }, verifyPassword));
    expect([kerberos.code, kerberos.message]).toEqual(['usage', expect.stringMatching(/marak@EXAMPLE\.ORG.*kpasswd/)]);
    const locked = await refusal(changeOwnPassword(ctx, { personId: 'M1', username: 'maras', current: FIRST, next: 'Brand-New-Pass-9' }, verifyPassword));
    expect([locked.code, locked.message]).toEqual(['usage', expect.stringMatching(/no password of its own/)]);
    expect((await s.store.read.auditHead()).seq).toBe(head);
  });
});
