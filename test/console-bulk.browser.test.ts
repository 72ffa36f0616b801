import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { applyHost } from '../src/app/apply-host.js';
import { addPerson } from '../src/app/people.js';
import { targetRegistry } from '../src/targets/registry.js';
import { addConsoleUser, serveConsole, signInConsole, type ConsoleTestUser, type ServedConsole } from './console-browser.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot } from './portal-browser.js';

/**
 * Bulk actions and approvals in real Chromium (issue 16 item 4): an admin
 * retires 60 accounts, more than the circuit breaker allows (50), so the
 * run waits; an operator's forged approval is refused and changes nothing;
 * a second admin, signed in in a second browser context, approves it and
 * sees the per-item results of all 60. axe-core finds no WCAG 2.1 A/AA
 * violation on any page.
 */

const COUNT = 60;
const names = Array.from({ length: COUNT }, (_, i) => `pupil${String(i + 1).padStart(2, '0')}`);

let browser: Browser;
let served: ServedConsole;
let root1: ConsoleTestUser;
let root2: ConsoleTestUser;
let oper: ConsoleTestUser;

beforeAll(async () => {
  browser = await launchBrowser();
  served = await serveConsole();
  for (const [i, u] of names.entries()) {
    await addPerson(served.ctx, { id: `M${i}`, firstName: 'Member', lastName: u, roles: ['MEMBER'], emails: { MEMBER: `${u}@example.org` } });
    await createAccount(served.ctx, { personId: `M${i}`, type: 'member', username: u });
  }
  // Host shell as it is before: every account on it, applied under the test's root.
  await applyHost(served.ctx, targetRegistry, { host: 'shell', root: served.root });
  root1 = await addConsoleUser(served, 'root1');
  root2 = await addConsoleUser(served, 'root2');
  oper = await addConsoleUser(served, 'oper');
}, 120_000);
afterAll(async () => {
  await browser.close();
  await served.close();
});

/** Waits until the locator's first match is on the page (and fails the test after the timeout). */
async function shown(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout: 10_000 });
}

/** The page's CSRF token, as its forms carry it. */
async function csrfOf(page: Page): Promise<string> {
  return page.locator('input[name=csrf]').first().inputValue();
}

/** Posts a form built in the page (a forged request: the page offered no such button), and waits for the answer page. */
async function forgePost(page: Page, action: string, fields: Readonly<Record<string, string>>): Promise<number> {
  const answer = page.waitForResponse((r) => r.url().endsWith(action) && r.request().method() === 'POST');
  await page.evaluate(`(() => {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = ${JSON.stringify(action)};
    for (const [k, v] of Object.entries(${JSON.stringify(fields)})) {
      const i = document.createElement('input');
      i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
    }
    document.body.appendChild(f);
    f.submit();
  })()`);
  const status = (await answer).status();
  await page.waitForLoadState();
  return status;
}

