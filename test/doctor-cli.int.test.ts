import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';

const LIST = '/etc/security/roster-frozen.users';
const LINE = `account required pam_listfile.so item=user sense=deny file=${LIST} onerr=succeed`;
const COMMON_ACCOUNT = 'account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\naccount requisite pam_deny.so\naccount required pam_permit.so\n';

interface Finding {
  readonly check: string;
  readonly host?: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly message: string;
  readonly fix?: string;
}

/** `roster doctor` as a user runs it: the built command, `roster init`'s roster.yaml, a host laid out under --root. */
describe('roster doctor (the built command)', () => {
  let s: RosterSandbox;
  let root: string;

  async function put(path: string, text: string, mode = 0o644): Promise<void> {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    await chmod(file, mode);
  }

  beforeAll(async () => {
    s = await rosterSandbox();
    root = join(s.dir, 'root');
    // What host shell of the example roster.yaml needs: the PAM line, the lists, a clock zone.
    await put('/etc/pam.d/sshd', `${LINE}\n@include common-account\n`);
    await put('/etc/pam.d/common-account', COMMON_ACCOUNT);
    await put(LIST, '');
    await put('/etc/cron.deny', '');
    await mkdir(join(root, 'usr/share/zoneinfo/Etc'), { recursive: true });
    await symlink('/usr/share/zoneinfo/Etc/UTC', join(root, 'etc/localtime'));
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('exits 0 when nothing fails (warnings allowed), one line per check', async () => {
    const r = await s.run(['doctor', '--host', 'shell', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(`ok   database: the database ${s.dir}/roster.db is reachable and its schema is current`);
    expect(lines).toContain(`ok   shell pam: ${root}/etc/pam.d/sshd refuses the accounts listed in ${LIST}`);
    expect(lines).toContain(`ok   shell quota: no account type living on shell sets a quota, so nothing is needed`);
    // roster init leaves timeZone commented out: a warning with the line to add.
    expect(lines).toContain(`     fix: timeZone: UTC (add to ${s.dir}/roster.yaml)`);
    expect(lines.at(-1)).toMatch(/^\d+ ok, 1 warning, 0 failed$/);
  });

  it('exits 1 when a check fails, printing the fix; --json gives the list', async () => {
    await chmod(join(s.dir, 'roster.hmac-key'), 0o644);
    try {
      const r = await s.run(['doctor', '--host', 'shell', '--root', root]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`fail hmac key: ${s.dir}/roster.hmac-key is readable or writable by others than its owner (mode 0644)\n     fix: chmod 0600 ${s.dir}/roster.hmac-key\n`);
      const j = await s.run(['doctor', '--host', 'shell', '--root', root, '--json']);
      expect(j.code).toBe(1);
      const findings = JSON.parse(j.stdout) as Finding[];
      expect(findings.find((f) => f.check === 'hmac key')).toEqual({ check: 'hmac key', status: 'fail', message: `${s.dir}/roster.hmac-key is readable or writable by others than its owner (mode 0644)`, fix: `chmod 0600 ${s.dir}/roster.hmac-key` });
      expect(findings.filter((f) => f.host === 'shell').map((f) => f.check)).toEqual(['pam', 'login list', 'cron', 'cron', 'archive space', 'name cache', 'quota']);
    } finally {
      await chmod(join(s.dir, 'roster.hmac-key'), 0o600);
    }
  });

  it('fails a host whose PAM stack lacks the line, and checks every host without --host', async () => {
    await put('/etc/pam.d/sshd', '@include common-account\n');
    const r = await s.run(['doctor', '--root', root, '--json']);
    expect(r.code).toBe(1);
    const pam = (JSON.parse(r.stdout) as Finding[]).filter((f) => f.check === 'pam');
    expect(pam).toEqual([{ check: 'pam', host: 'shell', target: 'login', status: 'fail', message: `${root}/etc/pam.d/sshd does not refuse the accounts listed in ${LIST}`, fix: `add this line to ${root}/etc/pam.d/sshd before "@include common-account": ${LINE}` }]);
  });

  it('refuses an unknown --host or --root as a usage error naming the flag (exit 2)', async () => {
    const host = await s.run(['doctor', '--host', 'nosuch']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('--host nosuch is not a host of');
    expect(host.stderr).toContain('hosts: shell, web');
    const dir = await s.run(['doctor', '--root', join(s.dir, 'missing')]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain(`--root ${join(s.dir, 'missing')} is not a directory`);
  });
});
