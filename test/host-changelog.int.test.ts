import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostChangelogPaths, readHostChangelog, syncHostChangelog, type ChangelogSyncResult } from '../src/agent/host-changelog.js';
import { ServerClient } from '../src/agent/server-client.js';
import { addChangelogEntry } from '../src/app/changelog.js';
import { serverFixture, type ServerFixture } from './server-fixture.js';

/**
 * The agent's side of the changelog against a real server (in-process, over
 * its HTTP interface): /root/changelog under a temp root, the entries the
 * server holds, the ones written there by hand, and what happens when the
 * server is away, refuses an entry, or its answer is lost.
 */
describe('/root/changelog kept in step with the server', () => {
  let f: ServerFixture;
  let root: string;
  let warnings: string[];
  let requests: string[];
  /** Set to make the next request's answer get lost on the way back (the server did the work). */
  let loseNextAnswer = false;
  let client: ServerClient;

  const file = (): string => readFileSync(hostChangelogPaths(root).file, 'utf8');
  const head = async (): Promise<number> => f.store.read.changelogHead('shell');
  const sync = async (o: { readonly offline?: boolean; readonly head?: number | null } = {}): Promise<ChangelogSyncResult> =>
    syncHostChangelog({ root, host: 'shell', client: o.offline === true ? null : client, serverHead: o.head === null ? undefined : (o.head ?? (await head())), log: { warn: (m) => warnings.push(m) } });
  const add = async (at: string, text: string, author = 'cli:alice'): Promise<void> => {
    f.clock.at = new Date(at);
    await addChangelogEntry({ ...f.ctx, actor: author }, { host: 'shell', text });
  };

  beforeEach(async () => {
    f = await serverFixture();
    root = mkdtempSync(join(tmpdir(), 'roster-host-changelog-'));
    warnings = [];
    requests = [];
    loseNextAnswer = false;
    client = new ServerClient({
      server: 'http://127.0.0.1',
      token: f.tokens.agent,
      host: 'shell',
      fetch: async (input, init) => {
        const url = input instanceof Request ? input.url : input.toString();
        requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}${new URL(url).search}`);
        const res = await f.server.app.request(url, init);
        if (loseNextAnswer) {
          loseNextAnswer = false;
          throw new TypeError('fetch failed: the connection was reset');
        }
        return res;
      },
    });
  });
  afterEach(async () => {
    await f.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it("writes the host's entries in the seed's form, newest last, into a private file; a turn with nothing new asks nothing and writes nothing", async () => {
    await add('2026-03-04T23:10:00Z', 'applied revision 1a2b: 2 changes — unix: freeze bob; login: deny bob', 'roster');
    await add('2026-03-04T22:55:00Z', 'Upgraded nginx to 1.26 and reloaded it.');
    expect(await sync()).toMatchObject({ fetched: 2, sent: 0, written: true, error: null });
    expect(file()).toBe(
      [
        '# Interventions on shell, newest last. Kept by Roster: add one with',
        '# `roster changelog add --host shell "…"`, or append one below in the same form.',
        '',
        '2026-03-04 22:55 UTC  alice',
        '    Upgraded nginx to 1.26 and reloaded it.',
        '',
        // An actor that is not `cli:` is the author as it is; the API marks its entries.
        '2026-03-04 23:10 UTC  roster (api)',
        '    applied revision 1a2b: 2 changes — unix: freeze bob; login: deny bob',
        '',
      ].join('\n'),
    );
    const paths = hostChangelogPaths(root);
    expect(statSync(paths.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'root')).mode & 0o777).toBe(0o700);
    expect(statSync(paths.state).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'var/lib/roster')).mode & 0o777).toBe(0o700);

    const mtime = statSync(paths.file).mtimeMs;
    requests = [];
    expect(await sync()).toMatchObject({ fetched: 0, sent: 0, written: false });
    expect(requests).toEqual([]);
    expect(statSync(paths.file).mtimeMs).toBe(mtime);
    // Something new on the server: fetched by what was stored after the last entry held.
    await add('2026-03-05T08:00:00Z', 'Rebooted.');
    expect(await sync()).toMatchObject({ fetched: 1, written: true });
    expect(requests).toEqual(['GET /api/v1/hosts/shell/changelog?afterId=2']);
    expect(file().trimEnd().split('\n').slice(-2)).toEqual(['2026-03-05 08:00 UTC  alice', '    Rebooted.']);
  });

  it('sends an entry appended by hand once, keeps a malformed block where it is seen and says so once, naming its line', async () => {
    await add('2026-03-04T22:55:00Z', 'Upgraded nginx.');
    await sync();
    appendFileSync(hostChangelogPaths(root).file, '\n2026-03-05 09:15 UTC  bob\n    Purged the mailboxes over 5 GB:\n      alice, carol.\n\n2026-03-05 9:30 UTC bob\n    forgot the zero\n');
    // roster watch sees the hand-written entry before the agent's turn.
    expect((await readHostChangelog(root)).map((e) => [e.at, e.author, e.source])).toEqual([
      ['2026-03-04T22:55:00.000Z', 'alice', 'cli'],
      ['2026-03-05T09:15:00.000Z', 'bob', 'host-file'],
    ]);
    const turn = await sync();
    // The file already reads as it should: it is not written.
    expect(turn).toMatchObject({ sent: 1, waiting: 0, malformed: 1, written: false, error: null });
    expect(warnings).toEqual([`${hostChangelogPaths(root).file} line 11: the date line must read YYYY-MM-DD HH:MM UTC, two spaces, then who did it; left in the file as it is, not sent to the server`]);
    const stored = await f.store.read.listChangelog({ host: 'shell' });
    expect(stored.map((e) => [e.author, e.source, e.text])).toEqual([
      ['alice', 'cli', 'Upgraded nginx.'],
      ['bob', 'host-file', 'Purged the mailboxes over 5 GB:\n  alice, carol.'],
    ]);
    expect(file()).toContain('2026-03-05 09:15 UTC  bob\n    Purged the mailboxes over 5 GB:\n      alice, carol.\n\n2026-03-05 9:30 UTC bob\n    forgot the zero\n');

    // Later turns: nothing sent again, nothing said again, the block still there.
    await sync({ head: null });
    await sync({ head: null });
    expect((await f.store.read.listChangelog({ host: 'shell' })).length).toBe(2);
    expect(warnings.length).toBe(1);
    expect(file()).toContain('2026-03-05 9:30 UTC bob\n    forgot the zero\n');
  });

  it('keeps hand-written entries while the server is away and sends them on a later turn; a lost answer stores nothing twice', async () => {
    f.clock.at = new Date('2026-03-05T11:00:00Z');
    await sync();
    appendFileSync(hostChangelogPaths(root).file, '\n2026-03-05 10:00 UTC  carol\n    Replaced a disk in the RAID.\n');
    expect(await sync({ offline: true })).toMatchObject({ sent: 0, waiting: 1, error: null });
    expect(file()).toContain('2026-03-05 10:00 UTC  carol\n    Replaced a disk in the RAID.\n');
    expect(await f.store.read.listChangelog()).toEqual([]);
    expect((await readHostChangelog(root)).map((e) => e.author)).toEqual(['carol']);

    // The server takes the entry, but its answer never arrives.
    loseNextAnswer = true;
    const lost = await sync();
    expect(lost.error?.code).toBe('unavailable');
    expect(lost.waiting).toBe(1);
    expect((await f.store.read.listChangelog()).length).toBe(1);
    // Sent again: the server gives back the entry it has; the file shows it once.
    expect(await sync()).toMatchObject({ waiting: 0, error: null });
    expect((await f.store.read.listChangelog()).length).toBe(1);
    expect(file().match(/Replaced a disk/g)?.length).toBe(1);
    expect(JSON.parse(readFileSync(hostChangelogPaths(root).state, 'utf8'))).toMatchObject({ head: 1, pending: [], rejected: [] });
  });

  it('keeps an entry the server refuses in the file, says why once, and never sends it again', async () => {
    f.clock.at = new Date('2026-03-05T11:00:00Z');
    await sync();
    appendFileSync(hostChangelogPaths(root).file, `\n2026-03-05 10:00 UTC  ${'d'.repeat(80)}\n    Who wrote this?\n`);
    const turn = await sync();
    expect(turn).toMatchObject({ rejected: 1, waiting: 0, error: null });
    expect(warnings.join('\n')).toMatch(/the server refused the entry of 2026-03-05 10:00 UTC by d+: .*author: at most 64 characters; it stays in the file/);
    requests = [];
    await sync({ head: null });
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect(file()).toContain('Who wrote this?');
    expect(warnings.length).toBe(1);
    expect(await f.store.read.listChangelog()).toEqual([]);
  });

  it('forgets a refused entry once the admin fixes or removes it in the file: the fixed one is sent, the refused one never comes back', async () => {
    f.clock.at = new Date('2026-03-05T11:00:00Z');
    await sync();
    const path = hostChangelogPaths(root).file;
    appendFileSync(path, `\n2026-03-05 10:00 UTC  ${'d'.repeat(80)}\n    Who wrote this?\n`);
    expect(await sync()).toMatchObject({ rejected: 1, error: null });
    // The admin shortens the author: the fixed entry goes to the server, the refused one leaves the file and the copy.
    writeFileSync(path, file().replace('d'.repeat(80), 'dave'));
    expect(await sync({ head: null })).toMatchObject({ sent: 1, rejected: 0, waiting: 0, error: null });
    expect((await f.store.read.listChangelog()).map((e) => [e.author, e.text])).toEqual([['dave', 'Who wrote this?']]);
    for (let i = 0; i < 2; i++) await sync({ head: null });
    expect(file()).not.toContain('d'.repeat(80));
    expect(file().match(/Who wrote this\?/g)?.length).toBe(1);
    expect(JSON.parse(readFileSync(hostChangelogPaths(root).state, 'utf8'))).toMatchObject({ pending: [], rejected: [] });
    // A refused entry the admin deletes is gone too.
    appendFileSync(path, `\n2026-03-05 10:30 UTC  ${'e'.repeat(80)}\n    Again?\n`);
    expect(await sync({ head: null })).toMatchObject({ rejected: 1 });
    writeFileSync(path, file().replace(`2026-03-05 10:30 UTC  ${'e'.repeat(80)}\n    Again?\n`, ''));
    await sync({ head: null });
    expect(file()).not.toContain('Again?');
    expect(JSON.parse(readFileSync(hostChangelogPaths(root).state, 'utf8'))).toMatchObject({ rejected: [] });
  });

  it('forgets an entry waiting for the server once the admin edits it in the file: only the edited one is sent', async () => {
    f.clock.at = new Date('2026-03-05T11:00:00Z');
    await sync();
    const path = hostChangelogPaths(root).file;
    appendFileSync(path, '\n2026-03-05 10:00 UTC  carol\n    Replaced a disk in the RAID,\n');
    expect(await sync({ offline: true })).toMatchObject({ waiting: 1 });
    writeFileSync(path, file().replace('in the RAID,', 'in the RAID.'));
    expect(await sync({ offline: true })).toMatchObject({ waiting: 1 });
    expect(file()).not.toContain('RAID,');
    expect(await sync()).toMatchObject({ sent: 1, waiting: 0, error: null });
    expect((await f.store.read.listChangelog()).map((e) => e.text)).toEqual(['Replaced a disk in the RAID.']);
    expect(file().match(/Replaced a disk/g)?.length).toBe(1);
  });

  it('leaves a file that is not UTF-8 as it is, byte for byte, says so once, and takes it up again once it is UTF-8', async () => {
    await add('2026-03-04T22:55:00Z', 'Upgraded nginx.');
    await sync();
    const path = hostChangelogPaths(root).file;
    // Latin-1: "zoé" and "Café" with é as the single byte 0xe9.
    const latin1 = Buffer.concat([readFileSync(path), Buffer.from('\n2026-03-05 10:00 UTC  zo\xe9\n    Caf\xe9 machine fixed.\n', 'latin1')]);
    writeFileSync(path, latin1);
    await add('2026-03-05T11:00:00Z', 'Rebooted.');
    expect(await sync()).toMatchObject({ fetched: 1, sent: 0, waiting: 0, written: false });
    expect(readFileSync(path).equals(latin1)).toBe(true);
    expect(warnings).toEqual([`${path} is not UTF-8 text; left as it is (save it as UTF-8 for Roster to read and write it)`]);
    await sync({ head: null });
    expect(readFileSync(path).equals(latin1)).toBe(true);
    expect(warnings.length).toBe(1);
    expect((await f.store.read.listChangelog()).length).toBe(2);
    // Saved again as UTF-8: its entry is sent, the server's new one written in.
    writeFileSync(path, latin1.toString('latin1'), 'utf8');
    expect(await sync({ head: null })).toMatchObject({ sent: 1, written: true, error: null });
    expect((await f.store.read.listChangelog()).map((e) => e.author)).toEqual(['alice', 'zoé', 'alice']);
    expect(file()).toContain('2026-03-05 10:00 UTC  zoé\n    Café machine fixed.\n');
    expect(file()).toContain('Rebooted.');
  });

  it("fetches again when its copy is lost, and never sends the server's own entries back as hand-written ones", async () => {
    await add('2026-03-04T22:55:00Z', 'Upgraded nginx.');
    await add('2026-03-04T23:10:00Z', 'applied 1 change — unix: create carol', 'roster');
    await sync();
    const turn = (offline: boolean): Promise<ChangelogSyncResult> => sync({ offline, head: null });
    writeFileSync(hostChangelogPaths(root).state, '{"version": 1, "broken"');
    expect(await turn(false)).toMatchObject({ fetched: 2, sent: 0, written: false });
    expect(warnings.join('\n')).toMatch(/changelog\.json: not JSON .*fetching the changelog again/);
    // Lost while the server is away: the file's entries look hand-written until the server is back.
    rmSync(hostChangelogPaths(root).state);
    expect(await turn(true)).toMatchObject({ waiting: 2, written: false });
    requests = [];
    expect(await turn(false)).toMatchObject({ fetched: 2, sent: 0, waiting: 0, written: false });
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect((await f.store.read.listChangelog()).map((e) => e.source)).toEqual(['cli', 'api']);
    expect(file().match(/Upgraded nginx/g)?.length).toBe(1);
  });
});
