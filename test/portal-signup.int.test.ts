import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHost } from '../src/app/apply-host.js';
import { syncRoster } from '../src/jobs/roster-sync.js';
import { portalStrings as s } from '../src/portal/portal-strings.js';
import { targetRegistry } from '../src/targets/registry.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot, servePortal, type ServedPortal } from './portal-browser.js';
import { makeRoot, removeRoot, run } from './unix-root.js';

/**
 * Issue 14 item 1 in real Chromium (RATS steps 1-7): a person imported by
 * roster sync signs up without help, as the seed's CGI interface let them,
 * and the account then logs in through real PAM after roster apply.
 */
const YAML = `
timeZone: UTC
database: roster.db
hosts:
  shell: { targets: { unix: {} } }
sources:
  school:
    columns: { id: id, firstName: first, lastName: last, roles: roles, classes: classes, verification: { student_number: snum, birth_date: born } }
    types: { STUDENT: [] }
server: { rateLimit: { perSecond: 1000, burst: 1000 } }
portal:
  siteName: Example University
  throttle: { attempts: 3, windowMinutes: 15 }
types:
  shell:
    description: A login account on the shell host, with mail.
    portal: true
    eligibility: { roles: { some: [STUDENT] } }
    hosts: { live: [shell], login: [shell] }
    emailRole: STUDENT
    emailDomain: example.edu
  lab:
    description: An account for the programming lab.
    portal: true
    eligibility: { classes: { some: ['01:198:111 (2026 fall)', '01:198:112 (2026 fall)'] } }
    hosts: { live: [shell], login: [shell] }
  staff:
    hosts: { live: [shell], login: [shell] }
`;

const PAM = `set -eu
root=$1 pamd=$2 user=$3
for f in passwd shadow group; do mount --bind "$root/etc/$f" "/etc/$f"; done
mount --bind "$pamd" /etc/pam.d
while IFS= read -r password; do
  if printf '%s\\n' "$password" | pamtester roster-signup-test "$user" authenticate acct_mgmt >/dev/null 2>&1; then echo accepted; else echo refused; fi
done`;

const STRONG = 'Blue-Kettle-47x';

/** Sends a form and waits for the page the answer loads (the same URL when a form is refused). */
async function submit(page: Page, send: () => Promise<void>): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated'), send()]);
  await page.waitForLoadState('load');
}

