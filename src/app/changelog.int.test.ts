import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleAppContext } from '../../test/example-app-context.js';
import { RosterError } from '../domain/errors.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { addChangelogEntry, addHostFileEntry, applyEntryText, authorOf, listChangelog } from './changelog.js';
import { recordHostReport } from './host-reports.js';

const NOW = '2026-12-04T22:55:00.000Z';

async function refusal(p: Promise<unknown>): Promise<RosterError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RosterError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe.each(storeFactories)('the changelog use cases on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;

  beforeEach(async () => {
    s = await factory.open();
    ctx = exampleAppContext(s.store, NOW, { actor: 'cli:alice' });
  });
  afterEach(async () => {
    await s.cleanup();
  });

  it('records an intervention done now by the invoking person, audited in the same transaction', async () => {
    const entry = await addChangelogEntry(ctx, { host: 'shell', text: '\n  Upgraded nginx to 1.26 \r\n    and reloaded it.\t\n\n', public: true });
    expect(entry).toEqual({ id: entry.id, host: 'shell', at: NOW, author: 'alice', text: 'Upgraded nginx to 1.26\n  and reloaded it.', public: true, source: 'cli', ref: null });
    const [record] = (await s.store.read.listAudit()).filter((r) => r.action === 'changelog.add');
    expect(record).toMatchObject({ actor: 'cli:alice', target: 'host:shell', after: { id: entry.id, author: 'alice', source: 'cli', public: true, text: entry.text } });
    // Through the API the token is the author.
    const byToken = await addChangelogEntry({ ...ctx, actor: 'token:3(admin)' }, { host: 'web', text: 'Rotated the certificate.' });
    expect([byToken.author, byToken.source, byToken.public]).toEqual(['token:3(admin)', 'api', false]);
    // A dry run stores nothing.
    await addChangelogEntry(ctx, { host: 'web', text: 'only trying' }, { dryRun: true });
    expect((await listChangelog(ctx)).map((e) => e.text)).toEqual(['Upgraded nginx to 1.26\n  and reloaded it.', 'Rotated the certificate.']);
  });

  it('refuses an unknown host (naming the known ones) and a text that is empty, too long or holds control characters; nothing changes', async () => {
    const head = await s.store.read.auditHead();
    const host = await refusal(addChangelogEntry(ctx, { host: 'mail', text: 'x' }));
    expect([host.code, host.message, host.issues]).toEqual(['not_found', 'no host "mail" in roster.yaml; the hosts are shell, web', [{ where: 'host', message: 'not a host in roster.yaml' }]]);
    for (const [text, message] of [
      [' \n\t\n ', 'text: say what was done (the text is empty)'],
      ['x'.repeat(4001), 'text: at most 4000 characters, not 4001'],
      ['line one\nline\ttwo', 'text: a control character (\\x09) on line 2; only line breaks may be in the text'],
      ['esc \u001b[31m', 'text: a control character (\\x1b) on line 1; only line breaks may be in the text'],
    ] as const) {
      const e = await refusal(addChangelogEntry(ctx, { host: 'shell', text }));
      expect([e.code, e.message, e.issues.map((i) => i.where)]).toEqual(['bad_input', message, ['text']]);
    }
    expect((await addChangelogEntry(ctx, { host: 'shell', text: 'y'.repeat(4000) })).text.length).toBe(4000);
    expect(await s.store.read.listChangelog()).toHaveLength(1);
    expect((await s.store.read.auditHead()).seq).toBe(head.seq + 1);
  });

  it('keeps a hand-written entry once, whoever sends it again, and refuses one that cannot be, naming every field', async () => {
    const hand = { host: 'shell', at: '2026-12-04T21:00:00+01:00', author: ' bob ', text: 'Purged the mailboxes over 5 GB.' };
    const first = await addHostFileEntry(ctx, hand);
    expect(first.created).toBe(true);
    expect(first.entry).toMatchObject({ at: '2026-12-04T20:00:00.000Z', author: 'bob', source: 'host-file', public: false });
    const again = await addHostFileEntry(ctx, { ...hand, at: '2026-12-04T20:00:00Z', text: `${hand.text}\n` });
    expect(again).toEqual({ entry: first.entry, created: false });
    expect((await s.store.read.listAudit()).filter((r) => r.action === 'changelog.add')).toHaveLength(1);
    const e = await refusal(addHostFileEntry(ctx, { host: 'shell', at: '2026-12-06T00:00:00Z', author: '', text: '' }));
    expect(e.issues.map((i) => i.where)).toEqual(['at', 'author', 'text']);
    expect((await refusal(addHostFileEntry(ctx, { ...hand, at: 'Tuesday' }))).issues).toEqual([{ where: 'at', message: 'not an ISO 8601 time: Tuesday' }]);
    expect(await s.store.read.listChangelog()).toHaveLength(1);
  });

  it("takes an entry the host's file shows because the server sent it for the one stored, as the file shows its author", async () => {
    await recordHostReport(ctx, 'shell', { revision: null, ok: true, report: {}, counts: {}, applied: { root: '/', applied: 1, changes: [{ target: 'unix', summary: 'create carol' }] } });
    const token = await addChangelogEntry({ ...ctx, actor: 'token:3(admin)' }, { host: 'shell', text: 'Rotated the certificate.' });
    const [apply] = await s.store.read.listChangelog({ host: 'shell' });
    const back = await addHostFileEntry(ctx, { host: 'shell', at: '2026-12-04T22:55:00Z', author: 'roster (apply)', text: 'applied 1 change — unix: create carol' });
    expect(back).toEqual({ entry: apply, created: false });
    expect(await addHostFileEntry(ctx, { host: 'shell', at: '2026-12-04T22:55:59Z', author: 'token:3(admin) (api)', text: 'Rotated the certificate.' })).toEqual({ entry: token, created: false });
    // Another minute, or the author without its mark, is an entry of its own.
    expect((await addHostFileEntry(ctx, { host: 'shell', at: '2026-12-04T22:56:00Z', author: 'roster (apply)', text: 'applied 1 change — unix: create carol' })).created).toBe(true);
    expect((await addHostFileEntry(ctx, { host: 'shell', at: '2026-12-04T22:55:00Z', author: 'roster', text: 'applied 1 change — unix: create carol' })).created).toBe(true);
  });

  it("adds Roster's apply to the changelog with the host report that carries it, only when it changed something", async () => {
    const report = (applied: number) => recordHostReport(ctx, 'shell', { revision: 'abcdef0123456789', ok: true, report: {}, counts: {}, applied: { root: '/', applied, changes: [{ target: 'unix', summary: 'create carol' }] } });
    const { report: r } = await report(1);
    await report(0);
    const entries = await s.store.read.listChangelog();
    expect(entries.map((e) => [e.author, e.source, e.ref, e.text])).toEqual([['roster', 'apply', `report:${r.id}`, 'applied revision abcdef012345: 1 change — unix: create carol']]);
  });

  it("dates an apply's entry by the apply, within sane bounds, and stores a report sent again (its answer lost) once, with one entry", async () => {
    const id = (n: number): string => `0f3c9a1e-7b2d-4c55-9e10-${String(n).padStart(12, '0')}`;
    const send = (n: number, at: string, applied = 1) =>
      recordHostReport(ctx, 'shell', { id: id(n), at, revision: 'abcdef0123456789', ok: true, report: { id: id(n), at }, counts: {}, applied: { root: '/', applied, changes: [{ target: 'unix', summary: `change ${n}` }] } });
    // Applied while the server was away, sent later: the entry says when it was applied.
    const first = await send(1, '2026-12-04T21:40:00.000Z');
    expect(first.created).toBe(true);
    // The same report again (the agent never saw the answer): the stored one, nothing added.
    const again = await send(1, '2026-12-04T21:40:00.000Z');
    expect(again).toEqual({ report: first.report, created: false });
    expect((await s.store.read.listHostReports({ host: 'shell' })).length).toBe(1);
    // A host clock ahead is not believed past the server's now.
    await send(2, '2027-01-01T00:00:00.000Z');
    const later = exampleAppContext(s.store, '2026-12-04T23:30:00.000Z', { actor: 'agent:shell' });
    // Nor one behind before the report before it was received.
    await recordHostReport(later, 'shell', { id: id(3), at: '2026-12-01T00:00:00.000Z', revision: null, ok: true, report: {}, counts: {}, applied: { root: '/', applied: 1, changes: [{ target: 'unix', summary: 'change 3' }] } });
    // A report without an id (an older agent) is dated when received, as before.
    await recordHostReport(later, 'shell', { revision: null, ok: true, report: {}, counts: {}, applied: { root: '/', applied: 1, changes: [{ target: 'unix', summary: 'change 4' }] } });
    const entries = await s.store.read.listChangelog({ host: 'shell', order: 'stored' });
    expect(entries.map((e) => [e.at, e.ref])).toEqual([
      ['2026-12-04T21:40:00.000Z', `report:${id(1)}`],
      [NOW, `report:${id(2)}`],
      [NOW, `report:${id(3)}`],
      ['2026-12-04T23:30:00.000Z', expect.stringMatching(/^report:\d+$/)],
    ]);
    // An entry kept under a report's id is never added twice, however old the report sent again.
    expect((await send(1, '2026-12-04T21:40:00.000Z')).created).toBe(false);
    expect((await s.store.read.listChangelog({ host: 'shell' })).length).toBe(4);
  });

  it('lists by host and time; a host roster.yaml dropped stays readable while it has entries; one never known is refused', async () => {
    await s.store.transaction((tx) => tx.addChangelogEntry({ host: 'old', at: '2025-01-01T00:00:00Z', author: 'carol', text: 'Decommissioned.', public: false, source: 'cli', ref: null, createdAt: NOW }));
    await addChangelogEntry(ctx, { host: 'shell', text: 'now' });
    expect((await listChangelog(ctx, { host: 'old' })).map((e) => e.text)).toEqual(['Decommissioned.']);
    expect(await listChangelog(ctx, { host: 'old', since: new Date('2025-06-01T00:00:00Z') })).toEqual([]);
    expect(await listChangelog(ctx, { host: 'web' })).toEqual([]);
    expect((await refusal(listChangelog(ctx, { host: 'nowhere' }))).code).toBe('not_found');
    expect((await listChangelog(ctx, { until: new Date(NOW) })).map((e) => e.host)).toEqual(['old']);
  });
});

describe('changelog texts Roster writes itself', () => {
  it("names the changes an apply made, shortened, with how many more there were", () => {
    const changes = Array.from({ length: 7 }, (_, i) => ({ target: i % 2 === 0 ? 'unix' : 'homes', summary: `change ${i}` }));
    expect(applyEntryText({ revision: 'f00dfeedbeefcafe1234', root: '/', applied: 12, changes })).toBe(
      'applied revision f00dfeedbeef: 12 changes — unix: change 0; homes: change 1; unix: change 2; homes: change 3; unix: change 4; and 7 more',
    );
    expect(applyEntryText({ revision: null, root: '/', applied: 1, changes: [{ target: 'login', summary: `deny ${'x'.repeat(200)}\nand more` }] })).toMatch(/^applied 1 change — login: deny x+…$/);
    expect(applyEntryText({ revision: null, root: '/tmp/r', applied: 2, changes: [] })).toBe('applied under root /tmp/r: 2 changes');
  });

  it('takes the author from the actor: the person behind cli:, else the actor itself', () => {
    expect(authorOf('cli:alice')).toBe('alice');
    expect(authorOf('token:3(admin)')).toBe('token:3(admin)');
    expect(authorOf('cli:')).toBe('cli:');
  });
});
