import { parseFeed } from '@rowanmanning/feed-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts.js';
import { addPerson } from '../src/app/people.js';
import { statusSnapshot } from '../src/app/status-snapshot.js';
import { deliverOutbox } from '../src/notify/deliver-outbox.js';
import { createMailer } from '../src/notify/mailer.js';
import { BUILT_IN_TEMPLATES } from '../src/notify/templates.js';
import { targetRegistry } from '../src/targets/registry.js';
import { serverFixture, type ServerFixture } from './server-fixture.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';

/**
 * The status page (seed GlobeNet; Cachet, Uptime Kuma, Statuspage) through
 * `roster serve`'s app in-process over a real SQLite store: components and
 * their states from the agents' calls and reports, admins' overrides,
 * incidents and maintenance over the REST API, the public page's caching
 * and what it leaves out, the Atom feed read by a feed parser, the members
 * of a host told of an incident (and nobody else), and the e-mail
 * subscription with its confirmation link and one-click unsubscribe on a
 * real SMTP server on loopback. The same pages in Chromium:
 * status-page.browser.test.ts.
 */

const yaml = (smtpPort: number): string => `
timeZone: UTC
database: roster.db
hosts:
  shell:
    description: shell.internal at 10.1.2.3, rack 4
    targets: { login: {}, cron: {} }
  web: {}
  ldap:
    appliedBy: server
groups:
  - name: members
server: { rateLimit: { perSecond: 1000, burst: 1000 } }
notify:
  transport: smtp
  smtp: { host: 127.0.0.1, port: ${smtpPort} }
  from: Example Co-op <status@example.org>
portal: { publicUrl: https://accounts.example.org }
status:
  enabled: true
  title: Example Co-op status
  description: Run by the root team; ask in the members' channel.
  components:
    shell: { name: Shell server }
    shell/cron: { hidden: true }
  subscriptions: { attempts: 4, windowMinutes: 60 }
types:
  member:
    hosts: { live: [shell, web], login: [shell] }
  webonly:
    hosts: { live: [web] }
  staff:
    hosts: { live: [shell], login: [shell] }
`;

/** A minimal cookie jar: what the server set, sent back on the next request. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

let f: ServerFixture;
let smtp: SmtpCapture;

beforeEach(async () => {
  smtp = await startSmtpCapture();
  f = await serverFixture({ yaml: yaml(smtp.port) });
});
afterEach(async () => {
  await f.cleanup();
  await smtp.close();
});

async function page(jar: Jar, method: string, path: string, options: { readonly form?: Record<string, string>; readonly headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (jar.cookies.size > 0) headers.cookie = jar.header();
  let body: string | undefined;
  if (options.form !== undefined) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await f.server.app.request(`http://127.0.0.1${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  jar.take(res);
  return res;
}

function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (m?.[1] === undefined) throw new Error('no csrf field on the page');
  return m[1];
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

interface ComponentJson {
  readonly id: string;
  readonly state: string;
  readonly reasons: string[];
}
interface StatusJson {
  readonly overall: string;
  readonly components: ComponentJson[];
}

async function states(): Promise<Record<string, string>> {
  const body = await json<StatusJson>(await f.request('GET', '/api/v1/status'));
  return Object.fromEntries(body.components.map((c) => [c.id, c.state]));
}

async function history(): Promise<Array<{ day: string; states: Record<string, string> }>> {
  return (await statusSnapshot(f.ctx, targetRegistry)).history.map((d) => ({ day: d.day, states: { ...d.states } }));
}

/** Both agents ask for their desired state, as `roster agent` does every interval. */
async function agentsCall(): Promise<void> {
  expect((await f.request('GET', '/api/v1/hosts/shell/desired', { token: f.tokens.agent })).status).toBe(200);
  expect((await f.request('GET', '/api/v1/hosts/web/desired', { token: f.tokens.agentWeb })).status).toBe(200);
}

function advanceMinutes(minutes: number): void {
  f.clock.at = new Date(f.clock.at.getTime() + minutes * 60_000);
}

