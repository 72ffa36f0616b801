import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { authenticateToken, createApiToken, hashToken } from '../src/app/api-tokens.js';
import { approveMassChange } from '../src/app/mass-changes.js';
import { retireAccount } from '../src/app/lifecycle-actions.js';
import { addPerson } from '../src/app/people.js';
import { verificationDigest } from '../src/app/person-input.js';
import { addConsoleUser, CONSOLE_TEST_CONFIG, serveConsole, signInConsole, type ConsoleTestUser, type ServedConsole } from './console-browser.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot } from './portal-browser.js';

/**
 * The console's audit, tokens and sync pages in real Chromium (issue 16
 * items 5 and 6): the audit log filtered by actor, action, target and time,
 * paged, and its chain verified with the head shown to copy; a token's
 * secret shown once and never again; a roster file with problems named by
 * row and nothing changed, a good one planned, then run (and over the
 * breaker, run once a second admin approved); an auditor sees no form that
 * changes anything and a forged POST is refused; no page shows a password
 * hash, an identity HMAC or a token's secret. axe-core finds no WCAG 2.1
 * A/AA violation on any of these pages.
 */

// The school's breaker trips when a file would retire more than two accounts.
const YAML = CONSOLE_TEST_CONFIG.replace('    types: { MEMBER: [member] }\n', '    types: { MEMBER: [member] }\n    breaker: { count: 2, percent: 5 }\n');
const HEADER = 'id,first,last,email,roles';
const ROWS = ['S1,Ada,Lovelace,ada@example.org,MEMBER', 'S2,Alan,Turing,,MEMBER', 'S3,Grace,Hopper,grace@example.org,MEMBER', 'S4,Edsger,Dijkstra,,MEMBER', 'S5,Barbara,Liskov,,MEMBER'];
const csv = (rows: readonly string[]): Buffer => Buffer.from(`${[HEADER, ...rows].join('\n')}\n`);

let browser: Browser;
let served: ServedConsole;
let page: Page;
let root1: ConsoleTestUser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});

beforeEach(async () => {
  served = await serveConsole({ yaml: YAML });
  root1 = await addConsoleUser(served, 'root1');
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await served.close();
});

/** The CSRF token of the signed-in page (the sign-out form carries it): what a forger with the user's own session has at best. */
async function csrfOf(p: Page): Promise<string> {
  return (await p.locator('input[name=csrf]').first().getAttribute('value')) ?? '';
}

/** The text of each row of the table named `name`, cells joined by " | ". */
async function rowsOf(p: Page, name: string | RegExp): Promise<string[]> {
  const rows = await p.getByRole('table', { name }).locator('tbody tr').all();
  return Promise.all(rows.map(async (tr) => (await tr.locator('th, td').allTextContents()).map((t) => t.trim()).join(' | ')));
}

async function upload(p: Page, name: string, content: Buffer): Promise<void> {
  await p.goto(`${served.url}/console/sync`);
  await p.getByLabel('Source').selectOption('school');
  await p.getByLabel('Roster file (CSV)').setInputFiles({ name, mimeType: 'text/csv', buffer: content });
  await p.getByRole('button', { name: 'Check the file and show the plan' }).click();
  await p.waitForLoadState();
}

