import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverFixture, type ServerFixture } from './server-fixture.js';

interface Entry {
  readonly id: number;
  readonly host: string;
  readonly at: string;
  readonly author: string;
  readonly text: string;
  readonly public: boolean;
  readonly source: string;
  readonly ref: string | null;
}

interface Page {
  readonly items: Entry[];
  readonly next: string | null;
}

interface Problem {
  readonly detail: string;
  readonly issues?: Array<{ readonly where: string; readonly message: string }>;
}

/** The changelog through the REST API on a server called in-process (roles, the agent's own host, filters, pages). */
describe('/api/v1 changelog', () => {
  let f: ServerFixture;

  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
  const post = (host: string, body: unknown, token?: string): Promise<Response> => f.request('POST', `/api/v1/hosts/${host}/changelog`, { body, ...(token === undefined ? {} : { token }) });
  const list = async (query = '', token?: string): Promise<Page> => {
    const res = await f.request('GET', `/api/v1/changelog${query}`, token === undefined ? {} : { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return json<Page>(res);
  };
  const changelogAudit = async (): Promise<number> => (await f.store.read.listAudit()).filter((r) => r.action === 'changelog.add').length;

  beforeEach(async () => {
    f = await serverFixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('adds an entry by the token, now, for admins and operators; readers list it', async () => {
    const res = await post('shell', { text: 'Upgraded nginx to 1.26\r\nand reloaded it.  \n\n', public: true });
    expect(res.status).toBe(201);
    const entry = await json<Entry>(res);
    expect(entry).toEqual({ id: entry.id, host: 'shell', at: '2026-03-01T12:00:00.000Z', author: 'token:1(admin)', text: 'Upgraded nginx to 1.26\nand reloaded it.', public: true, source: 'api', ref: null });
    expect((await post('web', { text: 'Rotated the TLS certificate.' }, f.tokens.operator)).status).toBe(201);
    expect(await changelogAudit()).toBe(2);
    const audit = (await f.store.read.listAudit()).filter((r) => r.action === 'changelog.add');
    expect(audit.map((r) => [r.actor, r.target])).toEqual([['token:1(admin)', 'host:shell'], ['token:3(operator)', 'host:web']]);

    const all = await list('', f.tokens.auditor);
    expect(all.items.map((e) => [e.host, e.author, e.public])).toEqual([['shell', 'token:1(admin)', true], ['web', 'token:3(operator)', false]]);
    expect(all.next).toBeNull();
    expect((await list('?host=web')).items.map((e) => e.text)).toEqual(['Rotated the TLS certificate.']);
    expect((await list('?public=true')).items.map((e) => e.host)).toEqual(['shell']);
  });

  it('refuses what is not an entry with a problem naming the field, and changes nothing', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ text: '' }, 422, 'text'],
      [{ text: 'x'.repeat(4001) }, 422, 'text'],
      [{ text: 'rang the \u0007 bell' }, 422, 'text'],
      [{ text: 'ok', colour: 'red' }, 422, 'body'],
      [{ text: 'ok', at: '2026-03-01T12:00:00Z' }, 422, 'body.at'],
      [{ text: 'ok', source: 'apply' }, 422, 'body.source'],
      [{ text: 'ok', source: 'host-file', at: '2026-03-01T11:00:00Z' }, 422, 'body.author'],
      [{ public: true }, 422, 'body.text'],
    ];
    for (const [body, status, where] of cases) {
      const res = await post('shell', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      const problem = await json<Problem>(res);
      expect(problem.issues?.map((i) => i.where).join(' '), JSON.stringify(body)).toContain(where);
    }
    const unknown = await post('mail', { text: 'ok' });
    expect(unknown.status).toBe(404);
    expect((await json<Problem>(unknown)).detail).toBe('no host "mail" in roster.yaml; the hosts are shell, web');
    expect((await list()).items).toEqual([]);
    expect(await changelogAudit()).toBe(0);
  });

  it("lets a host's agent read its own host's entries and send the ones written by hand there, once; nothing else", async () => {
    const hand = { source: 'host-file', at: '2026-03-01T09:15:00Z', author: 'bob', text: 'Purged the mailboxes over 5 GB.' };
    const first = await post('shell', hand, f.tokens.agent);
    expect(first.status).toBe(201);
    const stored = await json<Entry>(first);
    expect(stored).toMatchObject({ host: 'shell', at: '2026-03-01T09:15:00.000Z', author: 'bob', source: 'host-file', public: false });
    expect(stored.ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Sent again (the agent did not hear the answer): the same entry, stored once, audited once.
    const again = await post('shell', { ...hand, at: '2026-03-01T10:15:00+01:00', text: `${hand.text}  \n` }, f.tokens.agent);
    expect(again.status).toBe(200);
    expect(await json<Entry>(again)).toEqual(stored);
    expect(await changelogAudit()).toBe(1);

    // The other host's agent, an operator for a hand-written entry, the agent for an entry of its own: refused.
    expect((await post('shell', hand, f.tokens.agentWeb)).status).toBe(403);
    expect((await post('shell', hand, f.tokens.operator)).status).toBe(403);
    expect((await post('shell', { text: 'I did it' }, f.tokens.agent)).status).toBe(403);
    expect((await post('shell', hand, f.tokens.auditor)).status).toBe(403);
    expect((await post('shell', { ...hand, at: '2027-03-01T09:15:00Z' }, f.tokens.agent)).status).toBe(422);
    expect((await post('shell', { ...hand, author: 'eve\nmallory' }, f.tokens.agent)).status).toBe(422);
    expect((await f.store.read.listChangelog()).length).toBe(1);

    // Reading: its own host only, and not the listing of every host.
    expect((await f.request('GET', '/api/v1/hosts/shell/changelog', { token: f.tokens.agent })).status).toBe(200);
    expect((await f.request('GET', '/api/v1/hosts/shell/changelog', { token: f.tokens.agentWeb })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/changelog', { token: f.tokens.agent })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/changelog', { token: f.tokens.scim })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/changelog', { token: null })).status).toBe(401);
  });

  it('filters by time (ISO, date or span) and pages by time or, for agents, by the order stored', async () => {
    for (const [day, text] of [[3, 'three'], [1, 'one'], [5, 'five'], [2, 'two']] as const) {
      f.clock.at = new Date(`2026-03-0${day}T12:00:00Z`);
      expect((await post('shell', { text })).status).toBe(201);
    }
    f.clock.at = new Date('2026-03-06T12:00:00Z');
    // A backdated hand-written entry, stored last.
    expect((await post('shell', { source: 'host-file', at: '2026-02-28T08:00:00Z', author: 'bob', text: 'zero' }, f.tokens.agent)).status).toBe(201);
    const texts = (p: Page): string[] => p.items.map((e) => e.text);
    expect(texts(await list())).toEqual(['zero', 'one', 'two', 'three', 'five']);
    expect(texts(await list('?since=2026-03-02&until=2026-03-05T12:00:00Z'))).toEqual(['two', 'three']);
    expect(texts(await list('?since=3d'))).toEqual(['three', 'five']);
    expect(texts(await list('?since=96h'))).toEqual(['two', 'three', 'five']);

    const p1 = await list('?limit=2');
    expect(texts(p1)).toEqual(['zero', 'one']);
    expect(p1.next).toMatch(/^2026-03-01T12:00:00\.000Z,\d+$/);
    const p2 = await list(`?limit=2&after=${encodeURIComponent(p1.next ?? '')}`);
    expect(texts(p2)).toEqual(['two', 'three']);
    const p3 = await list(`?limit=2&after=${encodeURIComponent(p2.next ?? '')}`);
    expect([texts(p3), p3.next]).toEqual([['five'], null]);

    // By the order stored: what an agent holding entry `one` (the 2nd stored) has not seen yet, the backdated one included.
    const one = p1.items[1]?.id ?? 0;
    const res = await f.request('GET', `/api/v1/hosts/shell/changelog?afterId=${one}&limit=2`, { token: f.tokens.agent });
    const byId = await json<Page>(res);
    expect([texts(byId), byId.next]).toEqual([['five', 'two'], String(one + 2)]);
    const rest = await json<Page>(await f.request('GET', `/api/v1/hosts/shell/changelog?afterId=${byId.next ?? ''}&limit=2`, { token: f.tokens.agent }));
    expect([texts(rest), rest.next]).toEqual([['zero'], null]);

    for (const [query, where] of [['?since=last%20week', 'query.since'], ['?until=2026-02-30', 'query.until'], ['?after=3', 'query.after'], ['?after=2026-03-01T12:00:00.000Z,1&afterId=1', 'query.afterId'], ['?limit=0', 'query.limit'], ['?public=yes', 'query.public']] as const) {
      const bad = await f.request('GET', `/api/v1/changelog${query}`);
      expect(bad.status, query).toBe(422);
      expect((await json<Problem>(bad)).issues?.map((i) => i.where), query).toContain(where);
    }
    expect((await f.request('GET', '/api/v1/hosts/mail/changelog')).status).toBe(404);
  });

  it("adds one apply entry for an agent's report with applied changes, none for one without, in the report's transaction", async () => {
    const outcome = (target: string, summary: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ target, action: 'update', subject: summary, summary, status: 'ok', ...extra });
    const report = {
      revision: '1a2b3c4d5e6f7a8b9c0d',
      root: '/',
      outcomes: [outcome('unix', 'freeze bob'), outcome('login', 'deny bob'), outcome('hooks', 'onEnsure alice', { recurring: true }), { target: 'homes', action: 'create', subject: 'x', summary: 'home of carol', status: 'failed', error: 'disk full' }],
      totals: { ok: 9, failed: 1, skipped: 0, recurring: 1 },
    };
    const res = await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body: report });
    expect(res.status).toBe(201);
    const { id } = await json<{ id: number }>(res);
    const entries = await f.store.read.listChangelog();
    expect(entries).toEqual([
      { id: entries[0]?.id, host: 'shell', at: '2026-03-01T12:00:00.000Z', author: 'roster', text: 'applied revision 1a2b3c4d5e6f: 8 changes — unix: freeze bob; login: deny bob; and 6 more', public: false, source: 'apply', ref: `report:${id}` },
    ]);
    const reportAudit = (await f.store.read.listAudit()).find((r) => r.action === 'host.report');
    expect(reportAudit?.after).toMatchObject({ report: id, changelog: entries[0]?.id });

    // Only recurring changes, only failures, nothing at all: no entry.
    for (const body of [
      { revision: 'r2', outcomes: [outcome('hooks', 'onEnsure alice', { recurring: true })], totals: { ok: 1, failed: 0, skipped: 0, recurring: 1 } },
      { revision: 'r3', outcomes: [{ target: 'unix', action: 'create', subject: 'x', summary: 'x', status: 'failed' }] },
      { revision: 'r4', outcomes: [], error: { code: 'mass_change', message: 'too many' } },
    ]) {
      expect((await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body })).status).toBe(201);
    }
    expect((await f.store.read.listChangelog()).length).toBe(1);
    // Under a root prefix it says so; without totals (an older agent) the listed outcomes are counted.
    await f.request('POST', '/api/v1/hosts/web/reports', { token: f.tokens.agentWeb, body: { revision: null, root: '/srv/test-root', outcomes: [outcome('unix', 'create alice')] } });
    expect((await f.store.read.listChangelog({ host: 'web' })).map((e) => e.text)).toEqual(['applied under root /srv/test-root: 1 change — unix: create alice']);
  });

  it("stores an agent's report sent again after a lost answer once, its apply entry once, dated by the apply; refuses a malformed report id", async () => {
    const body = {
      id: '6b1f0d2e-95c4-4a7b-8d3e-2f9a1c0b7e44',
      at: '2026-03-01T11:42:10.000Z',
      revision: 'r1',
      root: '/',
      outcomes: [{ target: 'unix', action: 'update', subject: 'bob', summary: 'freeze bob', status: 'ok' }],
    };
    const first = await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body });
    expect(first.status).toBe(201);
    const again = await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body });
    expect(again.status).toBe(201);
    expect((await json<{ id: number }>(again)).id).toBe((await json<{ id: number }>(first)).id);
    expect((await f.store.read.listHostReports({ host: 'shell' })).length).toBe(1);
    expect((await f.store.read.listChangelog()).map((e) => [e.at, e.source, e.ref])).toEqual([['2026-03-01T11:42:10.000Z', 'apply', `report:${body.id}`]]);
    expect((await f.store.read.listAudit()).filter((r) => r.action === 'host.report').length).toBe(1);

    const bad = await f.request('POST', '/api/v1/hosts/shell/reports', { token: f.tokens.agent, body: { ...body, id: 'report:12' } });
    expect(bad.status).toBe(422);
    expect((await json<Problem>(bad)).issues?.map((i) => i.where)).toEqual(['body.id']);
    expect((await f.store.read.listHostReports({ host: 'shell' })).length).toBe(1);
  });

  it("says at every poll of the desired state which changelog entry is the host's newest", async () => {
    const head = async (host: string, token: string): Promise<string | null> => (await f.request('GET', `/api/v1/hosts/${host}/desired`, { token })).headers.get('x-roster-changelog-head');
    expect(await head('shell', f.tokens.agent)).toBe('0');
    const entry = await json<Entry>(await post('shell', { text: 'Rebooted.' }));
    await post('web', { text: 'Rebooted too.' });
    expect(await head('shell', f.tokens.agent)).toBe(String(entry.id));
    const desired = await f.request('GET', '/api/v1/hosts/shell/desired', { token: f.tokens.agent });
    const unchanged = await f.request('GET', '/api/v1/hosts/shell/desired', { token: f.tokens.agent, headers: { 'if-none-match': desired.headers.get('etag') ?? '' } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('x-roster-changelog-head')).toBe(String(entry.id));
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await json<{ paths: Record<string, Record<string, { operationId: string }>> }>(await f.request('GET', '/api/v1/openapi.json', { token: null }));
    expect(doc.paths['/api/v1/changelog']?.get?.operationId).toBe('listChangelog');
    expect(doc.paths['/api/v1/hosts/{host}/changelog']?.get?.operationId).toBe('listHostChangelog');
    expect(doc.paths['/api/v1/hosts/{host}/changelog']?.post?.operationId).toBe('addHostChangelog');
  });
});
