import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/app/accounts.js';
import { freezeAccount } from '../src/app/lifecycle-actions.js';
import { addPerson } from '../src/app/people.js';
import { addConsoleUser, serveConsole, signInConsole, type ConsoleTestUser, type ServedConsole } from './console-browser.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot } from './portal-browser.js';

/**
 * The console's search page in real Chromium (issue 16 item 2): the first
 * page after sign-in; search by e-mail address finds the account; the
 * state, hold, type and host selects narrow the result; 60 results page as
 * 50 and 10 with nothing repeated; the rows, or the whole result, are posted
 * to the bulk page; bad fields are named beside them; an auditor sees no
 * selection. axe-core finds no WCAG 2.1 A/AA violation.
 */

const MEMBERS = 60;
let browser: Browser;
let served: ServedConsole;
let root1: ConsoleTestUser;
let audi: ConsoleTestUser;

beforeAll(async () => {
  browser = await launchBrowser();
  served = await serveConsole();
  root1 = await addConsoleUser(served, 'root1');
  audi = await addConsoleUser(served, 'audi');
  for (let i = 0; i < MEMBERS; i++) {
    const n = String(i).padStart(2, '0');
    await addPerson(served.ctx, { id: `M${n}`, firstName: i === 7 ? 'Grace' : 'Member', lastName: i === 7 ? 'Hopper' : `Number${n}`, roles: ['MEMBER'], emails: { MEMBER: i === 7 ? 'Grace.Hopper@Example.org' : `member${n}@example.org` } });
  }
  const made = await createAccounts(served.ctx, Array.from({ length: MEMBERS }, (_, i) => ({ personId: `M${String(i).padStart(2, '0')}`, type: 'member', username: i === 7 ? 'ghopper' : `mem${String(i).padStart(2, '0')}x` })));
  expect(made.every((r) => r.ok)).toBe(true);
  for (const u of ['mem03x', 'mem04x']) await freezeAccount(served.ctx, u, { reason: 'billing' });
  await freezeAccount(served.ctx, 'mem05x', { reason: 'admin' });
}, 60_000);
afterAll(async () => {
  await served.close();
  await browser.close();
});

/** The text of each results row, cells joined by " | ". */
async function rows(p: Page): Promise<string[]> {
  const trs = await p.getByRole('table', { name: 'Matching accounts, oldest first' }).locator('tbody tr').all();
  return Promise.all(trs.map(async (tr) => (await tr.locator('td:not(.select)').allTextContents()).map((t) => t.trim()).join(' | ')));
}

async function usernames(p: Page): Promise<string[]> {
  return (await rows(p)).map((r) => r.split(' | ')[0] ?? '');
}

async function search(p: Page, fields: { q?: string; state?: string; hold?: string; type?: string; host?: string }): Promise<void> {
  await p.goto(`${served.url}/console`);
  if (fields.q !== undefined) await p.getByLabel('Search', { exact: true }).fill(fields.q);
  if (fields.state !== undefined) await p.getByLabel('State').selectOption({ label: fields.state });
  if (fields.hold !== undefined) await p.getByLabel('Hold').selectOption({ label: fields.hold });
  if (fields.type !== undefined) await p.getByLabel('Type').selectOption(fields.type);
  if (fields.host !== undefined) await p.getByLabel('Host').selectOption(fields.host);
  await p.getByRole('button', { name: 'Search', exact: true }).click();
  await p.waitForLoadState();
}

