import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { recordLedger } from '../src/app/billing-run.js';
import { desiredRevision, recordHostReport } from '../src/app/host-reports.js';
import { addPerson } from '../src/app/people.js';
import { addConsoleUser, serveConsole, signInConsole, type ServedConsole } from './console-browser.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot } from './portal-browser.js';

/**
 * The console's people, hosts and jobs pages in real Chromium (issue 16
 * item 5): an operator records a payment and reads the new balance and
 * run-out date; the hosts page shows what an agent reported, its drift and
 * failures; a job's dry run comes first and changes nothing, and it runs
 * only on confirmation; an auditor sees no form or button that changes
 * anything, and a forged POST of theirs is refused with nothing changed.
 * axe-core finds no WCAG 2.1 A/AA violation on any of these pages.
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
  await addPerson(served.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'], emails: { MEMBER: 'alice@example.org' } });
  await createAccount(served.ctx, { personId: 'P1', type: 'member', username: 'alice' });
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await served.close();
});

/** The CSRF token of the signed-in page (every POST form carries it): what a forger with the user's session has at best. */
async function csrfOf(p: Page): Promise<string> {
  return (await p.locator('input[name=csrf]').first().getAttribute('value')) ?? '';
}

describe('the console: people, hosts and jobs', () => {
  it('an operator records a payment: a bad amount is named and records nothing; a good one shows the new balance and run-out date', async () => {
    await recordLedger(served.ctx, 'P1', 'charge', '30', 'dues for three months');
    const oper = await addConsoleUser(served, 'oper');
    await signInConsole(page, served, oper);
    await page.goto(`${served.url}/console/people/P1`);
    const main = page.getByRole('main');
    expect(await main.getByRole('heading', { level: 1 }).textContent()).toBe('Alice Liddell');
    expect(await page.locator('#person-balance').innerText()).toBe('-30.00 USD');
    // The balance ran out: it is negative.
    expect(await page.locator('#person-run-out').innerText()).toContain('already run out');
    expect((await served.ctx.store.read.getAccount('alice'))?.holds.map((h) => h.reason)).toEqual(['billing']);
    expect(await main.getByRole('link', { name: 'alice' }).getAttribute('href')).toBe('/console/accounts/alice');
    expect(await page.getByRole('table', { name: /Charges and payments/ }).innerText()).toContain('dues for three months');
    await expectNoAxeViolations(page, 'the person page');
    await screenshot(page, 'console-person');

    await page.getByLabel('Amount').fill('12,50');
    await page.getByLabel('Note or reference').fill('bank ref 4711');
    await page.getByRole('button', { name: 'Record the payment' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').innerText()).toContain('The payment was not recorded');
    expect(await page.locator('#pay-amount-error').innerText()).toContain('A positive amount');
    expect(await page.getByLabel('Note or reference').inputValue()).toBe('bank ref 4711');
    expect((await served.ctx.store.read.ledger('P1')).length).toBe(1);
    await expectNoAxeViolations(page, 'the person page with a refused payment');
    await screenshot(page, 'console-person-refused');

    // With the keyboard alone: the amount field, the new amount, Enter sends the form.
    await page.getByLabel('Amount').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('45.50');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/people\/P1\?paid=\d+$/);
    expect(await page.getByRole('status').innerText()).toMatch(/^Recorded payment \d+ of 45\.50 USD; the balance is now 15\.50 USD\.$/);
    expect(await page.locator('#person-balance').innerText()).toBe('15.50 USD');
    // 15.50 at 10.00 a month: ⌊1.55 × 30.4375⌋ = 47 days from 2026-03-01 (the test clock's today).
    expect(await page.locator('#person-run-out').innerText()).toBe('2026-04-17 (in 47 days)');
    // The charge had frozen alice for billing; the payment lifted it at once.
    expect(await page.getByRole('table', { name: /^Accounts of this person/ }).getByRole('row', { name: /^alice/ }).getByRole('cell').allInnerTexts()).toEqual(['member', 'active', '–']);
    expect((await served.ctx.store.read.getAccount('alice'))?.holds).toEqual([]);
    const ledger = await served.ctx.store.read.ledger('P1');
    expect(ledger.map((e) => [e.kind, e.amountCents, e.note])).toEqual([
      ['charge', 3000, 'dues for three months'],
      ['payment', 4550, 'bank ref 4711'],
    ]);
    const audit = (await served.ctx.store.read.listAudit({ target: 'person:P1' })).filter((r) => r.action === 'ledger.pay');
    expect(audit.map((r) => r.actor)).toEqual(['console:oper(operator)']);
    await expectNoAxeViolations(page, 'the person page after a payment');
    await screenshot(page, 'console-person-paid');

    await page.goto(`${served.url}/console/people/NOPE`);
    expect(await page.getByRole('alert').innerText()).toContain('There is no person with id NOPE');
  });

  it("the hosts page shows an agent's last report; the host's page its failures, drift and reports", async () => {
    const revision = (await desiredRevision(served.ctx, 'web')).revision;
    await recordHostReport({ ...served.ctx, actor: 'token:7(agent)' }, 'web', {
      revision,
      ok: false,
      report: {
        revision,
        outcomes: [{ target: 'login', action: 'add', subject: 'bob', summary: 'list bob as frozen', status: 'failed', error: 'the list is read-only' }],
        totals: { ok: 3, failed: 1, skipped: 0 },
        drift: [{ target: 'login', action: 'remove', subject: 'mallory', summary: 'take mallory off the list' }],
        driftTotal: 1,
      },
      counts: { failed: 1 },
    });
    served.clock.at = new Date(served.clock.at.getTime() + 2 * 3_600_000);
    const audi = await addConsoleUser(served, 'audi');
    await signInConsole(page, served, audi);
    await page.goto(`${served.url}/console/hosts`);
    const table = page.getByRole('table', { name: /^Hosts/ });
    const web = table.getByRole('row', { name: /^web/ });
    const cells = await web.getByRole('cell').allInnerTexts();
    expect(cells).toEqual(['its agent', 'none', expect.stringMatching(/\(2 hours ago\)$/) as string, `${revision.slice(0, 12)} (current)`, '1 failed', '1']);
    expect(await table.getByRole('row', { name: /^shell/ }).getByRole('cell').nth(2).innerText()).toBe('no agent; the apply job has not run');
    await expectNoAxeViolations(page, 'the hosts page');
    await screenshot(page, 'console-hosts');

    await web.getByRole('link', { name: 'web' }).click();
    await page.waitForURL(`${served.url}/console/hosts/web`);
    expect(await page.getByRole('main').getByRole('heading', { level: 1 }).textContent()).toBe('Host web');
    expect(await page.getByRole('table', { name: /^Failed changes of report \d+$/ }).innerText()).toContain('the list is read-only');
    expect(await page.getByRole('table', { name: /^Drifted changes of report \d+$/ }).innerText()).toContain('take mallory off the list');
    expect(await page.getByText('The host runs the revision the server hands out now.').count()).toBe(1);
    expect(await page.getByRole('table', { name: /The last reports/ }).getByRole('row').count()).toBe(2);
    await expectNoAxeViolations(page, "a host's page");
    await screenshot(page, 'console-host-web');

    // A change made since: the host is behind until its agent applies it.
    await addPerson(served.ctx, { id: 'P2', firstName: 'Bob', lastName: 'Kay', roles: ['MEMBER'] });
    await createAccount(served.ctx, { personId: 'P2', type: 'member', username: 'bob' });
    await page.reload();
    expect(await page.getByRole('main').innerText()).toContain('has not reported the revision handed out now');

    await page.goto(`${served.url}/console/hosts/mail`);
    expect(await page.getByRole('alert').innerText()).toContain('roster.yaml declares no host mail');
  });

  it('a job runs only after its dry run is confirmed, and the result and the runs list show what it did', async () => {
    const oper = await addConsoleUser(served, 'oper');
    await signInConsole(page, served, oper);
    await page.goto(`${served.url}/console/jobs`);
    await expectNoAxeViolations(page, 'the jobs page');
    await screenshot(page, 'console-jobs');
    expect(await page.getByText('No run recorded yet.').count()).toBe(1);

    await page.getByRole('button', { name: 'Run billing now…' }).click();
    await page.waitForURL(/\/console\/jobs\/billing\/run\??$/);
    expect(await page.getByRole('main').getByRole('heading', { level: 1 }).textContent()).toBe('Run billing now?');
    // alice owes this month's dues on a zero balance: the run would post them and freeze her.
    const counts = page.getByRole('table', { name: 'What it would do' });
    expect(await counts.getByRole('row', { name: /^frozen/ }).innerText()).toMatch(/frozen\s+1/);
    expect(await counts.getByRole('row', { name: /^duesPosted/ }).innerText()).toMatch(/duesPosted\s+1/);
    await expectNoAxeViolations(page, "a job's dry run");
    await screenshot(page, 'console-job-plan');
    // The dry run changed and recorded nothing.
    expect(await served.ctx.store.read.listJobRuns()).toEqual([]);
    expect(await served.ctx.store.read.ledger('P1')).toEqual([]);

    await page.getByRole('button', { name: 'Run billing' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('main').getByRole('heading', { level: 1 }).textContent()).toBe('billing: run finished');
    expect(await page.getByRole('status').innerText()).toMatch(/^Run \d+ finished: ok\./);
    expect(await page.getByRole('table', { name: 'What it did' }).getByRole('row', { name: /^frozen/ }).innerText()).toMatch(/frozen\s+1/);
    await expectNoAxeViolations(page, "a job's result");
    await screenshot(page, 'console-job-done');
    const [run] = await served.ctx.store.read.listJobRuns();
    expect([run?.job, run?.result, run?.startedBy, run?.forced]).toEqual(['billing', 'ok', 'console:oper(operator)', true]);
    expect((await served.ctx.store.read.getAccount('alice'))?.holds.map((h) => h.reason)).toEqual(['billing']);

    await page.getByRole('link', { name: 'Back to the jobs' }).click();
    const runs = page.getByRole('table', { name: /The last runs/ });
    expect(await runs.innerText()).toContain('console:oper(operator) (run by hand)');
  });

  it("the apply job run from the console applies the host roster serve applies under the server's root, after a dry run listing its changes", async () => {
    const admin = await addConsoleUser(served, 'root1');
    await signInConsole(page, served, admin);
    const passwd = (): Promise<string> => readFile(join(served.root, 'etc/passwd'), 'utf8');
    await page.goto(`${served.url}/console/jobs`);
    await page.getByRole('button', { name: 'Run apply now…' }).click();
    await page.waitForURL(/\/console\/jobs\/apply\/run\??$/);
    const details = await page.getByRole('list', { name: 'In detail' }).innerText();
    expect(details).toMatch(/^shell: would apply \d+ change\(s\)$/m);
    expect(details).toMatch(/^shell: unix: .*alice/m);
    expect(await passwd()).not.toContain('alice:');
    await expectNoAxeViolations(page, "the apply job's dry run");
    await screenshot(page, 'console-job-apply-plan');

    await page.getByRole('button', { name: 'Run apply' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('status').innerText()).toMatch(/^Run \d+ finished: ok\./);
    expect(await passwd()).toMatch(/^alice:x:\d+:\d+:/m);
    const [run] = await served.ctx.store.read.listJobRuns({ job: 'apply' });
    expect([run?.result, run?.startedBy, (run?.counts.applied ?? 0) > 0, run?.counts.failed]).toEqual(['ok', 'console:root1(admin)', true, 0]);
    // The hosts page tells of the host roster serve applies by the apply job's last run.
    await page.goto(`${served.url}/console/hosts`);
    expect(await page.getByRole('table', { name: /^Hosts/ }).getByRole('row', { name: /^shell/ }).getByRole('cell').nth(2).innerText()).toBe('no agent; the apply job: ok, 2026-03-01 12:00');
  });

  it('an auditor sees no form that changes anything, and a forged POST is refused with nothing changed', async () => {
    const audi = await addConsoleUser(served, 'audi');
    await signInConsole(page, served, audi);
    await page.goto(`${served.url}/console/people/P1`);
    expect(await page.getByRole('heading', { name: 'Record a payment' }).count()).toBe(0);
    expect(await page.getByLabel('Amount').count()).toBe(0);
    await expectNoAxeViolations(page, 'the person page of an auditor');
    const csrf = await csrfOf(page);
    expect(csrf).not.toBe('');
    const forged = await page.request.post(`${served.url}/console/people/P1/payments`, { form: { csrf, amount: '100', note: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await served.ctx.store.read.ledger('P1')).toEqual([]);

    await page.goto(`${served.url}/console/jobs`);
    expect(await page.getByRole('button').filter({ hasText: /^Run / }).count()).toBe(0);
    const dry = await page.request.get(`${served.url}/console/jobs/billing/run`, { maxRedirects: 0 });
    expect(dry.status()).toBe(403);
    const run = await page.request.post(`${served.url}/console/jobs/billing/run`, { form: { csrf: await csrfOf(page) }, maxRedirects: 0 });
    expect(run.status()).toBe(403);
    expect(await served.ctx.store.read.listJobRuns()).toEqual([]);
    expect(await served.ctx.store.read.ledger('P1')).toEqual([]);
  });
});
