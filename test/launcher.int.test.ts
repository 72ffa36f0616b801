import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
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
  for (const f of ['roster.cjs', 'roster', 'roster.blob', 'roster.blob.node']) copyFileSync(join(dirname(ROSTER_MAIN), f), join(dir, 'dist', f));
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

/**
 * The `roster` wrapper (contrib/bin/roster, dist/roster) and the startup
 * snapshot it runs commands from (src/cli/snapshot-entry.ts): the same
 * output and exit codes as the bundle run by node, the native addons and the
 * vendor files loaded after deserialization, and the ordinary way (which
 * leaves the code cache the snapshot never writes) whenever the snapshot
 * cannot or must not be used.
 */
describe('the roster wrapper and its startup snapshot', () => {
  let wrapper: string;
  let stamp: string;
  let cwd: string;

  function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(file, args, { cwd, env: { PATH: process.env.PATH, HOME: cwd, TZ: 'UTC', ROSTER_CONFIG: join(cwd, 'roster.yaml'), ...env } }, (error, stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      });
    });
  }
  const both = async (args: readonly string[]): Promise<void> => {
    const fromSnapshot = await run(wrapper, args);
    const ordinary = await run(process.execPath, [bin, ...args], { ROSTER_CODE_CACHE: '0' });
    expect(fromSnapshot).toEqual(ordinary);
  };

  beforeAll(() => {
    wrapper = join(dir, 'dist/roster');
    stamp = join(dir, 'dist/roster.blob.node');
    cwd = join(dir, 'work');
    mkdirSync(cwd);
  });

  it('runs commands from the snapshot with the output and exit codes of the bundle, and leaves no code cache', async () => {
    rmSync(cache, { force: true });
    const init = await run(wrapper, ['init', '--dir', cwd]);
    expect([init.code, init.stderr]).toEqual([0, '']);
    expect(existsSync(cache)).toBe(false);
    // The example roster.yaml has setquota quotas; the btrfs backend needs no quota-enabled filesystem.
    writeFileSync(join(cwd, 'roster.yaml'), readFileSync(join(cwd, 'roster.yaml'), 'utf8').replace(/^( +)backend: setquota$/m, '$1backend: btrfs'));
    const root = join(cwd, 'root');
    mkdirSync(join(root, 'etc/skel'), { recursive: true });
    writeFileSync(join(root, 'etc/skel/.profile'), '# skeleton\n');
    // Each state change once from the snapshot, its read-back compared.
    expect((await run(wrapper, ['person', 'add', '--id', 'P1', '--first', 'Ada', '--last', 'Byron', '--role', 'MEMBER'])).code).toBe(0);
    expect((await run(wrapper, ['account', 'create', 'P1', '--type', 'member', '--username', 'ada'])).code).toBe(0);
    // better-sqlite3 (the store), koffi (the /etc/.pwd.lock lock) and child_process, loaded after deserialization.
    const applied = await run(wrapper, ['apply', '--host', 'shell', '--root', root, '--json']);
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^ada:x:\d+:\d+:/m);
    expect((await run(wrapper, ['account', 'freeze', 'ada', '--reason', 'billing', '--apply', 'shell', '--root', root])).code).toBe(0);
    await both(['account', 'show', 'ada', '--json']);
    await both(['config', 'check']);
    await both(['--version']);
    // Called by a relative path as well (dist/roster in a checkout): node leaves argv[1] relative under a snapshot.
    const relative = await promisify(execFile)('dist/roster', ['--version'], { cwd: dir, env: { PATH: process.env.PATH } });
    expect(relative.stdout).toBe((await run(wrapper, ['--version'])).stdout);
    await both(['account', 'show', 'nobody']);
    await both(['no-such-command']);
    // csv-parse from dist/vendor, required on first use.
    writeFileSync(join(cwd, 'people.csv'), 'id,first_name,last_name,roles,classes,campus,major,email\nS2,Grace,Hopper,STUDENT,,,,grace@example.org\n');
    await both(['sync', 'people.csv', '--source', 'school', '--dry-run', '--json']);
    expect(existsSync(cache)).toBe(false);
  });

  it('runs the ordinary way when the snapshot was made by another node, is off, or node has options', async () => {
    const ordinary = async (env: NodeJS.ProcessEnv = {}): Promise<void> => {
      rmSync(cache, { force: true });
      const r = await run(wrapper, ['config', 'check'], env);
      expect([r.code, r.stderr]).toEqual([0, '']);
      // Only the bundle run by node writes the code cache.
      expect(existsSync(cache)).toBe(true);
    };
    const good = readFileSync(stamp, 'utf8');
    const [identity = '', flags = ''] = good.split('\n');
    const node = statSync(process.execPath);
    expect(identity).toBe(`${node.dev}:${node.ino}:${node.size}:${Math.floor(node.mtimeMs / 1000)}`);
    try {
      writeFileSync(stamp, `${identity.replace(/:\d+$/, ':1')}\n${flags}\n`);
      await ordinary();
      rmSync(stamp);
      await ordinary();
    } finally {
      writeFileSync(stamp, good);
    }
    await ordinary({ ROSTER_SNAPSHOT: '0' });
    // V8 options change what node expects of a snapshot (it would refuse this one).
    await ordinary({ NODE_OPTIONS: '--max-old-space-size=256' });
  });

  it('asks glibc for huge pages for one-shot commands, not for serve or agent, and keeps a malloc.hugetlb the caller set', async () => {
    // A copy of the wrapper whose node prints the tunables it is given.
    const printer = join(cwd, 'print-tunables');
    writeFileSync(printer, '#!/bin/sh\nprintf "%s\\n" "${GLIBC_TUNABLES-unset}"\n', { mode: 0o755 });
    const copy = join(dir, 'dist/roster-tunables');
    writeFileSync(copy, readFileSync(wrapper, 'utf8').replace(/^node=.*$/m, () => `node='${printer}'`), { mode: 0o755 });
    const tunables = async (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> => (await run(copy, args, env)).stdout;
    expect(await tunables(['account', 'freeze', 'ada'])).toBe('glibc.malloc.hugetlb=1\n');
    expect(await tunables(['--version'], { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1\n');
    expect(await tunables(['--version'], { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toBe('glibc.malloc.hugetlb=0\n');
    expect(await tunables(['serve'])).toBe('unset\n');
    expect(await tunables(['--config', 'x.yaml', 'agent'])).toBe('unset\n');
  });

  it('hands NODE_EXTRA_CA_CERTS to a command from the snapshot as ROSTER_EXTRA_CA_CERTS, and leaves it to node otherwise', async () => {
    // A copy of the wrapper, in a directory of its own, whose node prints the two variables and which
    // takes the snapshot path: a blob stamped with that node's identity.
    const own = join(dir, 'ca-dist');
    mkdirSync(own);
    const printer = join(own, 'print-ca');
    writeFileSync(printer, '#!/bin/sh\nprintf "%s %s\\n" "${NODE_EXTRA_CA_CERTS-unset}" "${ROSTER_EXTRA_CA_CERTS-unset}"\n', { mode: 0o755 });
    const copy = join(own, 'roster');
    writeFileSync(copy, readFileSync(wrapper, 'utf8').replace(/^node=.*$/m, () => `node='${printer}'`), { mode: 0o755 });
    const p = statSync(printer);
    writeFileSync(join(own, 'roster.blob'), '');
    writeFileSync(join(own, 'roster.blob.node'), `${p.dev}:${p.ino}:${p.size}:${Math.floor(p.mtimeMs / 1000)}\n--min-semi-space-size=16\n`);
    const vars = async (args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> => (await run(copy, args, env)).stdout;
    const file = '/etc/ssl/certs/site-ca.pem';
    expect(await vars(['account', 'freeze', 'ada'], { NODE_EXTRA_CA_CERTS: file })).toBe(`unset ${file}\n`);
    expect(await vars(['--version'], {})).toBe('unset unset\n');
    expect(await vars(['serve'], { NODE_EXTRA_CA_CERTS: file })).toBe(`${file} unset\n`);
    expect(await vars(['agent'], { NODE_EXTRA_CA_CERTS: file })).toBe(`${file} unset\n`);
    expect(await vars(['--version'], { NODE_EXTRA_CA_CERTS: file, ROSTER_SNAPSHOT: '0' })).toBe(`${file} unset\n`);
  });
});

