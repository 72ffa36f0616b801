import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { converge, etcBytes, makeRoot, removeRoot, run, unixConfig } from '../../../test/unix-root.js';
import { isRosterError } from '../../domain/errors.js';
import { fixtureAccount, fixtureHost } from './desired-fixture.js';
import { lockEtc } from './etc-lock.js';

const roots: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  for (const r of roots.splice(0)) await removeRoot(r);
});
async function root(): Promise<string> {
  const r = await makeRoot();
  roots.push(r);
  return r;
}

/** A process holding /etc/.pwd.lock exactly as glibc's lckpwdf does: fcntl F_SETLKW, F_WRLCK, whole file. */
async function lckpwdfHolder(r: string): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', 'import fcntl,sys,time\nf=open(sys.argv[1],"w")\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint("locked",flush=True)\ntime.sleep(60)', join(r, 'etc/.pwd.lock')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  expect(chunk.toString()).toContain('locked');
  return child;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('shadow-utils locks', () => {
  it('makes a useradd -R on the same root wait until the lock is released (the same fcntl lock as lckpwdf)', async () => {
    const r = await root();
    const lock = await lockEtc(r, 1000);
    const started = Date.now();
    const useradd = run('useradd', ['-R', r, '-u', '3001', '-U', '-M', 'waiter']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // While we hold the locks useradd has not written anything.
    expect((await etcBytes(r)).passwd.toString()).not.toContain('waiter');
    lock.release();
    const done = await useradd;
    expect(done.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect((await etcBytes(r)).passwd.toString()).toContain('waiter:x:3001:');
  });

  it('gives lock_timeout naming /etc/.pwd.lock and the PID when a lckpwdf holder stays', async () => {
    const r = await root();
    const holder = await lckpwdfHolder(r);
    const started = Date.now();
    const e = await rejection(converge(r, fixtureHost([fixtureAccount('alice', 10001)]), unixConfig({ lockTimeoutSeconds: 0.5 })));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isRosterError(e) && e.code).toBe('lock_timeout');
    expect(e.message).toBe(`${join(r, 'etc/.pwd.lock')} is locked by PID ${holder.pid} (python3); gave up after 0.5 s`);
    expect((await etcBytes(r)).passwd.toString()).not.toContain('alice');
  });

  it('takes over a <file>.lock whose PID is dead, as shadow-utils does', async () => {
    const r = await root();
    const gone = spawn('true');
    await once(gone, 'exit');
    await writeFile(join(r, 'etc/passwd.lock'), `${gone.pid}\0`);
    const { results } = await converge(r, fixtureHost([fixtureAccount('alice', 10001)]), unixConfig({ lockTimeoutSeconds: 1 }));
    expect(results.every((x) => x.ok)).toBe(true);
    // And leaves no lock behind.
    await expect(access(join(r, 'etc/passwd.lock'))).rejects.toThrow();
    await expect(access(join(r, `etc/passwd.${process.pid}`))).rejects.toThrow();
  });

  it('waits for a <file>.lock held by a live process, then gives lock_timeout naming the file and PID', async () => {
    const r = await root();
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    await writeFile(join(r, 'etc/shadow.lock'), `${sleeper.pid}\0`);
    const e = await rejection(converge(r, fixtureHost([fixtureAccount('alice', 10001)]), unixConfig({ lockTimeoutSeconds: 0.5 })));
    expect(isRosterError(e) && e.code).toBe('lock_timeout');
    expect(e.message).toBe(`${join(r, 'etc/shadow.lock')} is held by PID ${sleeper.pid} (sleep); gave up after 0.5 s`);
    // The locks it took before giving up are released again; the live one is left alone.
    await expect(access(join(r, 'etc/group.lock'))).rejects.toThrow();
    expect(await readFile(join(r, 'etc/shadow.lock'), 'latin1')).toBe(`${sleeper.pid}\0`);
  });

  it('writes its PID into <file>.lock as shadow-utils 4.13 does, so useradd judges it the same way', async () => {
    const r = await root();
    const lock = await lockEtc(r, 1000);
    try {
      expect(await readFile(join(r, 'etc/passwd.lock'), 'latin1')).toBe(`${process.pid}\0`);
    } finally {
      lock.release();
    }
  });

  it('serialises two applies in the same process', async () => {
    const r = await root();
    const first = await lockEtc(r, 1000);
    const second = lockEtc(r, 3000);
    let got = false;
    void second.then(() => {
      got = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got).toBe(false);
    first.release();
    (await second).release();
    expect(got).toBe(true);
  });

  it('loses no update when a useradd -R loop and applies run at the same time', async () => {
    const r = await root();
    const ours = Array.from({ length: 200 }, (_, i) => fixtureAccount(`r${String(i).padStart(3, '0')}`, 10000 + i));
    const loop = (async () => {
      const failures: string[] = [];
      for (let i = 0; i < 40; i++) {
        const added = await run('useradd', ['-R', r, '-u', String(3000 + i), '-U', '-M', '-s', '/bin/sh', `ua${i}`]);
        if (added.code !== 0) failures.push(added.stderr);
      }
      return failures;
    })();
    // Twenty applies growing the desired set, each planned on a possibly stale observation.
    for (let step = 1; step <= 20; step++) {
      const { results } = await converge(r, fixtureHost(ours.slice(0, step * 10)));
      expect(results.filter((x) => !x.ok)).toEqual([]);
    }
    expect(await loop).toEqual([]);
    const files = await etcBytes(r);
    for (const f of ['passwd', 'shadow', 'group', 'gshadow'] as const) {
      const names = new Set(files[f].toString().split('\n').map((l) => l.split(':')[0]));
      for (let i = 0; i < 40; i++) expect(names.has(`ua${i}`), `${f} has ua${i}`).toBe(true);
      for (const a of ours) expect(names.has(a.username), `${f} has ${a.username}`).toBe(true);
    }
  });
});