async function mail(): Promise<void> {
  const mailer = await createMailer(f.config.notify, '/');
  try {
    const r = await deliverOutbox(f.ctx, { mailer, templates: BUILT_IN_TEMPLATES });
    expect(r.errors).toEqual([]);
  } finally {
    mailer?.close();
  }
}

describe('components and their states', () => {
  it('are the hosts and their services; a silent agent shows degraded, a calling one operational, and the days of silence stay in the history', async () => {
    // Nobody called yet; the host roster serve applies itself has no agent to wait for.
    expect(await states()).toEqual({ shell: 'degraded', 'shell/cron': 'degraded', 'shell/login': 'degraded', web: 'degraded', ldap: 'operational' });
    await agentsCall();
    expect(await states()).toEqual({ shell: 'operational', 'shell/cron': 'operational', 'shell/login': 'operational', web: 'operational', ldap: 'operational' });

    // staleIntervals 5 × 60 s: four minutes later all is well, six minutes later not.
    advanceMinutes(4);
    expect((await states()).shell).toBe('operational');
    advanceMinutes(2);
    const body = await json<StatusJson>(await f.request('GET', '/api/v1/status'));
    const shell = body.components.find((c) => c.id === 'shell');
    expect(shell?.state).toBe('degraded');
    expect(shell?.reasons.join('\n')).toContain('no call from its agent since 2026-03-01T12:00:00.000Z');
    expect(body.overall).toBe('degraded');

    // Silent for two more days; then shell's agent calls again. The days it was silent stay degraded in the history.
    f.clock.advanceDays(2);
    expect((await f.request('GET', '/api/v1/hosts/shell/desired', { token: f.tokens.agent })).status).toBe(200);
    expect((await states()).shell).toBe('operational');
    const days = await history();
    expect(days.slice(0, 3).map((d) => [d.day, d.states.shell ?? 'operational'])).toEqual([
      ['2026-03-03', 'degraded'],
      ['2026-03-02', 'degraded'],
      ['2026-03-01', 'degraded'],
    ]);
    expect(days[3]).toEqual({ day: '2026-02-28', states: {} });
    expect(days).toHaveLength(90);
  });

  it("a failed report degrades the failed target's service and its host; a clean one mends now, not the past", async () => {
    f.clock.at = new Date('2026-03-01T23:52:00Z');
    await agentsCall();
    const report = { revision: null, outcomes: [{ target: 'login', action: 'update', subject: 'file:/etc/security/roster-frozen.users', status: 'failed', error: 'EROFS' }] };
    expect((await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body: report })).status).toBe(201);
    expect(await states()).toMatchObject({ shell: 'degraded', 'shell/login': 'degraded', 'shell/cron': 'operational', web: 'operational' });
    const reasons = (await json<StatusJson>(await f.request('GET', '/api/v1/status'))).components.find((c) => c.id === 'shell/login')?.reasons ?? [];
    expect(reasons.join('\n')).toContain('changes failed in the last apply (login)');

    // The agents keep calling past midnight; then a clean report.
    for (let i = 0; i < 4; i++) {
      advanceMinutes(4);
      await agentsCall();
    }
    expect((await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body: { revision: null, outcomes: [{ target: 'login', action: 'update', subject: 'x', status: 'ok' }] } })).status).toBe(201);
    expect(await states()).toMatchObject({ shell: 'operational', 'shell/login': 'operational' });
    const days = await history();
    // The failure lasted from yesterday into today: both days keep it; cron never failed.
    expect(days.slice(0, 2).map((d) => [d.day, d.states['shell/login'], d.states.shell, d.states['shell/cron']])).toEqual([
      ['2026-03-02', 'degraded', 'degraded', undefined],
      ['2026-03-01', 'degraded', 'degraded', undefined],
    ]);
  });

  it("an admin's override sets a component's state with a note, until cleared; bad input names the field and changes nothing", async () => {
    await agentsCall();
    const set = await json<{ state: string; setBy: string }>(await f.request('PUT', '/api/v1/status/overrides', { body: { component: 'web', state: 'partial_outage', note: 'one of two web servers is down' } }));
    expect(set.setBy).toMatch(/^token:\d+\(admin\)$/);
    const body = await json<StatusJson>(await f.request('GET', '/api/v1/status'));
    expect(body.components.find((c) => c.id === 'web')).toMatchObject({ state: 'partial_outage', override: { note: 'one of two web servers is down' } });
    expect(body.overall).toBe('partial_outage');

    const head = await f.store.read.auditHead();
    const bad = await json<{ errors?: unknown; detail: string }>(await f.request('PUT', '/api/v1/status/overrides', { body: { component: 'web', state: 'on-fire', note: 'x' } }), 422);
    expect(JSON.stringify(bad)).toContain('body.state');
    const unknown = await json<{ detail: string }>(await f.request('PUT', '/api/v1/status/overrides', { body: { component: 'mail', state: 'degraded', note: 'x' } }), 404);
    expect(unknown.detail).toContain('no component "mail"');
    expect(await f.store.read.auditHead()).toEqual(head);

    expect(await json(await f.request('DELETE', '/api/v1/status/overrides?component=web'))).toEqual({ component: 'web', cleared: true });
    expect((await states()).web).toBe('operational');
    // The day keeps the worst it saw.
    expect((await history())[0]?.states.web).toBe('partial_outage');
    const audit = (await f.store.read.listAudit({ limit: 100 })).filter((a) => a.action.startsWith('status.override'));
    expect(audit.map((a) => [a.action, a.target])).toEqual([
      ['status.override.set', 'component:web'],
      ['status.override.clear', 'component:web'],
    ]);
  });
});

