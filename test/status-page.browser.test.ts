import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeMaintenance, openIncident, resolveIncident, scheduleMaintenance, startMaintenance, updateIncident } from '../src/app/status-events.js';
import { noteAgentContact } from '../src/app/status-observations.js';
import { deliverOutbox } from '../src/notify/deliver-outbox.js';
import { createMailer } from '../src/notify/mailer.js';
import { BUILT_IN_TEMPLATES } from '../src/notify/templates.js';
import { targetRegistry } from '../src/targets/registry.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot, servePortal, type ServedPortal } from './portal-browser.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';

/**
 * The public status page in real Chromium (seed GlobeNet): a visitor reads
 * the state of every system, the incident going on with its updates, the
 * scheduled maintenance, the public changelog and the history; subscribes
 * with the keyboard (the field found by its label), follows the link of
 * the confirmation mail (a real SMTP server on loopback), gets the next
 * update by mail and unsubscribes with its link. axe-core finds no WCAG
 * 2.1 A/AA violation on any page.
 */

const PUBLIC = 'https://status.example.org';
const yaml = (smtpPort: number): string => `
timeZone: Europe/Berlin
database: roster.db
hosts:
  shell:
    description: shell.internal 10.1.2.3
    targets: { login: {}, cron: {} }
  web: {}
groups:
  - name: members
server: { rateLimit: { perSecond: 1000, burst: 1000 } }
notify:
  transport: smtp
  smtp: { host: 127.0.0.1, port: ${smtpPort} }
portal:
  siteName: Example Co-op
status:
  enabled: true
  title: Example Co-op status
  description: The state of the co-op's machines, kept by the root team.
  publicUrl: ${PUBLIC}
  components:
    shell: { name: Shell server, description: ssh shell.example.org }
    web: { name: Web hosting }
types:
  member:
    hosts: { live: [shell, web], login: [shell] }
`;

let browser: Browser;
let portal: ServedPortal;
let smtp: SmtpCapture;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});

