import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { recordLedger, runBilling } from '../src/app/billing-run.js';
import { freezeAccount, retireAccount } from '../src/app/lifecycle-actions.js';
import { addPerson } from '../src/app/people.js';
import { expectNoAxeViolations, launchBrowser, newPage, PORTAL_TEST_CONFIG, screenshot, servePortal, signIn, type ServedPortal } from './portal-browser.js';

/**
 * The member page in real Chromium (issue 14 items 2, 3, 5): a member
 * frozen by the billing job signs in with the keyboard, reads why and how
 * to pay and what still works, an admin records the payment and the page
 * shows the hold lifted; a retirement in words; a form posted without its
 * CSRF token is refused; an expired session is sent to sign in. axe-core
 * finds no WCAG 2.1 A/AA violation on any page.
 */

const PASSWORD = 'Tea-Party-1865';
// The shell host has the login and cron targets: what a freeze stops there is named.
const YAML = PORTAL_TEST_CONFIG.replace('  shell: {}', '  shell: { targets: { login: {}, cron: {} } }');

let browser: Browser;
let portal: ServedPortal;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});

beforeEach(async () => {
  portal = await servePortal({ yaml: YAML });
  await addPerson(portal.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'], emails: { MEMBER: 'alice@example.org' } });
  await createAccount(portal.ctx, { personId: 'P1', type: 'member', username: 'alice', password: PASSWORD });
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await portal.close();
});

/** The element that has the keyboard focus: its id, or its tag and text. */
async function focused(p: Page): Promise<string> {
  return p.evaluate<string>('(() => { const e = document.activeElement; return e === null ? "" : e.id !== "" ? "#" + e.id : e.tagName.toLowerCase() + ":" + (e.textContent ?? "").trim(); })()');
}

describe('the member page in Chromium', () => {
  it('a billing-frozen member signs in with the keyboard, reads the hold, how to pay and what works; paid, the hold is gone', async () => {
    // The billing job posts March's dues (10.00) on a zero balance: it runs out today, within the lead, so it freezes.
    const report = await runBilling({ ...portal.ctx, actor: 'job:billing' });
    expect(report.people.map((p) => p.action)).toEqual(['freeze']);

    await page.goto(`${portal.url}/portal/login`);
    await expectNoAxeViolations(page, 'the sign-in page');
    await screenshot(page, 'p1-login');
    // Tab from the top: the skip link and the site name, then username, password and the button, in that order.
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
    }
    expect(order.slice(2)).toEqual(['#username', '#password', 'button:Sign in']);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('#username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${portal.url}/portal`);

    const main = page.getByRole('main');
    await expect.poll(() => main.getByRole('heading', { level: 1 }).textContent()).toBe('Your accounts');
    const account = page.getByRole('region', { name: 'Account alice' });
    const text = await account.innerText();
    expect(text).toContain('on hold');
    expect(text).toContain('Frozen for unpaid dues');
    expect(text).toContain('Since 2026-03-01. Set by the billing job (dues not paid).');
    expect(text).toContain('Why: balance runs out 2026-03-01');
    // −10.00 now; 20.19 more makes 10.19, which covers 31 days: past the 30-day lead.
    expect(text).toContain('Pay 20.19 USD by 2026-03-31 to lift it.');
    const works = await page.getByRole('list', { name: 'What still works' }).innerText();
    expect(works.split('\n')).toEqual(['e-mail', 'this portal']);
    const stopped = await page.getByRole('list', { name: 'What does not work until the hold ends' }).innerText();
    expect(stopped.split('\n')).toEqual(['scheduled jobs (cron) on shell', 'logging in on shell']);
    expect(await page.getByRole('list', { name: 'Hosts you may log into' }).innerText()).toBe('shell');
    const pay = account.getByRole('link', { name: 'Pay 20.19 USD now' });
    expect(await pay.getAttribute('href')).toBe('https://pay.example.org/?member=P1&amount=20.19');
    const billing = await page.getByRole('region', { name: 'Dues and payments' }).innerText();
    expect(billing).toContain('-10.00 USD');
    expect(billing).toContain('Your balance has run out.');
    expect(billing).toMatch(/2026-03-01\s+dues 2026-03\s+\u221210\.00 USD/);
    const notices = await page.getByRole('region', { name: 'Messages we sent you' }).innerText();
    expect(notices).toMatch(/2026-03-01\s+Your account is frozen\s+waiting to be sent/);
    await expectNoAxeViolations(page, 'the member page (frozen)');
    await screenshot(page, 'p1-member-frozen');

    // An admin records the payment the page asked for: the freeze is lifted at once.
    await recordLedger(portal.ctx, 'P1', 'payment', '20.19', 'bank transfer');
    await page.reload();
    const after = await account.innerText();
    expect(after).toContain('There are no holds on this account.');
    expect(after).toMatch(/State\s+active/);
    expect(await page.getByRole('region', { name: 'Dues and payments' }).innerText()).toContain('Your balance runs out on 2026-04-01.');
    await expectNoAxeViolations(page, 'the member page (paid)');
    await screenshot(page, 'p1-member-paid');
  });

  it('says when a retired account will be disabled and deleted, and how an admin freeze ends', async () => {
    await createAccount(portal.ctx, { personId: 'P1', type: 'staff', username: 'aliddell' });
    await retireAccount(portal.ctx, 'aliddell', { deactivateAfter: 10, deleteAfter: 90 });
    await freezeAccount(portal.ctx, 'alice', { reason: 'security', note: 'your password was in a phishing report' });
    const alice = (await portal.store.read.getAccount('alice'))?.id ?? 0;
    await portal.store.transaction((tx) => tx.replaceUsage('shell', 'homes', '2026-02-28T23:00:00Z', [{ accountId: alice, subject: 'home:/home/alice', bytes: 3 * 1024 ** 3 }]));
    await signIn(page, portal.url, 'alice', PASSWORD);
    const held = await page.getByRole('region', { name: 'Account alice' }).innerText();
    expect(held).toContain('Frozen for security reasons');
    expect(held).toContain('Why: your password was in a phishing report');
    expect(held).toContain('An administrator will lift it; write to admins@example.org.');
    expect(await page.getByRole('table', { name: 'What you use' }).innerText()).toMatch(/shell\s+home:\/home\/alice\s+3\.0 GiB\s+2026-02-28/);
    const staff = await page.getByRole('region', { name: 'Account aliddell' }).innerText();
    // Not in force yet: the account is still active, and nothing is stopped.
    expect(staff).toMatch(/State\s+active/);
    expect(staff).toContain('To be retired');
    expect(staff).toContain('From 2026-03-11. Set by an administrator.');
    expect(staff).toContain('Your account will be disabled on 2026-03-11 and deleted on 2026-05-30.');
    await expectNoAxeViolations(page, 'the member page (retirement)');
    await screenshot(page, 'p1-member-retiring');
  });

  it('refuses a form posted without its CSRF token (403) and sends an expired session to sign in', async () => {
    await signIn(page, portal.url, 'alice', PASSWORD);
    expect(page.url()).toBe(`${portal.url}/portal`);
    const sessions = await page.getByRole('table', { name: 'Your sessions' }).innerText();
    expect(sessions).toMatch(/2026-03-01 12:00 \(UTC\)\s+now \(this browser\)\s+127\.0\.0\.1/);
    // The browser's own cookies, but no token: as a form on another site would post.
    const refused = await page.context().request.post(`${portal.url}/portal/logout`, { form: { other: 'x' }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('Request refused');
    await page.reload();
    expect(page.url()).toBe(`${portal.url}/portal`);

    // 31 minutes idle: the session has ended.
    portal.clock.advanceDays(31 / 1440);
    await page.reload();
    expect(page.url()).toBe(`${portal.url}/portal/login?ended=1`);
    expect(await page.getByRole('status').innerText()).toBe('Your session has ended. Please sign in again.');
    await expectNoAxeViolations(page, 'the sign-in page after expiry');
    await screenshot(page, 'p1-login-expired');
    expect(await portal.store.read.listPortalSessions('P1')).toEqual([]);

    // Signed in again, "sign out everywhere" ends every session, this one too.
    await signIn(page, portal.url, 'alice', PASSWORD);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL(/\/portal\/login\?everywhere=1$/);
    expect(await page.getByRole('status').innerText()).toContain('You have signed out everywhere (1 session ended).');
  });

  it('shows a wrong password the same as an unknown username, keeping the typed username', async () => {
    await signIn(page, portal.url, 'alice', 'wrong-password');
    const alert = await page.getByRole('alert').innerText();
    expect(alert).toBe('The username or password is not right.');
    await signIn(page, portal.url, 'nobody', 'wrong-password');
    expect(await page.getByRole('alert').innerText()).toBe(alert);
    expect(await page.getByLabel('Username').inputValue()).toBe('nobody');
    await expectNoAxeViolations(page, 'the sign-in page with an error');
    await screenshot(page, 'p1-login-error');
  });
});