describe('the console: search', () => {
  it('an admin lands on the search; an e-mail address finds its account; filters narrow; 60 results page as 50 and 10; rows and the whole result go to the bulk page', async () => {
    const { page } = await newPage(browser);
    await signInConsole(page, served, root1);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Search accounts');

    await search(page, { q: 'grace.hopper@EXAMPLE.org' });
    expect(await rows(page)).toEqual(['ghopper | Grace Hopper | M07 | Grace.Hopper@Example.org | member | active | ']);
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('One account matches.');
    expect(await page.getByRole('link', { name: 'ghopper' }).getAttribute('href')).toBe('/console/accounts/ghopper');
    await expectNoAxeViolations(page, 'the search page with a result');
    await screenshot(page, 'console-search-email');

    await search(page, { state: 'Disabled (a hold in force)' });
    expect(await usernames(page)).toEqual(['mem03x', 'mem04x', 'mem05x']);
    await search(page, { hold: 'Frozen: billing' });
    expect(await usernames(page)).toEqual(['mem03x', 'mem04x']);
    expect((await rows(page))[0]).toContain('| disabled | frozen: billing');
    // The console users are staff, who live on shell only.
    await search(page, { type: 'staff' });
    expect(await usernames(page)).toEqual(['root1', 'audi']);
    await search(page, { host: 'web', q: 'admin' });
    expect(await usernames(page)).toEqual([]);
    expect(await page.getByText('No account matches.').count()).toBe(1);
    await search(page, { host: 'shell', q: 'admin' });
    expect(await usernames(page)).toEqual(['root1', 'audi']);

    // Sixty members: a page of 50, then 10, in account order, none twice.
    await search(page, { q: 'member' });
    // More than a page: not counted unless asked (a page of results is one search).
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('More accounts match than one page shows. Count them');
    await page.getByRole('link', { name: 'Count them' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('59 accounts match.');
    expect(await page.getByRole('button', { name: 'Select all 59 results for a bulk action' }).count()).toBe(1);
    const first = await usernames(page);
    expect(first).toHaveLength(50);
    await screenshot(page, 'console-search-page1');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForLoadState();
    const second = await usernames(page);
    expect(second).toHaveLength(9);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(59);
    expect(all).toEqual(Array.from({ length: MEMBERS }, (_, i) => `mem${String(i).padStart(2, '0')}x`).filter((u) => u !== 'mem07x'));
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
    await expectNoAxeViolations(page, 'the second page of results');

    // What the bulk forms post: the ticked rows, or the whole search.
    const posted: string[] = [];
    await page.route(`${served.url}/console/bulk`, async (route) => {
      posted.push(route.request().postData() ?? '');
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>bulk</title><p>bulk</p>' });
    });
    await page.getByLabel('Select mem55x').check();
    await page.getByLabel('Select mem57x').check();
    await page.getByRole('button', { name: 'Bulk action on the selected accounts' }).click();
    await page.waitForLoadState();
    await search(page, { q: 'member', hold: 'Frozen: billing' });
    await page.getByRole('button', { name: 'Select all 2 results for a bulk action' }).click();
    await page.waitForLoadState();
    const forms = posted.map((b) => new URLSearchParams(b));
    expect(forms.map((f) => f.getAll('username'))).toEqual([['mem55x', 'mem57x'], []]);
    expect(forms.map((f) => f.get('csrf')?.length ?? 0).every((n) => n > 10)).toBe(true);
    expect(forms[1] === undefined ? null : Object.fromEntries([...forms[1].entries()].filter(([k]) => k !== 'csrf'))).toEqual({ all: '1', q: 'member', hold: 'billing' });
    await page.context().close();
  });

  it('names each bad field beside it and lists nothing; an auditor searches but sees no selection', async () => {
    const { page } = await newPage(browser);
    await signInConsole(page, served, audi);
    const res = await page.goto(`${served.url}/console?state=frozen&host=mars&q=member`);
    expect(res?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('The search has a problem');
    expect(await page.getByLabel('State').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#search-state-error').textContent()).toBe('"frozen" is not a state (active, pending, disabled, purged)');
    expect(await page.locator('#search-host-error').textContent()).toBe('no host "mars" (shell, web)');
    expect(await page.getByRole('table').count()).toBe(0);
    await expectNoAxeViolations(page, 'the search page with bad fields');
    await screenshot(page, 'console-search-bad');

    await search(page, { q: 'grace' });
    expect(await usernames(page)).toEqual(['ghopper']);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect(await page.locator('form[action="/console/bulk"]').count()).toBe(0);
    await expectNoAxeViolations(page, 'the search page of an auditor');
    await page.context().close();
  });
});
