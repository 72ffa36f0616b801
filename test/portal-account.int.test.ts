import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAccount, requireAccount } from '../src/app/accounts.js';
import { applyHost } from '../src/app/apply-host.js';
import { addPerson, requirePerson } from '../src/app/people.js';
import { verifyPassword } from '../src/system/libcrypt.js';
import { targetRegistry } from '../src/targets/registry.js';
import { expectNoAxeViolations, launchBrowser, newPage, PORTAL_TEST_CONFIG, screenshot, servePortal, signIn, type ServedPortal } from './portal-browser.js';
import { makeRoot, removeRoot, run } from './unix-root.js';

/**
 * The member portal's password and e-mail change (issue 14 item 4) in real
 * Chromium: fields found by their labels, axe-core on every page, and the
 * effects checked in the store (the hash with libcrypt, the address, the
 * audit, the outbox's messages as the mailer would send them).
 */
const FIRST = 'Tidal-Lantern-42';
const SECOND = 'Quiet-Harbor-77';

// The harness's roster.yaml with the unix target on the shell host, so the change can be applied and tried with PAM.
const YAML = PORTAL_TEST_CONFIG.replace('  shell: {}', '  shell: { targets: { unix: {} } }');

/** pam_unix over the applied root's passwd and shadow (bind-mounted in a private mount namespace): one line per password tried. */
const PAM = `set -eu
root=$1 pamd=$2 user=$3
for f in passwd shadow group; do mount --bind "$root/etc/$f" "/etc/$f"; done
mount --bind "$pamd" /etc/pam.d
while IFS= read -r password; do
  if printf '%s\\n' "$password" | pamtester roster-passwd-test "$user" authenticate >/dev/null 2>&1; then echo accepted; else echo refused; fi
done`;

let browser: Browser;
let portal: ServedPortal;

beforeAll(async () => {
  browser = await launchBrowser();
  portal = await servePortal({ yaml: YAML, targets: targetRegistry });
  await addPerson(portal.ctx, { id: 'P1', firstName: 'Mara', lastName: 'Owens', roles: ['MEMBER'], emails: { MEMBER: 'mara@home.example' } });
  await createAccount(portal.ctx, { personId: 'P1', type: 'member', username: 'mara', password: FIRST });
});
afterAll(async () => {
  await browser.close();
  await portal.close();
});

/** Presses a form's button and waits for the page the POST answers with; its status. */
async function submit(page: Page, button: string): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST'), page.getByRole('button', { name: button }).click()]);
  await page.waitForLoadState();
  return response.status();
}

