import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WatchStore } from './watch-store.js';

describe('the watch directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'roster-watch-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('secret.key: a truncated key is replaced whole by a new file 0600 (temp and rename), then kept', () => {
    const ws = new WatchStore(root);
    ws.ensure();
    writeFileSync(ws.path('secret.key'), 'short', { mode: 0o644 });
    const key = ws.secretKey();
    expect(key.length).toBe(32);
    expect(statSync(ws.path('secret.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(ws.path('secret.key')).equals(key)).toBe(true);
    expect(readdirSync(ws.dir).filter((n) => n.includes('secret.key') && n !== 'secret.key')).toEqual([]);
    expect(ws.secretKey().equals(key)).toBe(true);
  });

  it('/var/lib/roster is created 0700, as apply and the changelog create it, and so is the timer unit\'s StateDirectory', () => {
    new WatchStore(root).ensure();
    expect(statSync(join(root, 'var/lib/roster')).mode & 0o777).toBe(0o700);
    expect(readFileSync(new URL('../../../contrib/systemd/roster-watch.service', import.meta.url), 'utf8')).toMatch(/^StateDirectoryMode=0700$/m);
  });
});
