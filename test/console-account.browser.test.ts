import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { applyHost } from '../src/app/apply-host.js';
import { addPerson } from '../src/app/people.js';
import { targetRegistry } from '../src/targets/registry.js';
import { addConsoleUser, serveConsole, signInConsole, type ServedConsole } from './console-browser.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot } from './portal-browser.js';

/**
 * The console's account page in real Chromium (issue 16 item 3): an admin
 * freezes an account; the plan lists the shadow and login-list changes on
 * host shell (applied by the server under the test's root) before anything
 * changes; confirmed, the shadow line carries the `!`; the hold is lifted
 * the same way. An auditor sees the page without a single action, and a
 * forged POST with the auditor's session and CSRF token is refused with
 * nothing changed. axe-core finds no violation on any page.
 */

let browser: Browser;
let served: ServedConsole;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  served = await serveConsole();
  await addPerson(served.ctx, { id: 'P1', firstName: 'Ada', lastName: 'Lovelace', roles: ['MEMBER'], emails: { MEMBER: 'ada@home.example' } });
  await createAccount(served.ctx, { personId: 'P1', type: 'member', username: 'ada', password: 'Analytical-Engine-1843' });
  const first = await applyHost(served.ctx, targetRegistry, { host: 'shell', root: served.root });
  expect(first.shortfall).toBeNull();
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await served.close();
});

async function shadowLine(user: string): Promise<string> {
  const text = await readFile(join(served.root, 'etc/shadow'), 'utf8');
  return text.split('\n').find((l) => l.startsWith(`${user}:`)) ?? '';
}