describe('password change in the browser', () => {
  it('refuses a wrong current password and a weak new one with the reasons; then changes it: the new one signs in, the old one does not', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, portal.url, 'mara', FIRST);
    // Reached from the member page by its link.
    await Promise.all([page.waitForURL(`${portal.url}/portal/password`), page.getByRole('link', { name: 'Change your password' }).click()]);
    // The policy is on the page before anything is typed.
    await expect(page.getByRole('list').filter({ hasText: 'at least 10 characters' }).count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'the password page');
    await screenshot(page, 'password-form');

    await page.getByLabel('Current password').fill('Not-The-Password-1');
    await page.getByLabel('New password', { exact: true }).fill(SECOND);
    await page.getByLabel('New password again').fill(SECOND);
    expect(await submit(page, 'Change the password')).toBe(400);
    await expect(page.getByText('This is not your current password.').count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'the password page with a wrong current password');

    await page.getByLabel('Current password').fill(FIRST);
    await page.getByLabel('New password', { exact: true }).fill('mara');
    await page.getByLabel('New password again').fill('mara');
    expect(await submit(page, 'Change the password')).toBe(400);
    const refusal = (await page.locator('#password-error').textContent()) ?? '';
    expect(refusal).toMatch(/at least 10/);
    expect(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'the password page with a weak password');
    await screenshot(page, 'password-weak');
    expect(verifyPassword(FIRST, (await requireAccount(portal.store.read, 'mara')).passwordHash ?? '')).toBe(true);

    // A second browser signed in before the change: its session ends with the change.
    const before = await newPage(browser);
    await signIn(before.page, portal.url, 'mara', FIRST);
    await page.getByLabel('Current password').fill(FIRST);
    await page.getByLabel('New password', { exact: true }).fill(SECOND);
    await page.getByLabel('New password again').fill(SECOND);
    expect(await submit(page, 'Change the password')).toBe(303);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your password is changed');
    await before.page.goto(`${portal.url}/portal`);
    expect(new URL(before.page.url()).pathname).toBe('/portal/login');
    await before.context.close();
    // This browser stays signed in, with a new session.
    await page.goto(`${portal.url}/portal`);
    expect(new URL(page.url()).pathname).toBe('/portal');
    await page.goBack();
    await expectNoAxeViolations(page, 'the password changed page');
    await screenshot(page, 'password-changed');
    const audit = (await portal.store.read.listAudit({})).filter((r) => r.action === 'account.passwd');
    expect(audit.map((r) => r.actor)).toEqual(['portal:P1']);
    await context.close();

    // A fresh browser: the old password is refused, the new one signs in.
    const other = await newPage(browser);
    await signIn(other.page, portal.url, 'mara', FIRST);
    expect(new URL(other.page.url()).pathname).toBe('/portal/login');
    await expect(other.page.getByText('The username or password is not right.').count()).resolves.toBe(1);
    await signIn(other.page, portal.url, 'mara', SECOND);
    expect(new URL(other.page.url()).pathname).toBe('/portal');
    await other.context.close();
  });

  it('reaches the host like any change: after roster apply, pam_unix accepts the new password and refuses the old', async () => {
    const root = await makeRoot();
    const pamd = await mkdtemp(join(tmpdir(), 'roster-pamd-'));
    try {
      await writeFile(join(pamd, 'roster-passwd-test'), 'auth required pam_unix.so\n');
      const applied = await applyHost(portal.ctx, targetRegistry, { host: 'shell', root });
      expect(applied.shortfall).toBeNull();
      const pam = await run('unshare', ['-m', '--propagation', 'private', 'bash', '-c', PAM, 'pam', root, pamd, 'mara'], { input: `${SECOND}\n${FIRST}\n`, timeout: 30_000 });
      expect(pam.stderr).toBe('');
      expect(pam.stdout.trim().split('\n')).toEqual(['accepted', 'refused']);
    } finally {
      await removeRoot(root);
      await rm(pamd, { recursive: true, force: true });
    }
  });

  it('limits wrong current passwords per person, showing the wait, even with the right one after', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, portal.url, 'mara', SECOND);
    await page.goto(`${portal.url}/portal/password`);
    const attempts = portal.config.portal.throttle.attempts;
    for (let i = 0; i < attempts; i++) {
      await page.getByLabel('Current password').fill(`Wrong-Guess-${i}x`);
      await page.getByLabel('New password', { exact: true }).fill('Another-Pass-Word-8');
      await page.getByLabel('New password again').fill('Another-Pass-Word-8');
      expect(await submit(page, 'Change the password')).toBe(400);
    }
    await page.getByLabel('Current password').fill(SECOND);
    await page.getByLabel('New password', { exact: true }).fill('Another-Pass-Word-8');
    await page.getByLabel('New password again').fill('Another-Pass-Word-8');
    expect(await submit(page, 'Change the password')).toBe(429);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Please wait 15 minutes/);
    await expectNoAxeViolations(page, 'the password page while throttled');
    await screenshot(page, 'password-throttled');
    expect(verifyPassword(SECOND, (await requireAccount(portal.store.read, 'mara')).passwordHash ?? '')).toBe(true);
    await context.close();
  });

  it('is refused without the CSRF token, changing nothing', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, portal.url, 'mara', SECOND);
    const before = (await requireAccount(portal.store.read, 'mara')).passwordHash;
    const r = await page.request.post(`${portal.url}/portal/password`, { form: { current: SECOND, password: 'Other-Pass-Word-5', confirm: 'Other-Pass-Word-5' } });
    expect(r.status()).toBe(403);
    expect((await requireAccount(portal.store.read, 'mara')).passwordHash).toBe(before);
    await context.close();
  });
});

