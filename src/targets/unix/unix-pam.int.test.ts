import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { converge, makeRoot, removeRoot, run } from '../../../test/unix-root.js';
import { hashPassword } from '../../system/libcrypt.js';
import { fixtureAccount, fixtureHost, frozen } from './desired-fixture.js';

/**
 * Real PAM (DESIGN.md §8): in a private mount namespace the root's passwd,
 * shadow and group are bind-mounted over /etc's, and a pam.d holding one
 * pam_unix service over /etc/pam.d; pamtester then authenticates and checks
 * the account. The whole scenario is one child process, so the mounts die
 * with it and never reach the host. Binds pin an inode and apply replaces the
 * files by rename, so each state of the files gets its own namespace.
 */
const SCENARIO = `set -eu
root=$1 pamd=$2
shift 2
for f in passwd shadow group; do mount --bind "$root/etc/$f" "/etc/$f"; done
mount --bind "$pamd" /etc/pam.d
while [ $# -ge 2 ]; do
  user=$1 password=$2
  shift 2
  if printf '%s\\n' "$password" | pamtester roster-unix-test "$user" authenticate acct_mgmt >/dev/null 2>&1; then
    echo "$user accepted"
  else
    echo "$user refused"
  fi
done`;

let pamd: string;
let root: string;
beforeAll(async () => {
  pamd = await mkdtemp(join(tmpdir(), 'roster-pamd-'));
  await mkdir(pamd, { recursive: true });
  await writeFile(join(pamd, 'roster-unix-test'), 'auth required pam_unix.so\naccount required pam_unix.so\n');
  root = await makeRoot();
});
afterAll(async () => {
  await rm(pamd, { recursive: true, force: true });
  await removeRoot(root);
});

async function pam(tries: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
  const r = await run('unshare', ['-m', '--propagation', 'private', 'bash', '-c', SCENARIO, 'pam-scenario', root, pamd, ...tries.flat()], { timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('pam_unix judges what the unix target writes', () => {
  const today = Math.floor(Date.now() / 86_400_000);
  const password = 'Tr0ub4dor&3 battery';
  const hash = hashPassword(password, 'yescrypt');
  const alice = fixtureAccount('alice', 10001, { passwordField: hash, lastChangeDay: today - 10 });
  const expired = fixtureAccount('erin', 10002, { passwordField: hash, lastChangeDay: today - 10, expiryDay: today - 1 });
  const retiring = fixtureAccount('rita', 10003, { passwordField: hash, lastChangeDay: today - 10, expiryDay: today + 30 });

  it('lets an active account in, keeps a frozen or expired one out, and lets it in again after unfreeze', async () => {
    const active = fixtureHost([alice, expired, retiring]);
    await converge(root, active);
    expect(await pam([['alice', password], ['alice', 'wrong password'], ['erin', password], ['rita', password]])).toEqual([
      'alice accepted',
      'alice refused',
      'erin refused',
      'rita accepted',
    ]);

    const { plan } = await converge(root, fixtureHost([frozen(alice), expired, retiring]));
    expect(plan.map((c) => c.summary)).toEqual(['lock user alice']);
    expect(await pam([['alice', password]])).toEqual(['alice refused']);

    await converge(root, active);
    expect(await pam([['alice', password], ['rita', password]])).toEqual(['alice accepted', 'rita accepted']);
  });
});