describe('portal sign-up in Chromium: identify, type, username, password, then PAM', () => {
  let browser: Browser;
  let portal: ServedPortal;
  let root: string;
  let pamd: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    portal = await servePortal({ yaml: YAML, targets: targetRegistry });
    root = await makeRoot();
    pamd = await mkdtemp(join(tmpdir(), 'roster-pamd-'));
    await writeFile(join(pamd, 'roster-signup-test'), 'auth required pam_unix.so\naccount required pam_unix.so\n');
    const csv = join(portal.dir, 'school.csv');
    await writeFile(csv, 'id,first,last,roles,classes,snum,born\nS001,Søren,Vette,STUDENT,,20261234,2001-04-17\nS002,Ada,Lovelace,STUDENT,01:198:111 (2026 fall),20260002,1999-12-10\n');
    const report = await syncRoster({ ...portal.ctx, actor: 'cli:test' }, { file: csv, source: 'school' });
    expect(report.summary).toMatchObject({ added: 2, created: 0 });
  });
  afterAll(async () => {
    await browser.close();
    await portal.close();
    await removeRoot(root);
    await rm(pamd, { recursive: true, force: true });
  });

  async function identify(page: Page, details: { first: string; last: string; number: string; day: string; month: string; year: string }): Promise<void> {
    await page.getByLabel('First name').fill(details.first);
    await page.getByLabel('Last name').fill(details.last);
    await page.getByLabel('Student number').fill(details.number);
    await page.getByLabel('Day').fill(details.day);
    await page.getByLabel('Month').fill(details.month);
    await page.getByLabel('Year').fill(details.year);
    await submit(page, () => page.getByRole('button', { name: s.signupContinue }).click());
  }

  it('signs a synced person up: wrong details refused without naming the field, an ineligible type with its reason, the second suggestion, a weak password refused, then the account logs in through PAM', async () => {
    const { page, context } = await newPage(browser);
    await page.goto(`${portal.url}/portal/signup`);
    await expectNoAxeViolations(page, 'the sign-up identify page');
    await screenshot(page, 'signup-1-identify');
    // The date as three fields with the bday-* hints.
    expect(await page.getByLabel('Day').getAttribute('autocomplete')).toBe('bday-day');
    expect(await page.getByLabel('Month').getAttribute('autocomplete')).toBe('bday-month');
    expect(await page.getByLabel('Year').getAttribute('autocomplete')).toBe('bday-year');

    // A wrong birth year: the same answer as for anything wrong, naming no field.
    await identify(page, { first: 'Soren', last: 'VETTE', number: '20261234', day: '17', month: '4', year: '2002' });
    const alert = page.getByRole('alert');
    expect(await alert.innerText()).toBe(s.signupNotFound);
    expect(await page.locator('[aria-invalid]').count()).toBe(0);
    await expectNoAxeViolations(page, 'the identify page refusing details');
    await screenshot(page, 'signup-1b-not-found');

    // The right details; names compared without case or accents, as RATS does.
    await identify(page, { first: 'Soren', last: 'VETTE', number: '20261234', day: '17', month: '4', year: '2001' });
    expect(new URL(page.url()).pathname).toBe('/portal/signup/type');
    await expectNoAxeViolations(page, 'the choose-a-type page');
    await screenshot(page, 'signup-2-type');
    const unavailable = page.getByRole('region', { name: s.typeUnavailableHeading });
    expect(await unavailable.innerText()).toContain('lab');
    expect(await unavailable.innerText()).toContain('needs one of classes 01:198:111 (2026 fall), 01:198:112 (2026 fall)');
    expect(await page.getByRole('radio').count()).toBe(1);

    // Keyboard only: Tab reaches the type's radio, then Continue; Enter submits.
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const focused = String(await page.evaluate('(() => { const e = document.activeElement; return e ? (e.id || e.tagName) + ":" + (e.textContent || "").trim() : "" })()'));
      seen.push(focused);
      if (focused.startsWith('BUTTON:Continue')) break;
    }
    expect(seen).toContain('type-shell:');
    expect(seen.at(-1)).toBe('BUTTON:Continue');
    await submit(page, () => page.keyboard.press('Enter'));
    expect(new URL(page.url()).pathname).toBe('/portal/signup/username');

    // The suggestions as choices (8), plus another name checked as it is typed.
    await expectNoAxeViolations(page, 'the choose-a-username page');
    const choices = page.locator('input[name=choice]:not([value=other])');
    const suggestions: string[] = [];
    for (let i = 0; i < (await choices.count()); i++) suggestions.push((await choices.nth(i).getAttribute('value')) ?? '');
    expect(suggestions).toHaveLength(8);
    expect(suggestions.slice(0, 3)).toEqual(['svette', 'sorenv', 'soren']);
    await page.getByLabel(s.usernameOtherField).pressSequentially('abc123', { delay: 20 });
    const live = page.locator('#username-live');
    await expect.poll(() => live.innerText(), { timeout: 10_000 }).toContain('looks like an institutional id');
    expect(await page.getByLabel(s.usernameOther, { exact: true }).isChecked()).toBe(true);
    await screenshot(page, 'signup-3-username-live');
    // Checked again on submit (the script is only a help).
    await submit(page, () => page.getByRole('button', { name: s.signupContinue }).click());
    expect(await page.getByRole('alert').innerText()).toContain('The username abc123 cannot be used: it looks like an institutional id');
    await expectNoAxeViolations(page, 'the username page refusing a name');
    const second = suggestions[1] ?? '';
    await page.getByLabel(second, { exact: true }).check();
    await submit(page, () => page.getByRole('button', { name: s.signupContinue }).click());
    expect(new URL(page.url()).pathname).toBe('/portal/signup/password');

    // The policy is shown before typing; a weak password is refused with its reasons.
    const rules = await page.locator('#policy-rules').innerText();
    expect(rules).toContain('be at least 10 characters long');
    expect(rules).toContain('not contain your username, first name or last name');
    await expectNoAxeViolations(page, 'the set-a-password page');
    await screenshot(page, 'signup-4-password');
    await page.getByLabel(s.newPassword, { exact: true }).fill('vette2001');
    await page.getByLabel(s.confirmPassword).fill('vette2001');
    await submit(page, () => page.getByRole('button', { name: s.createAccount }).click());
    const refusal = await page.getByRole('alert').innerText();
    expect(refusal).toContain('must be at least 10 characters long');
    expect(refusal).toContain('must not contain your last name');
    expect(await page.getByLabel(s.newPassword, { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'the password page refusing a weak password');
    await screenshot(page, 'signup-4b-weak');
    expect(await portal.store.read.getAccount(second)).toBeUndefined();

    await page.getByLabel(s.newPassword, { exact: true }).fill(STRONG);
    await page.getByLabel(s.confirmPassword).fill(STRONG);
    await submit(page, () => page.getByRole('button', { name: s.createAccount }).click());
    expect(new URL(page.url()).pathname).toBe('/portal/signup/done');
    const done = await page.locator('main').innerText();
    expect(done).toContain(`The shell account ${second} has been created.`);
    expect(done).toContain('shell: you can log in there');
    expect(done).toContain('shell gets it when its agent next asks for changes');
    expect(done).toContain(`Your e-mail address: ${second}@example.edu`);
    await expectNoAxeViolations(page, 'the sign-up done page');
    await screenshot(page, 'signup-5-done');

    // Made as `roster account create` makes it, audited as the member.
    const account = await portal.store.read.getAccount(second);
    expect(account).toMatchObject({ personId: 'S001', type: 'shell', pending: false });
    expect(account?.passwordHash).toMatch(/^\$y\$/);
    const audit = await portal.store.read.listAudit({ afterSeq: 0 });
    expect(audit.filter((r) => r.action === 'account.create').map((r) => [r.actor, r.target])).toEqual([['portal:S001', `account:${second}`]]);

    // roster apply to a root prefix, then pam_unix with that password.
    const applied = await applyHost(portal.ctx, targetRegistry, { host: 'shell', root });
    expect(applied.shortfall).toBeNull();
    const pam = await run('unshare', ['-m', '--propagation', 'private', 'bash', '-c', PAM, 'pam', root, pamd, second], { input: `${STRONG}\nwrong-${STRONG}\n`, timeout: 30_000 });
    expect(pam.stderr).toBe('');
    expect(pam.stdout.trim().split('\n')).toEqual(['accepted', 'refused']);

    // A second sign-up shows the type as held: no new account, no password change.
    await page.goto(`${portal.url}/portal/signup`);
    await identify(page, { first: 'Søren', last: 'Vette', number: '20261234', day: '17', month: '04', year: '2001' });
    const held = await page.getByRole('region', { name: s.typeHeldHeading }).innerText();
    expect(held).toContain(`shell: you already have the account ${second}.`);
    await expectNoAxeViolations(page, 'the type page with a held type');
    await screenshot(page, 'signup-6-held');
    await context.close();
  });

  it('limits identification attempts per address, showing the wait', async () => {
    const { page, context } = await newPage(browser);
    await page.goto(`${portal.url}/portal/signup`);
    // One failure was counted for this address already; two more reach the limit of 3.
    for (let i = 0; i < 2; i++) await identify(page, { first: 'Ada', last: 'Lovelace', number: '1', day: '1', month: '1', year: '1990' });
    expect(await page.getByRole('alert').innerText()).toBe(s.signupNotFound);
    await identify(page, { first: 'Ada', last: 'Lovelace', number: '20260002', day: '10', month: '12', year: '1999' });
    expect(await page.getByRole('alert').innerText()).toMatch(/^Too many attempts\. Please wait 1[45] minutes before trying again\.$/);
    await expectNoAxeViolations(page, 'the identify page when throttled');
    await screenshot(page, 'signup-7-throttled');
    // The wait ends with the window.
    portal.clock.at = new Date(portal.clock.at.getTime() + 16 * 60_000);
    await identify(page, { first: 'Ada', last: 'Lovelace', number: '20260002', day: '10', month: '12', year: '1999' });
    expect(new URL(page.url()).pathname).toBe('/portal/signup/type');
    await context.close();
  });
});
