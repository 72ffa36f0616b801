import { mkdtempSync, rmSync, utimesSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseLock, takeLock } from './watch-lock.js';

describe('the watch lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-watch-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an empty lock file older than a few seconds (a writer that died before its PID) is broken', async () => {
    const path = join(dir, 'lock');
    writeFileSync(path, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    expect(await takeLock(path, process.pid, 200)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    releaseLock(path, process.pid);
    expect(existsSync(path)).toBe(false);
  });

  it('a fresh empty lock file (a writer between create and write) is waited for, not broken', async () => {
    const path = join(dir, 'lock');
    writeFileSync(path, '');
    expect(await takeLock(path, process.pid, 100)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});
