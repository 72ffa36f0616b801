import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { retireAccount } from '../src/app/lifecycle-actions.js';
import { totpCode } from '../src/console/second-factor.js';
import { addConsoleUser, codeNow, serveConsole, signInConsole, type ServedConsole } from './console-browser.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot } from './portal-browser.js';

/**
 * The console's sign-in in real Chromium (issue 16 item 1): password, then
 * a TOTP code; the first time, the second factor's set-up with its key and
 * QR code and ten recovery codes shown once; a code works once, a recovery
 * code once; a username without a console role is refused like a wrong
 * password; every attempt is audited; a form without its CSRF token is
 * refused. axe-core finds no WCAG 2.1 A/AA violation on any page.
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
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await served.close();
});

async function signInAttempts(): Promise<string[]> {
  const audit = await served.store.read.listAudit({ limit: 100 });
  return audit.filter((a) => a.action === 'console.sign-in').map((a) => `${a.actor} ${a.result} ${String((a.after as { step?: string }).step)}`);
}

describe('console sign-in in Chromium', () => {
  it('sets up the second factor at the first sign-in: key, QR code, first code, ten recovery codes shown once', async () => {
    const user = await addConsoleUser(served, 'root1', { enrolled: false });
    await page.goto(`${served.url}/console/login`);
    await expectNoAxeViolations(page, 'the console sign-in page');
    await screenshot(page, 'c1-login');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${served.url}/console/login/enrol`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Set up your second factor');
    expect(await page.getByRole('img', { name: 'QR code of the set-up key for root1' }).isVisible()).toBe(true);
    await expectNoAxeViolations(page, 'the set-up page');
    await screenshot(page, 'c2-enrol');
    const key = (await page.locator('code.secret').textContent())?.replace(/\s+/g, '') ?? '';
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    // A wrong code keeps the same key on the page.
    await page.getByLabel('Authentication code').fill('000000');
    await page.getByRole('button', { name: 'Verify and continue' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('not the one the app should show now');
    expect((await page.locator('code.secret').textContent())?.replace(/\s+/g, '')).toBe(key);
    await page.getByLabel('Authentication code').fill(totpCode(key, served.clock.now()));
    await page.getByRole('button', { name: 'Verify and continue' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your recovery codes');
    const codes = await page.locator('ol.recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await expectNoAxeViolations(page, 'the recovery codes page');
    await screenshot(page, 'c3-recovery');
    const factor = await served.store.read.getConsoleSecondFactor((await served.store.read.getAccount('root1'))?.id ?? -1);
    expect(factor?.confirmedAt).not.toBeNull();
    // Neither the key nor the codes are stored as such.
    expect(factor?.sealedSecret).not.toContain(key);
    expect(JSON.stringify(factor?.recoveryHashes)).not.toContain(codes[0] ?? '?');

    // Signed in: the console's pages greet root1 as admin.
    await page.getByRole('link', { name: 'Continue to the console' }).click();
    expect(await page.locator('header').textContent()).toContain('Signed in as root1 (admin)');
    expect(await signInAttempts()).toEqual(['console:root1 ok password', 'console:root1 refused set-up', 'console:root1 ok set-up']);

    // A recovery code signs in once, without the app.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login\?out=1$/);
    const recovery = codes[3] ?? '';
    for (const expected of ['ok', 'refused']) {
      await page.goto(`${served.url}/console/login`);
      await page.getByLabel('Username').fill('root1');
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Authentication code').fill(recovery.toUpperCase());
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForLoadState();
      if (expected === 'ok') {
        expect(await page.locator('header').textContent()).toContain('Signed in as root1');
        await page.getByRole('button', { name: 'Sign out' }).click();
      } else {
        expect(await page.getByRole('alert').textContent()).toContain('wrong or was used already');
      }
    }
  });

  it('asks for a code after the password; a wrong or reused code is refused; a name without a console role is refused like a wrong password', async () => {
    const admin = await addConsoleUser(served, 'root1');
    const nobody = await addConsoleUser(served, 'plainstaff');
    await page.goto(`${served.url}/console/login`);
    await page.getByLabel('Username').fill('root1');
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${served.url}/console/login/code`);
    await expectNoAxeViolations(page, 'the code page');
    await screenshot(page, 'c4-code');
    // Half signed in, the console's pages send back to the code.
    await page.goto(`${served.url}/console/hosts`);
    expect(page.url()).toBe(`${served.url}/console/login/code`);
    const wrong = codeNow(served, admin) === '123456' ? '654321' : '123456';
    await page.getByLabel('Authentication code').fill(wrong);
    await page.getByRole('button', { name: 'Verify' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('wrong or was used already');
    expect(await page.getByLabel('Authentication code').getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'the code page with an error');
    const code = codeNow(served, admin);
    await page.getByLabel('Authentication code').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${served.url}/console`);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'roster_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });

    // The same code again, in another browser: refused (a code works once).
    const other = await newPage(browser);
    try {
      await other.page.goto(`${served.url}/console/login`);
      await other.page.getByLabel('Username').fill('root1');
      await other.page.getByLabel('Password').fill(admin.password);
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      await other.page.getByLabel('Authentication code').fill(code);
      await other.page.getByRole('button', { name: 'Verify' }).click();
      expect(await other.page.getByRole('alert').textContent()).toContain('wrong or was used already');

      // An account not named in roster.yaml's console section: the wrong-password answer.
      await other.page.goto(`${served.url}/console/login`);
      await other.page.getByLabel('Username').fill('plainstaff');
      await other.page.getByLabel('Password').fill(nobody.password);
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      const refusal = await other.page.getByRole('alert').textContent();
      await other.page.getByLabel('Username').fill('root1');
      await other.page.getByLabel('Password').fill('not the password');
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      expect(await other.page.getByRole('alert').textContent()).toBe(refusal);
    } finally {
      await other.context.close();
    }
    expect(await signInAttempts()).toEqual([
      'console:root1 ok password',
      'console:root1 refused code',
      'console:root1 ok code',
      'console:root1 ok password',
      'console:root1 refused code',
      'console:plainstaff refused password',
      'console:root1 refused password',
    ]);
  });

  it('refuses a form without its CSRF token, and ends the session of an account retired meanwhile', async () => {
    const admin = await addConsoleUser(served, 'root1');
    await signInConsole(page, served, admin);
    const refused = await page.request.post(`${served.url}/console/logout`, { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    // Still signed in: the forged sign-out did nothing.
    await page.goto(`${served.url}/console/login`);
    expect(page.url()).toBe(`${served.url}/console`);
    // root1 leaves: a retired account's sessions end at its next request.
    await retireAccount(served.ctx, 'root1', {});
    await page.goto(`${served.url}/console/hosts`);
    expect(page.url()).toBe(`${served.url}/console/login?ended=1`);
    expect(await page.getByRole('status').textContent()).toContain('Your session ended');
  });
});
