import { chmod, chown, lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './write-file-atomic.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates parents and the file with the given mode, leaving no temp file', async () => {
    const path = join(dir, 'etc/security/list');
    await writeFileAtomic(path, 'a\n', { mode: 0o640 });
    expect(await readFile(path, 'utf8')).toBe('a\n');
    expect((await lstat(path)).mode & 0o7777).toBe(0o640);
    expect(await readdir(join(dir, 'etc/security'))).toEqual(['list']);
  });

  it('keeps the mode and owner of the file it replaces', async () => {
    const path = join(dir, 'cron.deny');
    await writeFile(path, 'old\n');
    await chmod(path, 0o600);
    await chown(path, 61901, 61902);
    await writeFileAtomic(path, 'new\n', { mode: 0o644 });
    const st = await lstat(path);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o600, 61901, 61902]);
    expect(await readFile(path, 'utf8')).toBe('new\n');
  });

  it('gives the file the ownership it is told, whatever was there, and writes bytes as they are', async () => {
    const path = join(dir, 'site.conf');
    await writeFile(path, 'edited\n');
    await chmod(path, 0o644);
    const before = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    await writeFileAtomic(path, before, { mode: 0o600, ownership: { mode: 0o640, uid: 61903, gid: 61904 } });
    const st = await lstat(path);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, 61903, 61904]);
    expect(await readFile(path)).toEqual(before);
  });

  it('replaces a symlink instead of writing through it', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'keep\n');
    const path = join(dir, 'list');
    await symlink(victim, path);
    await writeFileAtomic(path, 'mine\n');
    expect(await readFile(victim, 'utf8')).toBe('keep\n');
    expect((await lstat(path)).isFile()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('mine\n');
  });
});
