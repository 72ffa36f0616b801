import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { sendPasswordResetLink } from '../src/app/password-reset-link.js';
import { addPerson } from '../src/app/people.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot, servePortal, signIn, type ServedPortal } from './portal-browser.js';

/**
 * The link an administrator sends a member to set a new password, in real
 * Chromium: the page shows the policy, refuses two different passwords and
 * a weak one with its reasons, sets a good one (the member signs in with
 * it), and works once. axe-core finds no violation on its pages.
 */

const OLD = 'Tea-Party-1865';
const NEW = 'Jabber-Wock-1871';

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
  portal = await servePortal();
  await addPerson(portal.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'], emails: { MEMBER: 'alice@example.org' } });
  await createAccount(portal.ctx, { personId: 'P1', type: 'member', username: 'alice', password: OLD });
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await portal.close();
});

/** The link of the newest reset message, pointed at the test server instead of portal.publicUrl. */
async function sentLink(): Promise<string> {
  const m = (await portal.store.read.listMessages({ kind: 'password-reset' }))[0];
  if (m === undefined) throw new Error('no password-reset message');
  expect(m.recipient).toBe('alice@example.org');
  const link = new URL(String(m.data.link));
  return `${portal.url}${link.pathname}${link.search}`;
}

describe('the password reset link in Chromium', () => {
  it('sets a new password once, after refusing a mismatch and a weak one', async () => {
    await sendPasswordResetLink({ ...portal.ctx, actor: 'console:root1(admin)' }, 'alice');
    const link = await sentLink();
    await page.goto(link);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Set a new password');
    expect(await page.textContent('main')).toContain('the account alice');
    await expectNoAxeViolations(page, 'the reset page');
    await screenshot(page, 'reset-1-form');

    await page.getByLabel('New password', { exact: true }).fill(NEW);
    await page.getByLabel('New password again').fill(`${NEW}x`);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    expect(await page.textContent('#confirm-error')).toContain('not the same');

    await page.getByLabel('New password', { exact: true }).fill('alice');
    await page.getByLabel('New password again').fill('alice');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    expect(await page.textContent('#password-error')).toMatch(/cannot be used.*at least 10 characters/);
    await expectNoAxeViolations(page, 'the reset page with errors');
    await screenshot(page, 'reset-2-refused');

    await page.getByLabel('New password', { exact: true }).fill(NEW);
    await page.getByLabel('New password again').fill(NEW);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    expect(await page.textContent('main')).toContain('The password of alice is set');
    await expectNoAxeViolations(page, 'the done page');
    await screenshot(page, 'reset-3-done');

    // The link worked once.
    const again = await page.goto(link);
    expect(again?.status()).toBe(404);
    expect(await page.textContent('main')).toContain('This link is not valid');
    await expectNoAxeViolations(page, 'the used link');

    // The new password signs in; the old one no longer does.
    await signIn(page, portal.url, 'alice', OLD);
    expect(await page.textContent('main')).toContain('not right');
    await signIn(page, portal.url, 'alice', NEW);
    expect(new URL(page.url()).pathname).toBe('/portal');
  });
});