describe('bulk actions and approvals in Chromium', () => {
  it('a bulk retirement of 60 accounts waits for a second admin, who approves in another browser; the results list all 60', async () => {
    // The first admin searches the members and takes the whole result to the bulk form.
    const first = (await newPage(browser)).page;
    await signInConsole(first, served, root1);
    await first.goto(`${served.url}/console?type=member`);
    await first.getByRole('button', { name: 'Select all matching accounts for a bulk action' }).click();
    await shown(first.getByText(`${COUNT} accounts match the search`));
    await expectNoAxeViolations(first, 'the bulk action form');
    await screenshot(first, 'c-bulk-1-form');

    // A bad value is named beside its field, and nothing is planned.
    await first.getByLabel('Days until deactivation (D)').fill('soon');
    await first.getByRole('button', { name: 'Plan the retirement' }).click();
    await shown(first.getByText('must be a whole number of days'));
    await expectNoAxeViolations(first, 'the bulk form with an error');

    await first.getByLabel('Days until deactivation (D)').fill('0');
    await first.getByLabel('Days until deletion (P)').fill('30');
    await first.getByRole('button', { name: 'Plan the retirement' }).click();
    await shown(first.getByRole('heading', { level: 1, name: 'Plan of the bulk action' }));
    await shown(first.getByText(/This retires 60 of \d+ accounts, more than the circuit breaker allows in one run \(50\)/));
    // Counts per host and target: every account disabled on shell, by each target shell runs.
    const hosts = first.getByRole('table', { name: 'Accounts per host and target' });
    await shown(hosts.getByRole('row', { name: 'shell unix disabled 60' }));
    // And what apply would do on shell, which the server applies: 60 shadow lines locked, one login list rewritten.
    const apply = first.getByRole('table', { name: 'What apply would do on host shell' });
    await shown(apply.getByRole('row', { name: 'unix 60 60 lock' }));
    await shown(apply.getByRole('row', { name: 'login 1 one file for all update' }));
    expect(await first.getByRole('table', { name: 'Each account' }).getByRole('row').count()).toBe(COUNT + 1);
    await expectNoAxeViolations(first, 'the bulk plan');
    await screenshot(first, 'c-bulk-2-plan');
    // A dry run: nothing retired yet.
    expect((await served.store.read.getAccount('pupil01'))?.holds).toEqual([]);

    await first.getByRole('button', { name: 'Ask a second admin to approve (60 accounts)' }).click();
    await shown(first.getByRole('heading', { level: 1, name: 'Waiting for a second admin' }));
    await expectNoAxeViolations(first, 'the waiting page');
    await screenshot(first, 'c-bulk-3-waiting');
    await first.getByRole('link', { name: 'The approval request' }).click();
    // The one who asked cannot approve: no button, and a word why.
    await shown(first.getByText('You asked for this change: a second admin must approve it.'));
    expect(await first.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    await expectNoAxeViolations(first, 'the approval request, to its requester');
    await screenshot(first, 'c-bulk-4-request');
    const id = first.url().split('/').at(-1) ?? '';
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const waiting = await served.store.read.getMassChange(id);
    expect(waiting).toMatchObject({ action: 'bulk:retire', requestedBy: 'console:root1(admin)', approvedAt: null });

    // An operator sees the request but no button, and a forged approval is refused: nothing changes.
    const operator = (await newPage(browser)).page;
    await signInConsole(operator, served, oper);
    await operator.goto(`${served.url}/console/approvals`);
    await shown(operator.getByRole("link", { name: id }));
    expect(await operator.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    await expectNoAxeViolations(operator, 'the approvals list, to an operator');
    expect(await forgePost(operator, `/console/approvals/${id}/approve`, { csrf: await csrfOf(operator) })).toBe(403);
    expect(await forgePost(operator, `/console/approvals/${id}/run`, { csrf: await csrfOf(operator) })).toBe(409);
    expect((await served.store.read.getMassChange(id))?.approvedAt).toBeNull();
    expect((await served.store.read.getAccount('pupil01'))?.holds).toEqual([]);

    // The second admin, in a browser context of their own, approves: the run follows, with each account's result.
    const second = (await newPage(browser)).page;
    await signInConsole(second, served, root2);
    await second.goto(`${served.url}/console/approvals`);
    await shown(second.getByRole('row', { name: /Bulk: retire \(D 0 days, P 30 days\) console:root1\(admin\)/ }));
    await expectNoAxeViolations(second, 'the approvals list');
    await screenshot(second, 'c-bulk-5-approvals');
    await second.getByRole('button', { name: `Approve and run ${id}` }).click();
    await shown(second.getByText('Approved by console:root2(admin).'));
    await shown(second.getByText(`Done: retire (D 0 days, P 30 days). ${COUNT} changed, 0 with nothing to do, 0 failed.`));
    const results = second.getByRole('table', { name: 'Each account' });
    expect(await results.getByRole('row').count()).toBe(COUNT + 1);
    await shown(results.getByRole('row', { name: /^pupil60 changed retired/ }));
    await expectNoAxeViolations(second, 'the approved change with its results');
    await screenshot(second, 'c-bulk-6-results');
    for (const u of names) expect((await served.store.read.getAccount(u))?.holds.map((h) => h.kind)).toEqual(['retired']);
    const done = await served.store.read.getMassChange(id);
    expect(done).toMatchObject({ approvedBy: 'console:root2(admin)' });

    // The requester sees the results on the request's page; a second approval or run is refused.
    await first.reload();
    expect(await first.getByRole('table', { name: 'Each account' }).getByRole('row').count()).toBe(COUNT + 1);
    expect(await first.getByRole('button', { name: /Approve|Run/ }).count()).toBe(0);
    expect(await forgePost(first, `/console/approvals/${id}/run`, { csrf: await csrfOf(first) })).toBe(409);
    await shown(first.getByText(/already used/));
    await screenshot(first, 'c-bulk-7-requester-results');

    await first.context().close();
    await second.context().close();
    await operator.context().close();
  }, 180_000);

  it('a freeze under the breaker runs at once, with per-item results; an auditor cannot post a bulk action', async () => {
    const admin = (await newPage(browser)).page;
    await signInConsole(admin, served, root2);
    await admin.goto(`${served.url}/console/bulk?username=root1&username=oper&username=ghost`);
    await shown(admin.getByText('3 accounts selected.'));
    await admin.getByLabel('Freeze reason').fill('security');
    await admin.getByLabel('Note (optional)').fill('ticket 42');
    await admin.getByRole('button', { name: 'Plan the freeze' }).click();
    await shown(admin.getByText('ghost: no account "ghost"'));
    await shown(admin.getByRole('table', { name: 'Accounts per host and target' }));
    await expectNoAxeViolations(admin, 'the plan of a freeze');
    await screenshot(admin, 'c-bulk-8-freeze-plan');
    await admin.getByRole('button', { name: 'Confirm: freeze with reason security (2 accounts)' }).click();
    await shown(admin.getByText('Done: freeze with reason security. 2 changed, 0 with nothing to do, 1 failed.'));
    await expectNoAxeViolations(admin, 'the results of a freeze');
    await screenshot(admin, 'c-bulk-9-freeze-results');
    expect((await served.store.read.getAccount('oper'))?.holds.map((h) => `${h.kind}:${h.reason}`)).toEqual(['freeze:security']);

    const audi = await addConsoleUser(served, 'audi');
    const auditor = (await newPage(browser)).page;
    await signInConsole(auditor, served, audi);
    await auditor.goto(`${served.url}/console/approvals`);
    expect(await auditor.getByRole('button', { name: /Approve|Run/ }).count()).toBe(0);
    const status = await forgePost(auditor, '/console/bulk', { csrf: await csrfOf(auditor), username: 'pupil01', action: 'freeze', reason: 'admin', step: 'run' });
    expect(status).toBe(403);
    expect((await served.store.read.getAccount('pupil01'))?.holds.map((h) => h.kind)).toEqual(['retired']);
    await admin.context().close();
    await auditor.context().close();
  }, 120_000);
});
