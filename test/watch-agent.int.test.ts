import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../src/agent/watch/watch-turn.js';
import { rosterSandbox, type RosterSandbox, type RunResult } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * `roster watch` with `roster agent` and a real `roster serve`: the agent
 * gets the host's watch settings from the server and keeps them, takes a
 * watch turn around its apply (so the accounts it writes are Roster's), a
 * `roster watch` timer on the host makes the report with those settings,
 * and the agent sends it — kept on disk while the server is down, sent
 * once it is back, listed by the API to readers with the unexplained edit.
 */

const UID_BASE = 2_100_500_000;
const HOSTS = `hosts:
  shell:
    description: login host
    targets:
      unix: {}
    watch: { dirs: [/etc, /srv/www], quietMinutes: 30 }
  web:
    description: web host
    targets:
      unix: {}

`;

interface StoredReport {
  readonly reportId: string;
  readonly unexplained: number;
  readonly report: { readonly files: ReadonlyArray<{ readonly path: string; readonly unexplained: boolean; readonly explainedBy: ReadonlyArray<{ readonly kind: string; readonly by: string }> }> };
}

describe('roster watch with roster agent and roster serve', () => {
  let sb: RosterSandbox;
  let server: ServeProcess | undefined;
  let root = '';
  let tokenFile = '';
  let admin = '';
  let reportId = '';

  const cli = async (args: string[]): Promise<string> => {
    const r = await sb.run(args);
    if (r.code !== 0) throw new Error(`roster ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const agent = (url: string): Promise<RunResult> => sb.run(['agent', '--once', '--json', '--server', url, '--token-file', tokenFile, '--host', 'shell', '--root', root, '--no-usage']);
  const api = async (path: string): Promise<{ items: StoredReport[] }> => {
    const res = await fetch(`${server?.url ?? ''}${path}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { items: StoredReport[] };
  };

  beforeAll(async () => {
    sb = await rosterSandbox();
    const path = join(sb.dir, 'roster.yaml');
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace('uids: { min: 10000, max: 59999 }', `uids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
        .replace('gids: { min: 10000, max: 59999 }', `gids: { min: ${UID_BASE}, max: ${UID_BASE + 999_999} }`)
        .replace(/^hosts:\n[\s\S]*?(?=^# Roster sources)/m, HOSTS),
    );
    expect((await sb.run(['config', 'check'])).code).toBe(0);
    root = join(sb.dir, 'root');
    mkdirSync(join(root, 'etc/skel'), { recursive: true });
    mkdirSync(join(root, 'srv/www'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(root, 'srv/www/index.html'), '<h1>hello</h1>\n');
    tokenFile = join(sb.dir, 'shell.token');
    writeFileSync(tokenFile, await cli(['token', 'create', '--role', 'agent', '--host', 'shell']), { mode: 0o600 });
    admin = (await cli(['token', 'create', '--role', 'admin'])).trim();
    await cli(['person', 'add', '--id', 'M1', '--first', 'Alice', '--last', 'Liddell', '--role', 'MEMBER']);
    await cli(['account', 'create', 'M1', '--type', 'member', '--username', 'alice']);
    server = await startServe(sb, { args: ['--no-jobs'] });
  }, 60_000);
  afterAll(async () => {
    await stopChild(server?.child);
    await sb.cleanup();
  });

  it("keeps the host's settings from the server and takes a turn around its apply", async () => {
    const r = await agent(server?.url ?? '');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { applied: { applied: number }; watch: { outcome: string; report: string | null } | null };
    expect(result.applied.applied).toBeGreaterThan(0);
    expect(result.watch).toMatchObject({ outcome: 'unchanged', report: null, sent: 0, waiting: 0 });
    const kept = JSON.parse(readFileSync(join(root, 'var/lib/roster/watch/settings.json'), 'utf8')) as { host: string; settings: { dirs: string[]; quietMinutes: number } };
    expect(kept).toMatchObject({ host: 'shell', settings: { dirs: ['/etc', '/srv/www'], quietMinutes: 30 } });
    expect(statSync(join(root, 'var/lib/roster/watch')).mode & 0o777).toBe(0o700);
    // The first turn before the apply is the starting point; the one after it holds the apply's changes.
    const state = JSON.parse(readFileSync(join(root, 'var/lib/roster/watch/state.json'), 'utf8')) as { snapshots: Array<{ state: string; cause: { kind: string; actor: string } | null }> };
    expect(state.snapshots.map((s) => s.state)).toEqual(['stable', 'unstable']);
    expect(state.snapshots[1]?.cause).toMatchObject({ kind: 'apply', actor: expect.stringMatching(/^roster agent \(revision \w+\)$/) });
  });

  it('a watch timer on the host uses the kept settings; its report waits while the server is down and is sent when it is back', async () => {
    writeFileSync(join(root, 'srv/www/index.html'), '<h1>hello, edited by hand</h1>\n');
    const now = Date.now();
    const changed = JSON.parse(await cli(['watch', '--root', root, '--now', new Date(now + 60_000).toISOString(), '--json'])) as TurnResult & { settings: string };
    expect(changed).toMatchObject({ outcome: 'changed', settings: expect.stringContaining('the settings the agent kept') });
    const reported = JSON.parse(await cli(['watch', '--root', root, '--now', new Date(now + 32 * 60_000).toISOString(), '--json'])) as TurnResult;
    expect(reported.outcome).toBe('report');
    reportId = reported.report?.id ?? '';
    expect(reported.report?.host).toBe('shell');

    const url = server?.url ?? '';
    await stopChild(server?.child);
    const down = await agent(url);
    expect(down.code).toBe(69);
    expect((JSON.parse(down.stdout) as { watch: unknown }).watch).toMatchObject({ sent: 0, waiting: 1 });

    server = await startServe(sb, { args: ['--no-jobs'] });
    const up = await agent(server.url);
    expect(up.code, up.stderr).toBe(0);
    expect((JSON.parse(up.stdout) as { watch: unknown }).watch).toMatchObject({ sent: 1, waiting: 0 });
    const again = await agent(server.url);
    expect((JSON.parse(again.stdout) as { watch: unknown }).watch).toMatchObject({ sent: 0, waiting: 0 });
  });

  it('the server lists the report: the hand edit unexplained, the accounts the agent wrote explained by its apply', async () => {
    const { items } = await api('/api/v1/hosts/shell/watch-reports');
    expect(items.map((i) => i.reportId)).toEqual([reportId]);
    const files = Object.fromEntries((items[0]?.report.files ?? []).map((f) => [f.path, f]));
    expect(files['/srv/www/index.html']).toMatchObject({ unexplained: true });
    expect(files['/etc/passwd']).toMatchObject({ unexplained: false, explainedBy: [{ kind: 'apply', by: expect.stringMatching(/^roster agent/) }] });
    expect(items[0]?.unexplained).toBe(1);
    expect((await api('/api/v1/watch-reports?host=web')).items).toEqual([]);
  });

  it('a damaged watch state is logged and the agent goes on: its run succeeds and its own state is saved', async () => {
    const statePath = join(root, 'var/lib/roster/watch/state.json');
    const good = readFileSync(statePath);
    writeFileSync(statePath, '{"version": 1, "snap');
    try {
      const r = await agent(server?.url ?? '');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/watch/);
      expect(statSync(join(root, 'var/lib/roster/agent-shell.sqlite')).isFile()).toBe(true);
    } finally {
      writeFileSync(statePath, good);
    }
  });
});
