import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchTurn } from '../src/agent/watch/watch-turn.js';
import type { WatchReport } from '../src/agent/watch/watch-report.js';
import { WatchStore } from '../src/agent/watch/watch-store.js';
import { watchSettingsSchema } from '../src/config/watch-settings.js';
import { fixedClock } from '../src/domain/clock.js';
import { SERVER_TEST_CONFIG, serverFixture, type ServerFixture } from './server-fixture.js';

const SHADOW_LINE = 'alice:$y$j9T$WATCHSALT$WATCHHASHNEVERSTORED:20000:0:99999:7:::';

/** A real report: two watch turns an hour apart on a temp root where /etc/hosts and /etc/shadow changed. */
async function makeReport(root: string): Promise<WatchReport> {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
  const ctx = (iso: string) => ({ root, host: 'shell', settings: watchSettingsSchema.parse({}), clock: fixedClock(new Date(iso)), changelog: () => Promise.resolve([]), wallNow: () => Date.now() + 10_000 });
  const ws = new WatchStore(root);
  await watchTurn(ws, ctx('2026-03-01T09:00:00Z'));
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n10.1.1.1 db\n');
  writeFileSync(join(root, 'etc/shadow'), `root:*:20000:0:99999:7:::\n${SHADOW_LINE}\n`);
  await watchTurn(ws, ctx('2026-03-01T09:05:00Z'));
  const r = (await watchTurn(ws, ctx('2026-03-01T10:05:00Z'))).report;
  if (r === null) throw new Error('no report');
  return r;
}

describe('/api/v1/hosts/{host}/watch-reports', () => {
  let f: ServerFixture;
  let root: string;
  let report: WatchReport;

  beforeEach(async () => {
    const yaml = `${SERVER_TEST_CONFIG.replace('  shell: {}', '  shell: { watch: { dirs: [/etc, /srv/www], quietMinutes: 30 } }')}notify: { adminAddress: admin@example.org }\n`;
    f = await serverFixture({ yaml });
    root = mkdtempSync(join(tmpdir(), 'roster-watch-api-'));
    report = await makeReport(root);
  });
  afterEach(async () => {
    await f.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it("takes the host's report from its agent once, mails it to the admin address, and lists it to readers", async () => {
    const res = await f.request('POST', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.agent, body: report });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ host: 'shell', reportId: report.id, files: 2, unexplained: 2, packages: 0, created: true, report: { id: report.id, counts: { files: 2, unexplained: 2 } } });
    // Sent again (the answer was lost): the one kept, nothing new.
    const again = await f.request('POST', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.agent, body: report });
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ id: body.id, created: false });

    const mail = await f.store.read.listMessages();
    expect(mail.filter((m) => m.kind === 'watch-report')).toEqual([expect.objectContaining({ recipient: 'admin@example.org', data: expect.objectContaining({ host: 'shell', reportId: report.id, unexplained: 2 }) })]);
    const audit = (await f.store.read.listAudit({ target: 'host:shell' })).filter((a) => a.action === 'watch.report');
    expect(audit).toHaveLength(1);

    for (const path of ['/api/v1/hosts/shell/watch-reports', '/api/v1/watch-reports', '/api/v1/watch-reports?host=shell']) {
      const list = await f.request('GET', path, { token: f.tokens.auditor });
      expect(list.status).toBe(200);
      expect(((await list.json()) as { items: Array<{ reportId: string }> }).items.map((i) => i.reportId)).toEqual([report.id]);
    }
    expect(((await (await f.request('GET', '/api/v1/watch-reports?host=web')).json()) as { items: unknown[] }).items).toEqual([]);

    // The shadow line is on the host's disk only: not in what was sent, stored, queued or answered.
    expect(readFileSync(join(root, 'etc/shadow'), 'utf8')).toContain('WATCHHASHNEVERSTORED');
    const everything = JSON.stringify([report, body, await f.store.read.listWatchReports(), await f.store.read.listMessages(), await f.store.read.listAudit({})]);
    expect(everything).toContain('/etc/shadow');
    expect(everything).not.toContain('WATCHHASH');
    expect(everything).not.toContain('alice:');
  });

  it('refuses another host\'s agent, readers posting, and a body with content or unknown fields; changes nothing', async () => {
    expect((await f.request('POST', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.agentWeb, body: report })).status).toBe(403);
    expect((await f.request('POST', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.auditor, body: report })).status).toBe(403);
    expect((await f.request('GET', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.agent })).status).toBe(403);
    const withContent = { ...report, files: report.files.map((x) => ({ ...x, diff: '+10.1.1.1 db' })) };
    const refused = await f.request('POST', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.agent, body: withContent });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain('body.files.0');
    const wrongHost = await f.request('POST', '/api/v1/hosts/shell/watch-reports', { token: f.tokens.agent, body: { ...report, host: 'web' } });
    expect(wrongHost.status).toBe(422);
    expect(await wrongHost.json()).toMatchObject({ detail: 'the report was made for host web, not shell' });
    expect(await f.store.read.listWatchReports()).toEqual([]);
    expect((await f.store.read.listMessages()).filter((m) => m.kind === 'watch-report')).toEqual([]);
  });

  it("gives a host's agent its watch settings, and null for a host that does not watch", async () => {
    const shell = await f.request('GET', '/api/v1/hosts/shell/watch-settings', { token: f.tokens.agent });
    expect(shell.status).toBe(200);
    expect(await shell.json()).toEqual({ host: 'shell', settings: expect.objectContaining({ dirs: ['/etc', '/srv/www'], quietMinutes: 30, stableDays: 3, keepDays: 90 }) });
    expect(await (await f.request('GET', '/api/v1/hosts/web/watch-settings', { token: f.tokens.agentWeb })).json()).toEqual({ host: 'web', settings: null });
    expect((await f.request('GET', '/api/v1/hosts/shell/watch-settings', { token: f.tokens.agentWeb })).status).toBe(403);
  });
});
