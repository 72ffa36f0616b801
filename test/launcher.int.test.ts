import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROSTER_MAIN } from './roster-cli.js';

/**
 * The bin's code cache (src/cli/launcher.ts), on a copy of the built bin and
 * bundle in a directory of its own, so the tests running beside this one
 * keep theirs: written after a command that succeeded, never after help or
 * a failure, checked by its SHA-256 (a damaged cache would crash V8), and
 * off with ROSTER_CODE_CACHE=0.
 */

let dir: string;
let bin: string;
let cache: string;

function roster(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, TZ: 'UTC', ROSTER_CONFIG: join(dir, 'roster.yaml'), ...env } }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

function intact(): boolean {
  const file = readFileSync(cache);
  return file.length > 32 && createHash('sha256').update(file.subarray(32)).digest().equals(file.subarray(0, 32));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-launcher-'));
  mkdirSync(join(dir, 'dist'));
  bin = join(dir, 'dist/roster.mjs');
  cache = join(dir, 'dist/roster.cjs.cache');
  copyFileSync(ROSTER_MAIN, bin);
  copyFileSync(join(dirname(ROSTER_MAIN), 'roster.cjs'), join(dir, 'dist/roster.cjs'));
  cpSync(join(dirname(ROSTER_MAIN), 'vendor'), join(dir, 'dist/vendor'), { recursive: true });
  // Native addons resolve from node_modules next to dist/, as in the checkout.
  symlinkSync(resolve(dirname(ROSTER_MAIN), '../node_modules'), join(dir, 'node_modules'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('the roster bin and its code cache', () => {
  it('writes no cache for help, version or a failed command, and one after a command that succeeded', async () => {
    expect((await roster(['--version'])).code).toBe(0);
    expect((await roster(['--help'])).code).toBe(0);
    expect((await roster(['account', 'show', 'nobody'])).code).not.toBe(0);
    expect(existsSync(cache)).toBe(false);
    const init = await roster(['init', '--dir', dir]);
    expect(init.code).toBe(0);
    expect(existsSync(cache)).toBe(true);
    expect(intact()).toBe(true);
  });

  it('ignores a damaged cache, runs as usual, and writes a good one', async () => {
    const bytes = readFileSync(cache);
    for (let i = 100; i < bytes.length; i += 997) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
    writeFileSync(cache, bytes);
    const r = await roster(['config', 'check']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(intact()).toBe(true);
    writeFileSync(cache, bytes.subarray(0, 10));
    expect((await roster(['config', 'check'])).code).toBe(0);
    expect(intact()).toBe(true);
  });

  it('runs without a cache when ROSTER_CODE_CACHE=0', async () => {
    rmSync(cache);
    const r = await roster(['config', 'check'], { ROSTER_CODE_CACHE: '0' });
    expect(r.code).toBe(0);
    expect(existsSync(cache)).toBe(false);
  });
});
