import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchSettingsSchema } from '../../config/watch-settings.js';
import { fixedClock } from '../../domain/clock.js';
import { markDelivered } from './host-watch.js';
import { sha256 } from './object-store.js';
import { watchDiff } from './watch-diff.js';
import { watchTurn } from './watch-turn.js';
import { WatchStore } from './watch-store.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const DAY = 24 * 60;

describe('pruning the watch directory', () => {
  let root: string;
  const settings = watchSettingsSchema.parse({ stableDays: 1, keepDays: 1 });
  const turn = (minutes: number) => watchTurn(new WatchStore(root), { root, host: 'shell', settings, clock: fixedClock(new Date(T0 + minutes * 60_000)), changelog: () => Promise.resolve([]), wallNow: () => Date.now() + 10_000 });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'roster-watch-prune-'));
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/hosts'), 'first version\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('drops reports older than keepDays, then the snapshots and contents only they used; never the latest; one never sent (a timer-only host) once made more than keepDays ago', async () => {
    const ws = new WatchStore(root);
    await turn(0);
    writeFileSync(join(root, 'etc/hosts'), 'second version\n');
    await turn(5);
    const r1 = (await turn(65)).report;
    writeFileSync(join(root, 'etc/hosts'), 'third version\n');
    await turn(70);
    const r2 = (await turn(130)).report;
    if (r1 === null || r2 === null) throw new Error('no reports');
    expect(ws.objects.has(sha256(Buffer.from('first version\n')))).toBe(true);

    // Not sent (no agent takes them on a timer-only host): r1, made more than keepDays ago, goes; r2, the latest, stays.
    expect(await turn(130 + DAY)).toMatchObject({ outcome: 'stable', pruned: { reports: 1 } });
    expect(new WatchStore(root).readState().reports.map((r) => r.id)).toEqual([r2.id]);
    await markDelivered(root, [r1.id, r2.id]);
    // r2 sent; its state became stable more than keepDays before the next report: it goes, the new one stays.
    writeFileSync(join(root, 'etc/hosts'), 'fourth version\n');
    await turn(131 + 2 * DAY);
    const r3 = await turn(191 + 2 * DAY);
    expect(r3.outcome).toBe('report');
    expect(r3.pruned).toMatchObject({ reports: 1 });
    expect(ws.readState().reports.map((r) => r.id)).toEqual([r3.report?.id]);
    expect(readdirSync(ws.path('reports'))).toEqual([`${r3.report?.id ?? ''}.json`]);
    // Contents only the dropped reports' snapshots held are gone; the kept report's two sides stay, and its diff works.
    expect(ws.objects.has(sha256(Buffer.from('first version\n')))).toBe(false);
    expect(ws.objects.has(sha256(Buffer.from('second version\n')))).toBe(false);
    expect(ws.objects.has(sha256(Buffer.from('third version\n')))).toBe(true);
    expect((await watchDiff(root, r3.report?.id ?? '', '/etc/hosts'))[0]?.text).toMatch(/^-third version\n\+fourth version$/m);
    await expect(watchDiff(root, r1.id)).rejects.toThrow(`no report ${r1.id} is kept on this host`);
    expect(existsSync(ws.path('snapshots', `${r1.baseline}.json`))).toBe(false);
    expect(existsSync(ws.path('snapshots', `${r2.baseline}.json`))).toBe(false);
    expect(ws.listSnapshotFiles().sort()).toEqual([r2.head, r3.report?.head ?? ''].sort());
  });
});