describe('the console: audit, tokens and sync uploads', () => {
  it('the audit log filters by actor, action, target and time, pages by record, and verifies the chain with the head to copy', async () => {
    await addPerson(served.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'], emails: { MEMBER: 'alice@example.org' } });
    await createAccount(served.ctx, { personId: 'P1', type: 'member', username: 'alice' });
    // Sixty records of a job an hour later: more than one page.
    for (let i = 0; i < 60; i++) {
      await served.store.transaction((q) => q.appendAudit({ at: `2026-03-01T13:${String(i).padStart(2, '0')}:00.000Z`, actor: 'job:seed', action: 'seed.step', target: `seed:${i}`, before: null, after: { i }, result: 'ok' }));
    }
    await signInConsole(page, served, root1);
    await page.goto(`${served.url}/console/audit`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit log');
    const first = await rowsOf(page, /Records, newest first/);
    expect(first).toHaveLength(50);
    await expectNoAxeViolations(page, 'the audit log');
    await screenshot(page, 'console-audit');

    // The next page starts right after the last record shown.
    const lastShown = Number(first.at(-1)?.split(' | ')[0]);
    await page.getByRole('link', { name: 'Older records' }).click();
    await page.waitForLoadState();
    expect(Number((await rowsOf(page, /Records, newest first/))[0]?.split(' | ')[0])).toBe(lastShown - 1);

    await page.goto(`${served.url}/console/audit`);
    await page.getByLabel('Actor').fill('test');
    await page.getByLabel('Action').fill('account.');
    await page.getByRole('button', { name: 'Show records' }).click();
    await page.waitForLoadState();
    const mine = await rowsOf(page, /Matching records/);
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) expect(r).toMatch(/^\d+ \| [\d-]+ [\d:]+ \| test \| account\.[a-z-]+ \| account:[a-z0-9]+ \|/);
    expect(mine.some((r) => r.includes('| account.create | account:alice |'))).toBe(true);

    await page.goto(`${served.url}/console/audit`);
    await page.getByLabel('Target').fill('seed:7');
    await page.getByRole('button', { name: 'Show records' }).click();
    await page.waitForLoadState();
    expect((await rowsOf(page, /Matching records/)).map((r) => r.split(' | ').slice(2, 5).join(' '))).toEqual(['job:seed seed.step seed:7']);
    // A record's target links to that target's records.
    await page.goto(`${served.url}/console/audit?actor=test`);
    await page.getByRole('link', { name: 'account:alice' }).first().click();
    await page.waitForLoadState();
    expect(await page.getByLabel('Target').inputValue()).toBe('account:alice');
    expect((await rowsOf(page, /Matching records/)).every((r) => r.includes('| account:alice |'))).toBe(true);

    await page.goto(`${served.url}/console/audit`);
    await page.getByLabel('From').fill('2026-03-01T13:10');
    await page.getByLabel('Until').fill('2026-03-01T13:13');
    await page.getByRole('button', { name: 'Show records' }).click();
    await page.waitForLoadState();
    expect((await rowsOf(page, /Matching records/)).map((r) => r.split(' | ')[4])).toEqual(['seed:12', 'seed:11', 'seed:10']);

    // A bad time is named at its field, and nothing is listed.
    await page.getByLabel('From').fill('yesterday');
    await page.getByRole('button', { name: 'Show records' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').innerText()).toContain('The filter has a problem');
    expect(await page.locator('#audit-from-error').innerText()).toContain('"yesterday" is not a date or time');
    expect(await page.getByLabel('From').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('table').count()).toBe(0);
    await expectNoAxeViolations(page, 'the audit log with a bad filter');
    await screenshot(page, 'console-audit-bad-filter');

    // Verify: intact, with the head in a field to copy.
    await page.goto(`${served.url}/console/audit`);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.waitForLoadState();
    const head = await served.store.read.auditHead();
    expect(await page.getByRole('status').innerText()).toContain(`The chain is intact: ${head.seq} records verified.`);
    const shown = await page.getByLabel('Chain head (keep it outside the database)').inputValue();
    expect(shown).toBe(`${head.seq}:${head.hash}`);
    expect(await page.getByLabel('Chain head (keep it outside the database)').getAttribute('readonly')).not.toBeNull();
    await expectNoAxeViolations(page, 'the verification');
    await screenshot(page, 'console-audit-verified');

    // Given back, the head still verifies; a head the chain never had does not.
    await page.getByLabel('Head kept earlier (optional)').fill(shown);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('status').innerText()).toContain('The chain is intact');
    await page.getByLabel('Head kept earlier (optional)').fill(`${head.seq + 5}:${'ab'.repeat(32)}`);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').innerText()).toContain('The chain is BROKEN');
    expect(await rowsOf(page, 'Problems')).toEqual([expect.stringContaining('truncated')]);
    await expectNoAxeViolations(page, 'a broken verification');
    await screenshot(page, 'console-audit-broken');
  });

  it('a token is created with its secret shown once and never again, shows its last use, and is revoked', async () => {
    await signInConsole(page, served, root1);
    await page.goto(`${served.url}/console/tokens`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('API tokens');
    await expectNoAxeViolations(page, 'the tokens page');

    // An agent token needs its host: named at the field, nothing created.
    await page.getByLabel('Role').selectOption('agent');
    await page.getByLabel('Description').fill('shell agent');
    await page.getByRole('button', { name: 'Create the token' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#token-host-error').innerText()).toBe('An agent token acts for one host: choose it.');
    expect(await page.getByLabel('Description').inputValue()).toBe('shell agent');
    expect(await served.store.read.listApiTokens()).toEqual([]);
    await expectNoAxeViolations(page, 'the tokens page with a refused token');
    await screenshot(page, 'console-tokens-refused');

    await page.getByLabel('Role').selectOption('operator');
    await page.getByLabel('Description').fill('CI deploys');
    await page.getByLabel('Expires after').fill('30d');
    const answer = page.waitForResponse((r) => r.url().endsWith('/console/tokens') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create the token' }).click();
    expect((await answer).headers()['cache-control']).toContain('no-store');
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Token created');
    const secret = await page.getByLabel('The new token').inputValue();
    expect(secret).toMatch(/^roster_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByText('this is the only time it is shown').count()).toBe(1);
    const token = await authenticateToken(served.store.read, secret, served.clock.now());
    expect(token).toMatchObject({ role: 'operator', note: 'CI deploys', createdBy: 'console:root1(admin)' });
    await expectNoAxeViolations(page, 'the created token');
    await screenshot(page, 'console-token-created');

    // Used once through the API: the list shows when; never the secret or its hash.
    const api = await fetch(`${served.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${secret}` } });
    expect(api.status).toBe(200);
    await page.goto(`${served.url}/console/tokens`);
    const html = await page.content();
    expect(html).not.toContain(secret);
    expect(html).not.toContain(hashToken(secret));
    const rows = await rowsOf(page, /Tokens, revoked and expired ones too/);
    expect(rows).toEqual([`${token?.id} | operator | CI deploys | 2026-03-01 12:00 by console:root1(admin) | 2026-03-01 12:00 | 2026-03-31 12:00 | active | Revoke token ${token?.id}`]);
    await screenshot(page, 'console-tokens');

    await page.getByRole('button', { name: `Revoke token ${token?.id}` }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('status').innerText()).toContain('is revoked');
    expect((await rowsOf(page, /Tokens/))[0]).toContain('revoked 2026-03-01');
    expect(await page.getByRole('button', { name: /Revoke token/ }).count()).toBe(0);
    expect(await authenticateToken(served.store.read, secret, served.clock.now())).toBeUndefined();
    expect((await fetch(`${served.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    await expectNoAxeViolations(page, 'the tokens page after a revocation');
  });

  it('a roster file with problems is named by row and changes nothing; a good one shows its plan, then runs', async () => {
    const oper = await addConsoleUser(served, 'oper');
    await signInConsole(page, served, oper);
    await page.goto(`${served.url}/console/sync`);
    await expectNoAxeViolations(page, 'the sync upload page');
    await screenshot(page, 'console-sync');

    const before = await served.store.read.auditHead();
    await upload(page, 'bad.csv', csv(['S1,Ada,Lovelace,ada@example.org,MEMBER', ',No,Id,,MEMBER', 'S3,Grace,Hopper,not-an-address,MEMBER', 'S4,Edsger,Dijkstra,,WIZARD', 'S1,Twice,Over,,MEMBER']));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('The roster file has problems');
    expect(await page.getByRole('alert').innerText()).toContain('bad.csv: 4 problems. Nothing was changed.');
    expect((await rowsOf(page, 'Problems by row')).map((r) => r.split(' | ')[0])).toEqual(['row 3, column id', 'row 4, column email', 'row 5, column roles', 'row 6, column id']);
    expect(await served.store.read.auditHead()).toEqual(before);
    expect(await served.store.read.listPeople({ source: 'school', limit: 10 })).toEqual([]);
    await expectNoAxeViolations(page, 'the problems of a roster file');
    await screenshot(page, 'console-sync-problems');

    await upload(page, 'school.csv', csv(ROWS));
    await page.waitForURL(/\/console\/sync\/uploads\/[A-Za-z0-9_-]{22}$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Plan of the sync');
    expect(await rowsOf(page, 'What the sync would do')).toEqual(['People added | 5', 'People updated | 0', 'Accounts created | 5', 'Accounts reactivated | 0', 'Accounts retired | 0', 'of which purged at once | 0', 'People unchanged | 0']);
    const changes = await rowsOf(page, 'Changes');
    expect(changes.filter((r) => r.startsWith('create account'))).toHaveLength(5);
    expect(changes).toContain('add person | S1 |  | Ada Lovelace, row 2');
    // A dry run: nothing yet.
    expect(await served.store.read.auditHead()).toEqual(before);
    await expectNoAxeViolations(page, 'the plan of a sync');
    await screenshot(page, 'console-sync-plan');

    await page.getByRole('button', { name: 'Run the sync' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sync done');
    expect(await rowsOf(page, 'What the sync did')).toContain('Accounts created | 5');
    expect(await page.getByRole('table', { name: 'Changes made' }).getByRole('link', { name: 'alovelace' }).getAttribute('href')).toBe('/console/accounts/alovelace');
    const accounts = await served.store.read.listAccounts({ source: 'school', limit: 10 });
    expect(accounts.map((a) => a.personId).sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    expect((await served.store.read.listAudit({ afterSeq: before.seq, actionPrefix: 'account.create', limit: 10 })).map((r) => r.actor)).toEqual(Array(5).fill('sync:school'));
    await expectNoAxeViolations(page, 'a sync done');
    await screenshot(page, 'console-sync-done');

    // The upload is gone once run: its page says so, and a second run is impossible.
    await page.goBack();
    await page.reload();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This upload is gone');
  });

  it('a run whose plan changed meanwhile is refused; over the breaker it waits for a second admin, then runs with the approval', async () => {
    await signInConsole(page, served, root1);
    await upload(page, 'school.csv', csv(ROWS));
    await page.getByRole('button', { name: 'Run the sync' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sync done');

    // A file missing three people: over the breaker of two.
    await upload(page, 'short.csv', csv(ROWS.slice(0, 2)));
    expect(await page.getByText('The circuit breaker allows 2', { exact: false }).count()).toBe(1);
    expect(await page.getByRole('status').first().innerText()).toContain('over the circuit breaker');
    // Meanwhile one of the three is retired by hand: the plan shown no longer holds.
    const planUrl = page.url();
    const s5 = (await served.store.read.listAccounts({ source: 'school', limit: 10 })).find((a) => a.personId === 'S5');
    await retireAccount(served.ctx, s5?.username ?? '', { deactivateAfter: 0, deleteAfter: 30 });
    await page.getByRole('button', { name: 'Run the sync' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').innerText()).toContain('The plan changed since you saw it');
    expect(await rowsOf(page, 'What the sync would do')).toContain('Accounts retired | 2');
    await expectNoAxeViolations(page, 'a plan that changed');
    await screenshot(page, 'console-sync-plan-changed');

    // A file of one: three retirements, over the breaker again.
    await upload(page, 'shorter.csv', csv(ROWS.slice(0, 1)));
    const before = await served.store.read.auditHead();
    await page.getByRole('button', { name: 'Run the sync' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('The sync waits for a second admin');
    const waiting = (await served.store.read.listMassChanges({ limit: 5 }))[0];
    expect(waiting).toMatchObject({ action: 'sync:school', requestedBy: 'console:root1(admin)', approvedAt: null, summary: { affected: 3, limit: 2 } });
    expect((await served.store.read.listAccounts({ source: 'school', limit: 10 })).filter((a) => !a.holds.some((h) => h.kind === 'retired'))).toHaveLength(4);
    expect((await served.store.read.listAudit({ afterSeq: before.seq, limit: 10 })).map((r) => r.action)).toEqual(['sync.refused', 'mass-change.request']);
    await expectNoAxeViolations(page, 'a sync waiting for approval');
    await screenshot(page, 'console-sync-waiting');

    await page.getByRole('link', { name: 'Back to the plan' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('status').first().innerText()).toContain(`mass change ${waiting?.id ?? ''}`);
    expect(await page.getByRole('button', { name: /Run the sync/ }).count()).toBe(0);

    // A second admin approves (the approvals page is its own test's); then the run proceeds here, once.
    await approveMassChange({ ...served.ctx, actor: 'console:root2(admin)' }, waiting?.id ?? '', { tokenId: null });
    await page.reload();
    await page.getByRole('button', { name: 'Run the sync approved by console:root2(admin)' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sync done');
    expect(await rowsOf(page, 'What the sync did')).toContain('Accounts retired | 3');
    expect((await served.store.read.getMassChange(waiting?.id ?? ''))?.result).toMatchObject({ status: 'done' });
    expect(planUrl).toMatch(/\/console\/sync\/uploads\//);
  });

  it('an auditor reads the audit log with no form that changes anything; tokens and sync are refused, and forged POSTs change nothing', async () => {
    const audi = await addConsoleUser(served, 'audi');
    await signInConsole(page, served, audi);
    await page.goto(`${served.url}/console/audit`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit log');
    // Only reads (GET forms) and signing out.
    expect(await page.locator('form[method=post]:not([action="/console/logout"])').count()).toBe(0);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('status').innerText()).toContain('The chain is intact');
    expect(await page.locator('form[method=post]:not([action="/console/logout"])').count()).toBe(0);
    await expectNoAxeViolations(page, 'the verification as an auditor');

    for (const path of ['/console/tokens', '/console/sync']) {
      const res = await page.goto(`${served.url}${path}`);
      expect(res?.status()).toBe(403);
      expect(await page.locator('form[method=post]:not([action="/console/logout"])').count()).toBe(0);
    }
    await expectNoAxeViolations(page, 'a refused page');
    await screenshot(page, 'console-auditor-refused');

    const csrf = await csrfOf(page);
    const before = await served.store.read.auditHead();
    const forgedToken = await page.request.post(`${served.url}/console/tokens`, { form: { csrf, role: 'admin', note: 'mine', host: '', expires: 'never' } });
    expect(forgedToken.status()).toBe(403);
    const forgedSync = await page.request.post(`${served.url}/console/sync`, { multipart: { csrf, source: 'school', file: { name: 'x.csv', mimeType: 'text/csv', buffer: csv(ROWS) } } });
    expect(forgedSync.status()).toBe(403);
    const { token } = await createApiToken(served.ctx, { role: 'auditor' });
    const id = (await authenticateToken(served.store.read, token, served.clock.now()))?.id ?? 0;
    const forgedRevoke = await page.request.post(`${served.url}/console/tokens/${id}/revoke`, { form: { csrf } });
    expect(forgedRevoke.status()).toBe(403);
    const afterCreate = await served.store.read.auditHead();
    // Only the token made above by the test; the forged requests wrote nothing.
    expect(afterCreate.seq).toBe(before.seq + 1);
    expect((await served.store.read.listApiTokens()).map((t) => [t.role, t.revokedAt])).toEqual([['auditor', null]]);
    expect(await served.store.read.listPeople({ source: 'school', limit: 10 })).toEqual([]);
  });

  it('no console page shows a password hash, an identity HMAC or a token after its creation', async () => {
    const key = served.deps.hmacKey;
    await addPerson(served.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'], emails: { MEMBER: 'alice@example.org' }, verification: { birthdate: '2001-02-03' } });
    await createAccount(served.ctx, { personId: 'P1', type: 'member', username: 'alice', password: 'Wonderland-2026!' });
    const { token } = await createApiToken(served.ctx, { role: 'agent', host: 'web', note: 'web agent' });
    const secrets = [token, hashToken(token), verificationDigest(key, 'birthdate', '2001-02-03'), key.toString('hex')];
    const hashes = [(await served.store.read.getAccount('alice'))?.passwordHash ?? '', (await served.store.read.getAccount('root1'))?.passwordHash ?? ''];
    expect(hashes.every((h) => h.startsWith('$y$') || h.startsWith('$6$'))).toBe(true);
    // A sync run and an upload waiting, so their pages are there to walk too.
    await signInConsole(page, served, root1);
    await upload(page, 'school.csv', csv(ROWS.slice(0, 2)));

    const start = ['/console', '/console/audit', '/console/audit/verify', '/console/tokens', '/console/sync', page.url().replace(served.url, ''), '/console/accounts/alice', '/console/accounts/root1', '/console/people/P1', '/console/hosts', '/console/jobs', '/console/approvals'];
    const seen = new Set<string>();
    const queue = [...start];
    const problems: string[] = [];
    const status = new Map<string, number>();
    while (queue.length > 0 && seen.size < 120) {
      const path = queue.shift() ?? '';
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await page.goto(`${served.url}${path}`);
      const html = await page.content();
      if (/\$(y|6|5|2[aby]?|1)\$/.test(html)) problems.push(`${path}: a crypt hash`);
      for (const h of hashes) if (html.includes(h)) problems.push(`${path}: a password hash`);
      for (const x of secrets) if (html.includes(x)) problems.push(`${path}: a secret (${x.slice(0, 12)}…)`);
      status.set(path, res?.status() ?? 0);
      if (res?.status() === 500) problems.push(`${path}: 500`);
      const links = await Promise.all((await page.locator('a[href^="/console"]').all()).map(async (a) => (await a.getAttribute('href')) ?? ''));
      for (const l of links) if (!seen.has(l) && !l.startsWith('/console/logout') && !l.includes('/assets/')) queue.push(l);
    }
    expect(problems).toEqual([]);
    // The pages of this file were walked, as an admin sees them (the others' pages are walked as far as they are mounted).
    for (const path of ['/console/audit', '/console/audit/verify', '/console/tokens', '/console/sync', start[5] ?? '']) expect([path, status.get(path)]).toEqual([path, 200]);
    expect(seen.size).toBeGreaterThan(8);
  });
});
