import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

interface JobReport {
  job: string;
  due: boolean;
  slot: string | null;
  run: { id: number; result: string; slot: string; forced: boolean } | null;
}

describe('roster jobs run / jobs list (cron or systemd timer)', () => {
  let sb: RosterSandbox;
  const run = (args: string[]): Promise<JobReport[]> => sb.json<JobReport[]>(['jobs', 'run', ...args]);
  beforeAll(async () => {
    sb = await rosterSandbox({ tz: 'Europe/Berlin' });
  });
  afterAll(async () => sb.cleanup());

  it('runs what is due, records each run, and does nothing twice in one slot unless forced', async () => {
    const dry = await run(['--dry-run', '--now', '2026-06-01T05:00:00']);
    expect(dry.map((r) => [r.job, r.due])).toEqual([['purge', true], ['billing', true], ['apply', true], ['notify', true]]);
    expect((await sb.json<{ runs: unknown[] }>(['jobs', 'list'])).runs).toEqual([]);

    const first = await run(['--now', '2026-06-01T05:00:00']);
    expect(first.map((r) => [r.job, r.run?.result])).toEqual([['purge', 'ok'], ['billing', 'ok'], ['apply', 'ok'], ['notify', 'ok']]);
    // 04:50 Berlin (summer time) is 02:50 UTC; billing's latest 06:00 slot was yesterday.
    expect(first[0]?.run?.slot).toBe('2026-06-01T02:50:00.000Z');
    expect(first[1]?.run?.slot).toBe('2026-05-31T04:00:00.000Z');

    const again = await run(['purge', '--now', '2026-06-01T05:10:00']);
    expect(again[0]).toMatchObject({ job: 'purge', due: false, run: null });
    const forced = await run(['purge', '--force', '--now', '2026-06-01T05:11:00']);
    expect(forced[0]?.run).toMatchObject({ result: 'ok', forced: true });
    const human = await sb.run(['jobs', 'run', 'purge', '--now', '2026-06-01T05:12:00']);
    expect(human.stdout).toMatch(/purge: not due \(slot 2026-06-01 04:50 \(Europe\/Berlin\) already ran; next 2026-06-02 04:50/);
  });

  it('a run missed for days is caught up once', async () => {
    const late = await run(['purge', '--now', '2026-06-05T12:00:00']);
    expect(late[0]?.run?.slot).toBe('2026-06-05T02:50:00.000Z');
    expect((await run(['purge', '--now', '2026-06-05T12:01:00']))[0]?.due).toBe(false);
    const runs = (await sb.json<{ runs: Array<{ job: string }> }>(['jobs', 'list', '--job', 'purge'])).runs;
    expect(runs).toHaveLength(3);
  });

  it('a run interrupted midway (its process died) is marked so, and the job runs again safely', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const db = new Database(join(sb.dir, 'roster.db'));
    db.prepare("insert into job_runs (job, slot, started_at, result, owner, started_by, forced, counts) values ('purge', '2026-06-06T02:50:00.000Z', '2026-06-06T02:50:01.000Z', 'running', ?, 'test', 0, '{}')").run(`${hostname()}:${dead}`);
    db.close();
    const again = await run(['purge', '--now', '2026-06-06T05:00:00']);
    expect(again[0]?.run?.result).toBe('ok');
    const list = await sb.json<{ jobs: Array<{ job: string; nextRun: string }>; runs: Array<{ job: string; result: string; message: string | null }> }>(['jobs', 'list', '--job', 'purge', '--now', '2026-06-06T05:00:00']);
    expect(list.runs.slice(0, 2).map((r) => r.result)).toEqual(['ok', 'interrupted']);
    expect(list.runs[1]?.message).toMatch(/stopped before the run finished/);
    expect(list.jobs.map((j) => j.job)).toEqual(['purge', 'billing', 'apply', 'notify']);
    expect(list.jobs[0]?.nextRun).toBe('2026-06-07T02:50:00.000Z');
  });

  it('a job that is still running elsewhere is not started twice', async () => {
    const db = new Database(join(sb.dir, 'roster.db'));
    db.prepare("insert into job_runs (job, slot, started_at, result, owner, started_by, forced, counts) values ('billing', '2026-06-07T04:00:00.000Z', '2026-06-07T04:00:01.000Z', 'running', ?, 'test', 0, '{}')").run(`${hostname()}:${process.pid}`);
    db.close();
    const r = await sb.run(['jobs', 'run', 'billing', '--now', '2026-06-07T07:00:00']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/billing is already running/);
  });

  it('refuses an unknown job', async () => {
    const r = await sb.run(['jobs', 'run', 'backup']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no job "backup" \(jobs: purge, billing, apply, notify\)/);
  });

  it('ships a systemd service and timer that run `roster jobs run`', async () => {
    const dir = resolve(import.meta.dirname, '../contrib/systemd');
    const service = await readFile(join(dir, 'roster-jobs.service'), 'utf8');
    const timer = await readFile(join(dir, 'roster-jobs.timer'), 'utf8');
    expect(service).toMatch(/^ExecStart=\S*roster jobs run$/m);
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(timer).toMatch(/^OnCalendar=/m);
    expect(timer).toMatch(/^Persistent=true$/m);
  });
});