describe('incidents and maintenance', () => {
  it('open, update, resolve an incident; schedule, start, complete a maintenance: states, timelines, audit, history', async () => {
    await agentsCall();
    interface Change { event: { id: number; state: string; components: string[]; updates: Array<{ state: string; message: string }> }; subscribers: number; members: null | unknown[]; dryRun: boolean }
    const opened = await json<Change>(await f.request('POST', '/api/v1/status/incidents', { body: { components: ['shell/login'], title: 'Logins slow', impact: 'major', message: 'Logins take a minute.' } }), 201);
    expect(opened.event).toMatchObject({ state: 'investigating', components: ['shell/login'] });
    expect(opened.members).toBeNull();
    expect(await states()).toMatchObject({ shell: 'partial_outage', 'shell/login': 'partial_outage', 'shell/cron': 'operational' });

    const id = opened.event.id;
    await json(await f.request('POST', `/api/v1/status/incidents/${id}/updates`, { body: { state: 'identified', message: 'The LDAP cache is cold.' } }), 201);
    advanceMinutes(3);
    await agentsCall();
    const resolved = await json<Change>(await f.request('POST', `/api/v1/status/incidents/${id}/resolve`, { body: { message: 'Warm again.' } }));
    expect(resolved.event.updates.map((u) => u.state)).toEqual(['investigating', 'identified', 'resolved']);
    expect((await states())['shell/login']).toBe('operational');
    const again = await json<{ detail: string }>(await f.request('POST', `/api/v1/status/incidents/${id}/resolve`, { body: { message: 'Twice.' } }), 409);
    expect(again.detail).toContain('resolved already');

    const m = await json<Change>(await f.request('POST', '/api/v1/status/maintenance', { body: { hosts: ['web'], title: 'New disks', start: '2026-03-02T20:00:00Z', end: '2026-03-02T22:00:00Z', message: 'The web server is down for two hours.' } }), 201);
    expect(m.event.state).toBe('scheduled');
    expect((await states()).web).toBe('operational');
    const early = await json<{ detail: string }>(await f.request('POST', `/api/v1/status/maintenance/${m.event.id}/complete`, { body: {} }), 409);
    expect(early.detail).toContain('start it first');
    await json(await f.request('POST', `/api/v1/status/maintenance/${m.event.id}/start`, { body: {} }));
    expect((await states()).web).toBe('maintenance');
    await json(await f.request('POST', `/api/v1/status/maintenance/${m.event.id}/complete`, { body: { message: 'Done, all disks new.' } }));
    expect((await states()).web).toBe('operational');

    const snap = await statusSnapshot(f.ctx, targetRegistry);
    expect(snap.recent.map((e) => e.id)).toEqual([m.event.id, id]);
    expect(snap.history[0]?.states).toEqual({ shell: 'partial_outage', 'shell/login': 'partial_outage', web: 'maintenance' });
    expect(snap.history[0]?.events).toEqual([m.event.id, id]);
    const actions = (await f.store.read.listAudit({ limit: 100 })).map((a) => a.action).filter((a) => a.startsWith('status.'));
    expect(actions).toEqual(['status.incident.open', 'status.incident.update', 'status.incident.resolve', 'status.maintenance.schedule', 'status.maintenance.start', 'status.maintenance.complete']);
  });

  it('bad input names the field and changes nothing; readers may look, not write; an agent may do neither', async () => {
    const head = await f.store.read.auditHead();
    const cases: Array<[unknown, number, string]> = [
      [{ hosts: ['shell'], title: '', message: 'm' }, 422, 'title'],
      [{ hosts: ['shell'], title: 'T', message: '   ' }, 422, 'message'],
      [{ hosts: ['nowhere'], title: 'T', message: 'm' }, 404, 'nowhere'],
      [{ title: 'T', message: 'm' }, 422, 'a host or a component'],
      [{ hosts: ['shell'], title: 'T', message: 'm', impact: 'apocalyptic' }, 422, 'body.impact'],
      [{ hosts: ['shell'], title: 'Two\nlines', message: 'm' }, 422, 'one line'],
    ];
    for (const [body, status, says] of cases) {
      const res = await f.request('POST', '/api/v1/status/incidents', { body });
      const text = await res.text();
      expect([res.status, text]).toEqual([status, expect.stringContaining(says)]);
    }
    const window = await f.request('POST', '/api/v1/status/maintenance', { body: { hosts: ['web'], title: 'T', message: 'm', start: '2026-03-02T22:00:00Z', end: '2026-03-02T20:00:00Z' } });
    expect([window.status, await window.text()]).toEqual([422, expect.stringContaining('end after it starts')]);
    expect(await f.store.read.auditHead()).toEqual(head);
    expect(await f.store.read.listStatusEvents()).toEqual([]);

    expect((await f.request('GET', '/api/v1/status', { token: f.tokens.auditor })).status).toBe(200);
    expect((await f.request('POST', '/api/v1/status/incidents', { token: f.tokens.auditor, body: { hosts: ['shell'], title: 'T', message: 'm' } })).status).toBe(403);
    expect((await f.request('POST', '/api/v1/status/incidents', { token: f.tokens.operator, body: { hosts: ['shell'], title: 'T', message: 'm' } })).status).toBe(201);
    expect((await f.request('GET', '/api/v1/status', { token: f.tokens.agent })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/status', { token: null })).status).toBe(401);
  });

  it('an incident on host shell plans, then sends, a notice to exactly the members with an account there', async () => {
    await addPerson(f.ctx, { id: 'P1', firstName: 'Alice', lastName: 'Liddell', roles: ['MEMBER'], emails: { MEMBER: 'alice@example.org' } });
    await addPerson(f.ctx, { id: 'P2', firstName: 'Bob', lastName: 'Webb', roles: ['MEMBER'], emails: { MEMBER: 'bob@example.org' } });
    await addPerson(f.ctx, { id: 'P3', firstName: 'Carol', lastName: 'Noaddress', roles: ['MEMBER'] });
    await addPerson(f.ctx, { id: 'P4', firstName: 'Dan', lastName: 'Staff', roles: ['STAFF'], emails: { STAFF: 'dan@example.org' } });
    await createAccount(f.ctx, { personId: 'P1', type: 'member', username: 'alice' });
    await createAccount(f.ctx, { personId: 'P2', type: 'webonly', username: 'bob' });
    await createAccount(f.ctx, { personId: 'P3', type: 'member', username: 'carol' });
    await createAccount(f.ctx, { personId: 'P4', type: 'staff', username: 'dan' });
    const body = { hosts: ['shell'], title: 'Home directories read-only', impact: 'critical', message: 'Do not save files until further notice.', notifyMembers: true };
    const head = await f.store.read.auditHead();

    interface Plan { members: Array<{ host: string; recipients: string[]; unaddressed: string[] }>; dryRun: boolean; event: { id: number } }
    const plan = await json<Plan>(await f.request('POST', '/api/v1/status/incidents', { body: { ...body, dryRun: true } }), 201);
    expect(plan).toMatchObject({ dryRun: true, members: [{ host: 'shell', recipients: ['alice@example.org', 'dan@example.org'], unaddressed: ['P3'] }] });
    expect(await f.store.read.auditHead()).toEqual(head);
    expect(await f.store.read.listMessages({ limit: 10 })).toEqual([]);

    const done = await json<Plan>(await f.request('POST', '/api/v1/status/incidents', { body }), 201);
    expect(done.members).toEqual(plan.members);
    await mail();
    const told = smtp.messages.map((m) => [m.to.join(','), m.subject]).sort();
    expect(told).toEqual([
      ['alice@example.org', 'Incident on shell: Home directories read-only'],
      ['dan@example.org', 'Incident on shell: Home directories read-only'],
    ]);
    expect(smtp.messages[0]?.text).toContain('Do not save files until further notice.');
    expect(smtp.messages[0]?.text).toContain(`https://accounts.example.org/status/events/${done.event.id}`);
  });
});

describe('the public page', () => {
  it('shows states, incidents and history without internal detail; cached with an ETag; a change shows at once', async () => {
    await agentsCall();
    await json(await f.request('PUT', '/api/v1/status/overrides', { body: { component: 'web', state: 'degraded', note: 'SECRET-NOTE disk sdb failing' } }));
    await json(await f.request('POST', '/api/v1/status/incidents', { body: { hosts: ['shell'], title: 'Mail to shell delayed', message: 'Queued mail is delivered within the hour.' } }), 201);
    const jar = new Jar();
    const res = await page(jar, 'GET', '/status');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(res.headers.get('cache-control')).toBe('private, max-age=30');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(html).toContain('Example Co-op status');
    expect(html).toContain('Shell server');
    expect(html).toContain('Mail to shell delayed');
    expect(html).toContain('Queued mail is delivered within the hour.');
    expect(html).toContain('Degraded performance');
    // No internal detail: the host's description (an address), the override's note and who set it, the hidden component, tokens.
    for (const secret of ['10.1.2.3', 'rack 4', 'SECRET-NOTE', 'token:', '(admin)', 'shell/cron', '>cron<']) expect(html).not.toContain(secret);

    // Again within the cache: 304 on the ETag.
    const etag = res.headers.get('etag') ?? '';
    expect((await page(jar, 'GET', '/status', { headers: { 'if-none-match': etag } })).status).toBe(304);

    // 50 s on, the cache's 30 s are over: a burst of visitors gets one new render ("Updated 12:00"),
    // served again 20 s later although the clock says 12:01 by then.
    const updated = (h: string) => /Updated ([^<]+)</.exec(h)?.[1];
    advanceMinutes(50 / 60);
    const burst = await Promise.all(Array.from({ length: 20 }, () => page(jar, 'GET', '/status')));
    const bodies = await Promise.all(burst.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(new Set(burst.map((r) => r.headers.get('etag'))).size).toBe(1);
    expect(updated(bodies[0] ?? '')).toBe('2026-03-01 12:00 (UTC)');
    advanceMinutes(20 / 60);
    expect(await (await page(jar, 'GET', '/status')).text()).toBe(bodies[0]);
    // A visitor with another cookie gets the same page with its own form token.
    const stranger = await (await page(new Jar(), 'GET', '/status')).text();
    expect(stranger.replace(csrfOf(stranger), '')).toBe((bodies[0] ?? '').replace(csrfOf(bodies[0] ?? ''), ''));
    // A change anybody makes shows at once: web is operational again.
    await json(await f.request('DELETE', '/api/v1/status/overrides?component=web'));
    const after = await (await page(jar, 'GET', '/status')).text();
    expect(updated(after)).toBe('2026-03-01 12:01 (UTC)');
    expect(after).toContain('<span class="name">web</span><span class="state s-operational">Operational</span>');
    const history = await page(new Jar(), 'GET', '/status/history');
    expect(history.headers.get('cache-control')).toBe('public, max-age=30');
    expect(await history.text()).toContain('Degraded performance');

    expect((await page(jar, 'GET', '/status/events/999')).status).toBe(404);
    expect((await page(jar, 'GET', '/status/events/not-a-number')).status).toBe(404);
    expect((await page(jar, 'GET', '/status/nothing-here')).status).toBe(404);
  });

  it.each([
    ['status.enabled: false', '  enabled: false\n'],
    ['status.enabled left out (the page is public: it is served only when turned on)', ''],
  ])('is not served, nor are sign-ups taken or subscribers mailed, with %s', async (_, enabled) => {
    const off = await serverFixture({ yaml: yaml(smtp.port).replace('  enabled: true\n', enabled) });
    try {
      expect(off.config.status.enabled).toBe(false);
      for (const path of ['/status', '/status/feed.atom', '/status/history', '/status/events/1']) expect((await off.server.app.request(`http://127.0.0.1${path}`)).status).toBe(404);
      const signUp = await off.server.app.request('http://127.0.0.1/status/subscribe', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=reader%40example.net' });
      expect(signUp.status).toBe(404);
      await off.store.transaction((tx) => tx.insertStatusSubscriber({ address: 'reader@example.net', secret: 's'.repeat(43), createdAt: '2026-03-01T11:00:00.000Z', confirmHash: null, confirmExpiresAt: null, confirmedAt: '2026-03-01T11:00:00.000Z' }));
      // Admins still keep incidents (roster status, the API): they are not published.
      const opened = await off.request('POST', '/api/v1/status/incidents', { body: { hosts: ['shell'], title: 'Slow', message: 'Slow pages.' } });
      expect(opened.status).toBe(201);
      expect(((await opened.json()) as { subscribers: number }).subscribers).toBe(0);
    } finally {
      await off.cleanup();
    }
  });

  it('serves an Atom feed (RFC 4287) that a feed parser reads: each update and each public changelog entry, with stable ids', async () => {
    const opened = await json<{ event: { id: number } }>(await f.request('POST', '/api/v1/status/incidents', { body: { hosts: ['shell'], title: 'Disk <full> & slow', message: 'Cleaning up.' } }), 201);
    advanceMinutes(5);
    await json(await f.request('POST', `/api/v1/status/incidents/${opened.event.id}/resolve`, { body: { message: 'Space freed.' } }));
    await f.store.transaction((tx) =>
      tx.addChangelogEntry({ host: 'shell', at: '2026-03-01T11:00:00.000Z', author: 'cli:alice', text: 'Upgraded nginx to 1.26.\nReloaded it.', public: true, source: 'cli', ref: null, createdAt: '2026-03-01T11:00:00.000Z' }),
    );
    await f.store.transaction((tx) =>
      tx.addChangelogEntry({ host: 'shell', at: '2026-03-01T11:30:00.000Z', author: 'cli:alice', text: 'PRIVATE rotated the backup key', public: false, source: 'cli', ref: null, createdAt: '2026-03-01T11:30:00.000Z' }),
    );
    const res = await page(new Jar(), 'GET', '/status/feed.atom');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const xml = await res.text();
    expect(xml).not.toContain('PRIVATE');
    expect(xml).not.toContain('cli:alice');
    const feed = parseFeed(xml);
    expect(feed.meta.type).toBe('atom');
    const feedId = feed.element.children.find((c) => typeof c !== 'string' && c.name === 'id');
    expect(typeof feedId === 'string' ? feedId : feedId?.textContent).toBe('https://accounts.example.org/status');
    expect(feed.title).toBe('Example Co-op status');
    expect(feed.updated?.toISOString()).toBe('2026-03-01T12:05:00.000Z');
    expect(feed.self).toBe('https://accounts.example.org/status/feed.atom');
    expect(feed.items.map((i) => [i.title, i.updated?.toISOString()])).toEqual([
      ['Incident — Resolved: Disk <full> & slow', '2026-03-01T12:05:00.000Z'],
      ['Incident — Investigating: Disk <full> & slow', '2026-03-01T12:00:00.000Z'],
      ['Shell server: Upgraded nginx to 1.26.', '2026-03-01T11:00:00.000Z'],
    ]);
    for (const item of feed.items) {
      expect(item.id).toMatch(/^https:\/\/accounts\.example\.org\/status\//);
      expect(item.url).toMatch(/^https:\/\/accounts\.example\.org\/status/);
    }
    expect(new Set(feed.items.map((i) => i.id)).size).toBe(3);
    expect(feed.items[0]?.content).toContain('Space freed.');
    expect(feed.items[2]?.content).toContain('Reloaded it.');
  });
});

describe('e-mail subscriptions', () => {
  async function signUp(jar: Jar, email: string): Promise<Response> {
    const form = await (await page(jar, 'GET', '/status')).text();
    return page(jar, 'POST', '/status/subscribe', { form: { csrf: csrfOf(form), email } });
  }

  it('confirm by the mailed link, get every update with a one-click unsubscribe (List-Unsubscribe, RFC 8058), and unsubscribe', async () => {
    const jar = new Jar();
    const asked = await signUp(jar, 'Reader@Example.net');
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('If this address can receive mail');
    await mail();
    expect(smtp.messages).toHaveLength(1);
    const confirm = smtp.messages[0];
    expect(confirm?.to).toEqual(['reader@example.net']);
    expect(confirm?.subject).toBe('Confirm your subscription to Example Co-op status');
    const link = /https:\/\/accounts\.example\.org(\/status\/subscribe\/confirm\?token=[A-Za-z0-9_-]+)/.exec(confirm?.text ?? '')?.[1];
    expect(link).toBeDefined();

    // Not subscribed until the button on the link's page is pressed (a GET, as a mail scanner's, changes nothing).
    const linkPage = await page(jar, 'GET', link ?? '');
    const linkHtml = await linkPage.text();
    expect(linkHtml).toContain('reader@example.net');
    expect(await f.store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 1 });
    const token = new URL(`http://x${link ?? ''}`).searchParams.get('token') ?? '';
    const done = await page(jar, 'POST', '/status/subscribe/confirm', { form: { csrf: csrfOf(linkHtml), token } });
    expect(await done.text()).toContain('will get an e-mail for every incident');
    expect(await f.store.read.countStatusSubscribers()).toEqual({ confirmed: 1, pending: 0 });
    // The link works once.
    expect((await page(jar, 'POST', '/status/subscribe/confirm', { form: { csrf: csrfOf(linkHtml), token } })).status).toBe(404);

    await json(await f.request('POST', '/api/v1/status/maintenance', { body: { hosts: ['web'], title: 'New disks', start: '2026-03-02T20:00:00Z', end: '2026-03-02T22:00:00Z', message: 'Two hours without the web server.' } }), 201);
    await mail();
    const update = smtp.messages[1];
    expect(update?.to).toEqual(['reader@example.net']);
    expect(update?.subject).toBe('Maintenance scheduled: New disks');
    expect(update?.text).toContain('Planned:  2026-03-02 20:00 (UTC) to 2026-03-02 22:00 (UTC)');
    expect(update?.text).toContain('Two hours without the web server.');
    // Header fields longer than a line are folded (RFC 5322 §2.2.3).
    const head = (update?.raw ?? '').replace(/\r\n[ \t]+/g, ' ');
    const unsubscribe = /^List-Unsubscribe: <(https:\/\/accounts\.example\.org\/status\/unsubscribe\?token=[^>]+)>/m.exec(head)?.[1];
    expect(unsubscribe).toBeDefined();
    expect(head).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(update?.text).toContain(`Unsubscribe with one click: ${unsubscribe ?? ''}`);

    // What a mail program does (RFC 8058): a POST with no cookie and no CSRF token.
    const path = (unsubscribe ?? '').replace('https://accounts.example.org', '');
    const gone = await f.server.app.request(`http://127.0.0.1${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(gone.status).toBe(200);
    expect(await f.store.read.countStatusSubscribers()).toEqual({ confirmed: 0, pending: 0 });
    await json(await f.request('POST', '/api/v1/status/incidents', { body: { hosts: ['web'], title: 'Slow', message: 'Slow pages.' } }), 201);
    await mail();
    expect(smtp.messages).toHaveLength(2);
    const actions = (await f.store.read.listAudit({ limit: 100 })).map((a) => [a.action, a.actor]).filter(([a]) => a?.includes('subscri') === true);
    expect(actions).toEqual([
      ['status.subscribe', 'status-page'],
      ['status.subscribe-confirm', 'status-page'],
      ['status.unsubscribe', 'status-page'],
    ]);
  });

  it('name only the components the page shows; an event on hidden components alone mails no subscriber', async () => {
    await f.store.transaction((tx) => tx.insertStatusSubscriber({ address: 'reader@example.net', secret: 's'.repeat(43), createdAt: '2026-03-01T11:00:00.000Z', confirmHash: null, confirmExpiresAt: null, confirmedAt: '2026-03-01T11:00:00.000Z' }));
    // shell/cron is hidden (status.components): the mail names the host only.
    const both = await json<{ subscribers: number }>(await f.request('POST', '/api/v1/status/incidents', { body: { components: ['shell', 'shell/cron'], title: 'Jobs late', message: 'Catching up.' } }), 201);
    expect(both.subscribers).toBe(1);
    // An incident on the hidden component alone is not the page's, nor the subscribers'.
    const hidden = await json<{ subscribers: number }>(await f.request('POST', '/api/v1/status/incidents', { body: { components: ['shell/cron'], title: 'Cron HIDDEN', message: 'Internal.' } }), 201);
    expect(hidden.subscribers).toBe(0);
    await mail();
    expect(smtp.messages.map((m) => m.subject)).toEqual(['Incident investigating: Jobs late']);
    const text = smtp.messages[0]?.text ?? '';
    expect(text).toMatch(/^Affects: +Shell server$/m);
    expect(text).not.toContain('cron');
  });

  it('never tells whether an address is subscribed; refuses a form without its token; limits sign-ups', async () => {
    const jar = new Jar();
    const first = await (await signUp(jar, 'known@example.net')).text();
    const second = await (await signUp(jar, 'known@example.net')).text();
    const other = await (await signUp(new Jar(), 'other@example.net')).text();
    const strip = (h: string) => h.replace(/The link works until[^<]*/, '');
    expect(strip(second)).toBe(strip(first));
    expect(strip(other)).toBe(strip(first));

    const forged = await page(new Jar(), 'POST', '/status/subscribe', { form: { email: 'victim@example.net' } });
    expect(forged.status).toBe(403);
    const wrong = await page(jar, 'POST', '/status/subscribe', { form: { csrf: 'x'.repeat(43), email: 'victim@example.net' } });
    expect(wrong.status).toBe(403);
    const invalid = await signUp(new Jar(), 'not an address');
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('Enter an e-mail address such as name@example.org.');
    expect(await f.store.read.getStatusSubscriberByAddress('victim@example.net')).toBeUndefined();

    // attempts: 4 per client address in the window (all of these came from one: in-process requests have no socket).
    const throttled = await signUp(new Jar(), 'fourth@example.net');
    expect(throttled.status).toBe(429);
    expect(await throttled.text()).toContain('Please wait 60 minutes');
    await mail();
    // Two links to the known address (each replacing the last), one to the other; nothing to the fourth.
    expect(smtp.messages.map((m) => m.to.join(',')).sort()).toEqual(['known@example.net', 'known@example.net', 'other@example.net']);
  });
});