describe('e-mail change in the browser', () => {
  /** The newest confirmation link sent to `to`, read from the outbox as the mailer would send it. */
  async function linkTo(to: string): Promise<string> {
    const m = (await portal.store.read.listMessages({ kind: 'email-confirm' })).find((x) => x.recipient === to);
    if (m === undefined) throw new Error(`no confirmation message to ${to}`);
    // The served portal is not at publicUrl: the same path and token on the test's address.
    const link = new URL(String(m.data.link));
    expect(link.origin).toBe('https://accounts.example.org');
    return `${portal.url}${link.pathname}${link.search}`;
  }

  it('asks, mails the link, and confirming through it changes the address; the link works once; the old address is told', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, portal.url, 'mara', SECOND);
    await Promise.all([page.waitForURL(`${portal.url}/portal/email`), page.getByRole('link', { name: 'Change your e-mail address' }).click()]);
    await expect(page.getByText('We write to you at mara@home.example.').count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'the e-mail page');
    await screenshot(page, 'email-form');

    await page.getByLabel('New e-mail address').fill('not an address');
    // The browser's own check would stop an invalid type=email field; the server's answer is what is tested.
    await page.locator('form[action="/portal/email"]').evaluate((f: { setAttribute(name: string, value: string): void }) => f.setAttribute('novalidate', ''));
    expect(await submit(page, 'Send the confirmation link')).toBe(400);
    await expect(page.locator('#email-error').textContent()).resolves.toMatch(/such as name@example.org/);
    await expectNoAxeViolations(page, 'the e-mail page with a bad address');

    await page.getByLabel('New e-mail address').fill('mara.new@mail.example');
    expect(await submit(page, 'Send the confirmation link')).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Check your mail');
    await expectNoAxeViolations(page, 'the check-your-mail page');
    await screenshot(page, 'email-sent');
    expect((await requirePerson(portal.store.read, 'P1')).emails).toEqual({ MEMBER: 'mara@home.example' });
    const warned = await portal.store.read.listMessages({ kind: 'email-change-asked' });
    expect(warned.map((m) => m.recipient)).toEqual(['mara@home.example']);
    await context.close();

    // The link opened where the mail is read: no sign-in needed, and the GET changes nothing.
    const mail = await newPage(browser);
    const link = await linkTo('mara.new@mail.example');
    await mail.page.goto(link);
    await expect(mail.page.getByText('Use mara.new@mail.example as your e-mail address from now on?').count()).resolves.toBe(1);
    expect((await requirePerson(portal.store.read, 'P1')).emails).toEqual({ MEMBER: 'mara@home.example' });
    await expectNoAxeViolations(mail.page, 'the confirmation page');
    await screenshot(mail.page, 'email-confirm');
    expect(await submit(mail.page, 'Confirm the new address')).toBe(200);
    await expect(mail.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your e-mail address is changed');
    await expectNoAxeViolations(mail.page, 'the address changed page');
    await screenshot(mail.page, 'email-changed');
    expect((await requirePerson(portal.store.read, 'P1')).emails).toEqual({ MEMBER: 'mara.new@mail.example' });
    const audit = (await portal.store.read.listAudit({})).filter((r) => r.action === 'person.email');
    expect(audit.map((r) => [r.actor, r.target])).toEqual([['portal:P1', 'person:P1']]);
    const told = await portal.store.read.listMessages({ kind: 'email-changed' });
    expect(told.map((m) => m.recipient)).toEqual(['mara@home.example']);

    // The same link again: refused, in words, and nothing changes.
    const again = await mail.page.goto(link);
    expect(again?.status()).toBe(410);
    await expect(mail.page.getByText('This confirmation link was used already: each link works once.').count()).resolves.toBe(1);
    await expectNoAxeViolations(mail.page, 'the used link page');
    await screenshot(mail.page, 'email-link-used');
    await mail.context.close();
  });

  it('an expired link is refused, and the address stays', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, portal.url, 'mara', SECOND);
    await page.goto(`${portal.url}/portal/email`);
    await page.getByLabel('New e-mail address').fill('mara.late@mail.example');
    expect(await submit(page, 'Send the confirmation link')).toBe(200);
    const link = await linkTo('mara.late@mail.example');
    // Past the 24 hours of portal.emailConfirmHours.
    portal.clock.advanceDays(1.01);
    const r = await page.goto(link);
    expect(r?.status()).toBe(410);
    await expect(page.getByText('This confirmation link has expired. Please ask for the change again.').count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'the expired link page');
    await screenshot(page, 'email-link-expired');
    expect((await requirePerson(portal.store.read, 'P1')).emails).toEqual({ MEMBER: 'mara.new@mail.example' });
    await context.close();
  });
});