beforeEach(async () => {
  smtp = await startSmtpCapture();
  portal = await servePortal({ yaml: yaml(smtp.port), at: '2026-03-10T09:00:00Z' });
  ({ page } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  await portal.close();
  await smtp.close();
});

async function mail(): Promise<void> {
  const mailer = await createMailer(portal.config.notify, portal.dir);
  try {
    expect((await deliverOutbox(portal.ctx, { mailer, templates: BUILT_IN_TEMPLATES })).errors).toEqual([]);
  } finally {
    mailer?.close();
  }
}

/** A link from a mail, on the server the test runs (the mail has the configured public address). */
function local(link: string): string {
  return link.replace(PUBLIC, portal.url);
}

async function focused(p: Page): Promise<string> {
  return p.evaluate<string>('(() => { const e = document.activeElement; return e === null ? "" : e.id !== "" ? "#" + e.id : e.tagName.toLowerCase() + ":" + (e.textContent ?? "").trim(); })()');
}

/** Some days of history: an incident last week, a maintenance done, one going on, the agents calling. */
async function story(): Promise<void> {
  const ctx = portal.ctx;
  const at = (iso: string): void => {
    portal.clock.at = new Date(iso);
  };
  at('2026-03-03T14:00:00Z');
  const old = await openIncident(ctx, targetRegistry, { components: ['shell/login'], title: 'Logins refused', impact: 'major', message: 'Nobody can log into the shell server.' });
  at('2026-03-03T15:10:00Z');
  await resolveIncident(ctx, targetRegistry, old.event.id, { message: 'A full disk stopped PAM. Space is freed; logins work again.' });
  at('2026-03-05T19:00:00Z');
  const disks = await scheduleMaintenance(ctx, targetRegistry, { hosts: ['web'], title: 'New disks', start: '2026-03-05T20:00:00Z', end: '2026-03-05T21:00:00Z', message: 'Web sites are down for an hour.' });
  at('2026-03-05T20:00:00Z');
  await startMaintenance(ctx, targetRegistry, disks.event.id);
  at('2026-03-05T20:50:00Z');
  await completeMaintenance(ctx, targetRegistry, disks.event.id, { message: 'Done early.' });
  at('2026-03-10T08:30:00Z');
  await scheduleMaintenance(ctx, targetRegistry, { hosts: ['shell'], title: 'Kernel upgrade', start: '2026-03-12T21:00:00Z', end: '2026-03-12T22:00:00Z', message: 'The shell server restarts once; sessions end.' });
  await portal.store.transaction((tx) =>
    tx.addChangelogEntry({ host: 'shell', at: '2026-03-09T10:00:00.000Z', author: 'cli:alice', text: 'Purged mailboxes over 10 GB after the notice of 2026-02-01.', public: true, source: 'cli', ref: null, createdAt: '2026-03-09T10:00:00.000Z' }),
  );
  at('2026-03-10T08:55:00Z');
  await noteAgentContact(ctx, 'shell');
  await noteAgentContact(ctx, 'web');
  await openIncident(ctx, targetRegistry, { hosts: ['web'], title: 'Slow web sites', impact: 'minor', message: 'Pages take several seconds to load.' });
  at('2026-03-10T09:00:00Z');
}

describe('the status page in Chromium', () => {
  it('shows every system, what goes on, what is planned and the past, with no violation; the history and an event too', async () => {
    await story();
    await page.goto(`${portal.url}/status`);
    const main = page.getByRole('main');
    expect(await main.getByRole('heading', { level: 1 }).textContent()).toBe('Example Co-op status');
    expect(await page.getByRole('status').first().innerText()).toBe('Some systems are degraded');

    const now = await page.getByRole('region', { name: 'Current incidents and maintenance' }).innerText();
    expect(now).toContain('Incident: Slow web sites');
    expect(now).toContain('Pages take several seconds to load.');
    expect(now).toContain('Affects\nWeb hosting');
    const systems = page.getByRole('region', { name: 'Systems' });
    const text = await systems.innerText();
    expect(text).toMatch(/Shell server\s+Operational/);
    expect(text).toMatch(/Web hosting\s+Degraded performance/);
    expect(text).toContain('ssh shell.example.org');
    expect(await page.getByRole('list', { name: 'Services of Shell server' }).innerText()).toMatch(/cron\s+Operational[\s\S]*login\s+Operational\s+[\s\S]*1 day with problems in the last 90 days\./);
    const planned = await page.getByRole('region', { name: 'Scheduled maintenance' }).innerText();
    expect(planned).toContain('Maintenance: Kernel upgrade');
    // In the site's zone (Europe/Berlin).
    expect(planned).toContain('2026-03-12 22:00 (Europe/Berlin) – 2026-03-12 23:00 (Europe/Berlin)');
    expect(await page.getByRole('region', { name: 'Recent interventions' }).innerText()).toContain('Purged mailboxes over 10 GB');
    const past = await page.getByRole('region', { name: 'Past incidents and maintenance' }).innerText();
    expect(past).toContain('Maintenance: New disks');
    expect(past).toContain('Incident: Logins refused');
    // Nothing internal: the host's own description, who posted.
    const html = await page.content();
    expect(html).not.toContain('10.1.2.3');
    expect(html).not.toContain('cli:alice');
    expect(html).not.toContain('cli:test');
    await expectNoAxeViolations(page, 'the status page');
    console.log(await screenshot(page, 'status-page'));

    await page.getByRole('link', { name: 'History' }).click();
    await page.waitForURL(`${portal.url}/status/history`);
    const days = page.getByRole('main');
    expect(await days.getByRole('heading', { name: '2026-03-03' }).isVisible()).toBe(true);
    const march3 = await page.locator('ol.history > li', { hasText: '2026-03-03' }).innerText();
    expect(march3).toMatch(/Shell server: Partial outage/);
    expect(march3).toMatch(/Shell server — login: Partial outage/);
    expect(march3).toContain('Incident: Logins refused');
    const march5 = await page.locator('ol.history > li', { hasText: '2026-03-05' }).innerText();
    expect(march5).toMatch(/Web hosting: Under maintenance/);
    expect(await page.locator('ol.history > li', { hasText: '2026-03-04' }).innerText()).toContain('No problems.');
    await expectNoAxeViolations(page, 'the history');
    await screenshot(page, 'status-history');

    await page.getByRole('link', { name: 'Incident: Logins refused' }).first().click();
    await page.waitForURL(/\/status\/events\/\d+$/);
    const event = await page.getByRole('main').innerText();
    expect(event).toContain('A full disk stopped PAM.');
    expect(event).toMatch(/Resolved[\s\S]*Investigating/);
    await expectNoAxeViolations(page, 'an incident');
    await screenshot(page, 'status-event');
  });

  it('a visitor subscribes with the keyboard, confirms through the mailed link, gets the next update and unsubscribes', async () => {
    await story();
    await page.goto(`${portal.url}/status`);
    // From the top: the skip link first; Enter moves to the main content.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a:Skip to the main content');
    await page.keyboard.press('Enter');
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page)) === '#email';
    }
    expect(reached).toBe(true);
    expect(await page.getByLabel('E-mail address').evaluate((e) => e === (e as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    await page.keyboard.type('reader@example.net');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${portal.url}/status/subscribe`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Check your inbox');
    expect(await page.getByRole('status').innerText()).toContain('If this address can receive mail');
    await expectNoAxeViolations(page, 'the sign-up answer');
    await screenshot(page, 'status-subscribed');

    await mail();
    const confirmation = smtp.messages.find((m) => m.to.includes('reader@example.net'));
    expect(confirmation?.subject).toBe('Confirm your subscription to Example Co-op status');
    const link = /https:\/\/status\.example\.org\/status\/subscribe\/confirm\?token=[A-Za-z0-9_-]+/.exec(confirmation?.text ?? '')?.[0] ?? '';
    // A mail program's preview opens the link: nothing happens until the button is pressed.
    await page.goto(local(link));
    expect(await page.getByRole('main').innerText()).toContain('Send updates about incidents and maintenance to reader@example.net?');
    await expectNoAxeViolations(page, 'the confirmation page');
    expect(await portal.store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 1 });
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await page.waitForURL(`${portal.url}/status/subscribe/confirm`);
    expect(await page.getByRole('status').innerText()).toBe('reader@example.net will get an e-mail for every incident and maintenance update.');
    expect(await portal.store.read.countStatusSubscribers()).toEqual({ confirmed: 1, pending: 0 });
    await screenshot(page, 'status-confirmed');
    // The link works once.
    await page.goto(local(link));
    expect(await page.getByRole('alert').innerText()).toContain('This confirmation link is not known');

    const slow = (await portal.store.read.listStatusEvents({ openOnly: true, kind: 'incident' }))[0];
    await updateIncident(portal.ctx, targetRegistry, slow?.id ?? 0, { state: 'identified', message: 'A crawler fetches every page at once; it is blocked now.' });
    await mail();
    const update = smtp.messages.at(-1);
    expect(update?.to).toEqual(['reader@example.net']);
    expect(update?.subject).toBe('Incident identified: Slow web sites');
    expect(update?.text).toContain('A crawler fetches every page at once; it is blocked now.');
    const unsubscribe = /Unsubscribe with one click: (\S+)/.exec(update?.text ?? '')?.[1] ?? '';
    await page.goto(local(unsubscribe));
    await expectNoAxeViolations(page, 'the unsubscribe page');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    expect(await page.getByRole('status').innerText()).toContain('You will get no more e-mail from this status page.');
    expect(await portal.store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 0 });
    await screenshot(page, 'status-unsubscribed');
  });

  it('tells a visitor what to fix in the form, and refuses a form without its token', async () => {
    await page.goto(`${portal.url}/status`);
    await page.getByLabel('E-mail address').fill('reader at example.net');
    // The browser's own check would stop an invalid address: past it, the server's answer is what is tested.
    await page.getByLabel('E-mail address').evaluate((e) => (e as unknown as { setAttribute(n: string, v: string): void }).setAttribute('type', 'text'));
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL(`${portal.url}/status/subscribe`);
    const field = page.getByLabel('E-mail address');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await field.inputValue()).toBe('reader at example.net');
    expect(await page.locator('#email-error').innerText()).toBe('Enter an e-mail address such as name@example.org.');
    // Said at the top too, where the reloaded page starts, with a link to the field.
    await page.getByRole('alert').getByRole('link', { name: 'E-mail address' }).click();
    expect(await focused(page)).toBe('#email');
    await expectNoAxeViolations(page, 'the status page with a form error');
    await screenshot(page, 'status-form-error');

    const refused = await page.context().request.post(`${portal.url}/status/subscribe`, { form: { email: 'victim@example.net' }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await portal.store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 0 });
  });
});
