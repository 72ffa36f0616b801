import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from '../src/store/test-stores.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/**
 * Several `roster serve` processes on one PostgreSQL (DESIGN.md §5, §6): the
 * scheduled jobs run once between them, and accounts created through any of
 * them get distinct UIDs.
 */

describe('several roster serve processes on one PostgreSQL', () => {
  let sb: RosterSandbox;
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const servers: ServeProcess[] = [];
  beforeAll(async () => {
    sb = await rosterSandbox({ tz: 'Europe/Berlin' });
    db = await createPostgresDatabase();
    env = { DATABASE_URL: db.url };
  });
  afterAll(async () => {
    for (const s of servers) await stopChild(s.child);
    await db.drop();
    await sb.cleanup();
  });

  it('run a purge due at 04:50 once, and give accounts made through any of them distinct UIDs', async () => {
    const cli = async (args: string[]): Promise<string> => {
      const r = await sb.run(args, { env });
      if (r.code !== 0) throw new Error(`roster ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    for (const [id, name] of [['L1', 'leaver'], ['L2', 'stayer']] as const) {
      await cli(['person', 'add', '--id', id, '--first', 'Lee', '--last', `Ver${id}`, '--role', 'MEMBER']);
      await cli(['account', 'create', id, '--type', 'member', '--username', name, '--now', '2026-05-01T10:00:00']);
    }
    // Purge on 2026-06-01 00:00 Berlin; the job's slot that day is 04:50.
    await cli(['account', 'retire', 'leaver', '--deactivate-after', '0', '--delete-after', '21', '--now', '2026-05-11T09:00:00']);
    const token = (await cli(['token', 'create', '--role', 'admin'])).trim();

    // Three start at 04:50:30 and catch up the same slot at the same moment.
    // The one that comes last may find every job already run and say nothing.
    const now = { ROSTER_NOW: '2026-06-01T04:50:30' };
    const started = await Promise.all([startServe(sb, { env: { ...env, ...now } }), startServe(sb, { env: { ...env, ...now } }), startServe(sb, { env: { ...env, ...now } })]);
    servers.push(...started);
    const finished = async (): Promise<string[]> => {
      const list = JSON.parse(await cli(['jobs', 'list', '--json'])) as { runs: Array<{ job: string; finishedAt: string | null }> };
      return list.runs.filter((r) => r.finishedAt !== null).map((r) => r.job).sort();
    };
    const deadline = Date.now() + 30_000;
    while ((await finished()).join() !== 'apply,billing,notify,purge') {
      if (Date.now() > deadline) throw new Error(`jobs did not run: ${started.map((s) => s.stderr()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Time for a second run, if the lease let one through.
    await new Promise((r) => setTimeout(r, 2_000));

    const purgeRuns = JSON.parse(await cli(['jobs', 'list', '--job', 'purge', '--json'])) as { runs: Array<{ result: string; slot: string; counts: Record<string, number> }> };
    expect(purgeRuns.runs).toEqual([expect.objectContaining({ result: 'ok', slot: '2026-06-01T02:50:00.000Z', counts: { candidates: 1, purged: 1, failed: 0 } })]);
    const logs = started.map((s) => s.stderr()).join('\n');
    expect(logs.match(/job purge ok/g)).toHaveLength(1);
    expect(await finished()).toEqual(['apply', 'billing', 'notify', 'purge']);
    const audit = JSON.parse(await cli(['audit', '--json'])) as Array<{ action: string; target: string }>;
    expect(audit.filter((r) => r.action === 'account.purge')).toHaveLength(1);

    // 50 accounts created at once through the three servers.
    const letters = (i: number): string => `${'abcdefghij'[Math.floor(i / 10)] ?? 'z'}${'abcdefghij'[i % 10] ?? 'z'}`;
    const create = async (s: ServeProcess, i: number): Promise<number> => {
      const id = `U${i}`;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const p = await fetch(`${s.url}/api/v1/people`, { method: 'POST', headers, body: JSON.stringify({ id, firstName: 'Una', lastName: `Quinn-${letters(i)}`, roles: ['MEMBER'] }) });
      expect(p.status).toBe(201);
      const a = await fetch(`${s.url}/api/v1/accounts`, { method: 'POST', headers, body: JSON.stringify({ personId: id, type: 'member', username: `una-${letters(i)}` }) });
      expect(a.status, await a.clone().text()).toBe(201);
      return ((await a.json()) as { uid: number }).uid;
    };
    const uids = await Promise.all(Array.from({ length: 50 }, (_, i) => create(started[i % 3] as ServeProcess, i)));
    expect(new Set(uids).size).toBe(50);
    const listed = JSON.parse(await cli(['account', 'list', '--json'])) as Array<{ uid: number }>;
    expect(new Set(listed.map((a) => a.uid)).size).toBe(listed.length);
  }, 120_000);
});
