import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aptInvocation } from './apt-hook.js';

/** A /proc of three processes: this one's parent is `sh -c …`, whose parent is `parent` with `cmdline`. */
function fakeProc(dir: string, parent: { readonly comm: string; readonly cmdline: readonly string[] }): void {
  const shell = process.ppid;
  const apt = 4242;
  const entry = (pid: number, stat: string, cmdline: readonly string[]): void => {
    mkdirSync(join(dir, String(pid)), { recursive: true });
    writeFileSync(join(dir, String(pid), 'stat'), stat);
    writeFileSync(join(dir, String(pid), 'cmdline'), `${cmdline.join('\0')}\0`);
  };
  entry(shell, `${shell} (sh) S ${apt} ${shell} 0 0`, ['sh', '-c', 'roster watch apt-pre || true']);
  entry(apt, `${apt} (${parent.comm}) S 1 ${apt} 0 0`, parent.cmdline);
  mkdirSync(join(dir, String(process.pid)), { recursive: true });
  writeFileSync(join(dir, String(process.pid), 'loginuid'), '4294967295');
}

describe('aptInvocation: who ran apt, and how', () => {
  let proc: string;
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'roster-proc-'));
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('finds the apt process past the shell that runs the hook, its command line, and SUDO_USER', () => {
    fakeProc(proc, { comm: 'apt-get', cmdline: ['apt-get', 'install', '-y', 'nginx'] });
    expect(aptInvocation({ SUDO_USER: 'alice' }, proc)).toEqual({ pid: 4242, command: 'apt-get install -y nginx', user: 'alice' });
  });

  it('a name with spaces and parentheses (unattended-upgrades runs as python3)', () => {
    fakeProc(proc, { comm: 'unattended-upgr (x)', cmdline: ['/usr/bin/python3', '/usr/bin/unattended-upgrade'] });
    expect(aptInvocation({ SUDO_USER: 'root' }, proc)).toMatchObject({ pid: 4242, command: '/usr/bin/python3 /usr/bin/unattended-upgrade' });
  });

  it('without sudo nor a login session: the user running it; without /proc: the command line unknown', () => {
    fakeProc(proc, { comm: 'aptitude', cmdline: ['aptitude', 'safe-upgrade'] });
    expect(aptInvocation({}, proc).user).not.toBe('');
    const none = aptInvocation({ SUDO_USER: 'bob' }, join(proc, 'missing'));
    expect(none).toEqual({ pid: null, command: 'apt (command line unknown)', user: 'bob' });
  });
});