async function loginList(): Promise<string[]> {
  const text = await readFile(join(served.root, 'etc/security/roster-frozen.users'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('the account page in Chromium', () => {
  it('an admin freezes through the plan: shadow and login list planned on shell, nothing changed until confirmed, then the shadow line is locked; the hold is lifted the same way', async () => {
    const admin = await addConsoleUser(served, 'root1');
    await signInConsole(page, served, admin);
    await page.goto(`${served.url}/console/accounts/ada`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Account ada');
    expect(await page.locator('#account-state').textContent()).toBe('active');
    // Never a hash: only whether a password is set.
    expect(await page.content()).not.toContain('$y$');
    await expectNoAxeViolations(page, 'the account page');
    await screenshot(page, 'a1-account');

    await page.getByLabel('Freeze reason').fill('admin');
    await page.getByLabel('Note (for the audit log and the member)').fill('unpaid since March');
    await page.getByRole('button', { name: 'Plan: freeze' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Plan: freeze ada');
    const unix = await page.getByRole('list', { name: 'shell: unix' }).textContent();
    const login = await page.getByRole('list', { name: 'shell: login' }).textContent();
    expect(unix).toContain('lock user ada');
    expect(login).toContain('/etc/security/roster-frozen.users (login disabled): add ada');
    expect(await page.locator('#plan-changes').textContent()).toContain('disabled');
    expect(await page.getByRole('heading', { name: 'Host web (applied by its agent)' }).count()).toBe(1);
    expect(await page.textContent('main')).toContain('Its agent applies the new desired state at its next poll.');
    // The plan changed nothing.
    expect(await shadowLine('ada')).toMatch(/^ada:\$y\$/);
    expect(await loginList()).toEqual([]);
    expect((await served.store.read.getAccount('ada'))?.holds).toEqual([]);
    await expectNoAxeViolations(page, 'the plan page');
    await screenshot(page, 'a2-plan');

    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Done: freeze ada');
    expect(await page.locator('#hosts').textContent()).toMatch(/shell\s*applied\s*2 changes applied/);
    expect(await shadowLine('ada')).toMatch(/^ada:!\$y\$/);
    expect(await loginList()).toEqual(['ada']);
    const record = (await served.store.read.listAudit({ target: 'account:ada', actionPrefix: 'account.freeze' }))[0];
    expect(record?.actor).toBe('console:root1(admin)');
    await expectNoAxeViolations(page, 'the results page');
    await screenshot(page, 'a3-results');

    await page.getByRole('link', { name: 'Back to ada' }).click();
    expect(await page.locator('#holds').textContent()).toMatch(/freeze: admin.*unpaid since March.*console:root1\(admin\)/);
    expect(await page.locator('#audit').textContent()).toContain('account.freeze');
    await page.getByRole('button', { name: 'Plan: lift freeze: admin' }).click();
    expect(await page.getByRole('list', { name: 'shell: unix' }).textContent()).toContain('ada');
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await shadowLine('ada')).toMatch(/^ada:\$y\$/);
    expect(await loginList()).toEqual([]);
  });

  it('purge now plans the removal from the whole host; the purged account offers only Restore, which brings its entries back; a password link names the address', async () => {
    const admin = await addConsoleUser(served, 'root2');
    await signInConsole(page, served, admin);
    await page.goto(`${served.url}/console/accounts/ada`);
    await page.getByRole('button', { name: 'Plan: send a password link' }).click();
    expect(await page.textContent('main')).toContain('Sends ada@home.example a link to set a new password');
    await expectNoAxeViolations(page, 'the plan of a password link');
    expect(await served.store.read.listMessages({ kind: 'password-reset' })).toEqual([]);
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect((await served.store.read.listMessages({ kind: 'password-reset' })).map((m) => m.recipient)).toEqual(['ada@home.example']);

    await page.goto(`${served.url}/console/accounts/ada`);
    await page.getByLabel('Reason for the purge').fill('left the co-op');
    await page.getByRole('button', { name: 'Plan: purge now' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Plan: purge ada');
    expect(await page.textContent('main')).toContain('The whole host is planned (ada is purged)');
    expect(await page.getByRole('list', { name: 'shell: unix' }).textContent()).toMatch(/removes: .*ada/);
    expect(await shadowLine('ada')).not.toBe('');
    await expectNoAxeViolations(page, 'the plan of a purge');
    await screenshot(page, 'a5-purge-plan');
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await page.locator('#hosts').textContent()).toMatch(/shell\s*applied/);
    expect(await shadowLine('ada')).toBe('');

    await page.getByRole('link', { name: 'Back to ada' }).click();
    expect(await page.locator('#account-state').textContent()).toBe('purged');
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out', 'Plan: restore']);
    await expectNoAxeViolations(page, 'a purged account');
    await page.getByRole('button', { name: 'Plan: restore' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await shadowLine('ada')).toMatch(/^ada:\$y\$/);
    expect((await served.store.read.getAccount('ada'))?.purgedAt).toBeNull();
  });

  it('refuses bad input naming the field, and changes nothing', async () => {
    const admin = await addConsoleUser(served, 'root1');
    await signInConsole(page, served, admin);
    await page.goto(`${served.url}/console/accounts/ada`);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const bad = await page.request.post(`${served.url}/console/accounts/ada/apply`, { form: { csrf, kind: 'retire', deactivateAfter: 'soon' } });
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain('deactivation grace');
    const unknown = await page.request.post(`${served.url}/console/accounts/nobody/plan`, { form: { csrf, kind: 'freeze', reason: 'admin' } });
    expect(unknown.status()).toBe(404);
    expect((await served.store.read.getAccount('ada'))?.expiresAt).toBeNull();
  });

  it('an auditor sees no action, and a forged POST is refused with nothing changed', async () => {
    const auditor = await addConsoleUser(served, 'audi');
    await signInConsole(page, served, auditor);
    await page.goto(`${served.url}/console/accounts/ada`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Account ada');
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    // The only button is the header's sign-out.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await expectNoAxeViolations(page, 'the account page for an auditor');
    await screenshot(page, 'a4-auditor');

    const auditBefore = await served.store.read.listAudit({ limit: 1000 });
    const shadowBefore = await shadowLine('ada');
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    for (const path of ['plan', 'apply']) {
      const forged = await page.request.post(`${served.url}/console/accounts/ada/${path}`, { form: { csrf, kind: 'freeze', reason: 'admin' } });
      expect(forged.status(), path).toBe(403);
      // Refused for the role, not for the form: the CSRF token was the auditor's own and valid.
      expect(await forged.text(), path).toContain('Your role does not allow this');
    }
    expect((await served.store.read.getAccount('ada'))?.holds).toEqual([]);
    expect(await shadowLine('ada')).toBe(shadowBefore);
    expect(await loginList()).toEqual([]);
    expect(await served.store.read.listAudit({ limit: 1000 })).toEqual(auditBefore);
  });
});
