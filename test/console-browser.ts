import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createAccount } from '../src/app/accounts.js';
import type { AppContext } from '../src/app/app-context.js';
import { addPerson } from '../src/app/people.js';
import { newRecoveryCodes, newTotpSecret, recoveryHash, sealSecret, totpCode } from '../src/console/second-factor.js';
import type { RosterConfig } from '../src/config/config-schema.js';
import { parseConfig } from '../src/config/load-config.js';
import { createServer, type RosterServer } from '../src/server/create-server.js';
import type { ServerDeps } from '../src/server/server-deps.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { hashPassword } from '../src/system/libcrypt.js';
import type { AnyTarget } from '../src/targets/registry.js';
import { listenOnLoopback } from './portal-browser.js';
import { TestClock } from './server-fixture.js';

/**
 * The admin console's test harness (issue 16): `roster serve`'s app
 * in-process on a free port over a fresh SQLite store, with a root prefix
 * holding a base system's /etc files for the host the server applies
 * (`shell`, appliedBy: server), and console users whose second factor is
 * enrolled in the store. The browser side is test/portal-browser.ts's
 * (launchBrowser, newPage, expectNoAxeViolations, screenshot).
 */

/** roster.yaml for console tests: host shell applied by the server (unix, login), host web by its agent; two admins, an operator, an auditor. */
export const CONSOLE_TEST_CONFIG = `
timeZone: UTC
database: roster.db
uids: { min: 2100000000, max: 2100999999 }
gids: { min: 2100000000, max: 2100999999 }
# Names like root1 are the test's admins, not institutional ids.
usernames: { reserved: ['^s[0-9]{6}$'] }
hosts:
  shell:
    appliedBy: server
    targets:
      login: { path: /etc/security/roster-frozen.users }
      unix: {}
  web: {}
groups:
  - name: members
sources:
  school:
    columns: { id: id, firstName: first, lastName: last, email: email, roles: roles }
    types: { MEMBER: [member] }
server: { rateLimit: { perSecond: 1000, burst: 1000 } }
notify: { adminAddress: admins@example.org }
portal:
  siteName: Example Co-op
  publicUrl: https://accounts.example.org
console:
  admins: [root1, root2]
  operators: [oper]
  auditors: [audi]
types:
  member:
    eligibility: { roles: { some: [MEMBER] } }
    groups: [members]
    hosts: { live: [shell, web], login: [shell] }
    dues: 10
    grace: { deactivation: 0, deletion: 90 }
  staff:
    hosts: { live: [shell], login: [shell] }
    grace: { deactivation: 0, deletion: 30 }
`;

export interface ServedConsole {
  /** http://127.0.0.1:PORT; pages are under `${url}/console`. */
  readonly url: string;
  readonly server: RosterServer;
  readonly deps: ServerDeps;
  readonly store: Store;
  readonly config: RosterConfig;
  /** The server's clock (starts 2026-03-01T12:00:00Z unless `at`). */
  readonly clock: TestClock;
  /** The use cases' context, acting as `test`. */
  readonly ctx: AppContext;
  /** The temp directory holding roster.yaml and the store. */
  readonly dir: string;
  /** The root prefix host shell lives under (etc/passwd, shadow, group, gshadow of a base system). */
  readonly root: string;
  close(): Promise<void>;
}

/** Writes a base system's account files under `root` (Roster keeps their lines byte for byte). */
export async function baseSystem(root: string): Promise<void> {
  await mkdir(join(root, 'etc/security'), { recursive: true });
  await mkdir(join(root, 'etc/skel'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n');
  await writeFile(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\nwww-data:*:20000:0:99999:7:::\n', { mode: 0o640 });
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nwww-data:x:33:\n');
  await writeFile(join(root, 'etc/gshadow'), 'root:*::\nwww-data:*::\n', { mode: 0o640 });
}

/** The console on 127.0.0.1 (a port from the kernel) over a fresh SQLite store, with real libcrypt and a root prefix for host shell. */
export async function serveConsole(options: { readonly yaml?: string; readonly at?: string; readonly targets?: readonly AnyTarget[] } = {}): Promise<ServedConsole> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-console-'));
  const root = join(dir, 'root');
  await baseSystem(root);
  const { config } = parseConfig(options.yaml ?? CONSOLE_TEST_CONFIG, join(dir, 'roster.yaml'), options.targets === undefined ? undefined : { targets: options.targets });
  const store = await openStore(join(dir, 'roster.db'));
  const clock = new TestClock(options.at ?? '2026-03-01T12:00:00Z');
  const deps: ServerDeps = {
    store,
    config,
    clock,
    hmacKey: Buffer.alloc(32, 7),
    hasher: { hash: hashPassword },
    log: { info: () => undefined, warn: () => undefined },
    applyRoot: root,
    ...(options.targets === undefined ? {} : { targets: options.targets }),
  };
  const server = createServer(deps);
  const http = await listenOnLoopback(server);
  return {
    url: http.url,
    server,
    deps,
    store,
    config,
    clock,
    ctx: { ...deps, actor: 'test' },
    dir,
    root,
    async close() {
      await http.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A console user the harness made: its password, its TOTP secret (base32) and its recovery codes. */
export interface ConsoleTestUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
  readonly recoveryCodes: readonly string[];
}

let people = 0;

/**
 * A person and a `staff` account named `username` with a password, and its
 * second factor enrolled (as the set-up page would leave it). Its role is
 * what CONSOLE_TEST_CONFIG (or the test's yaml) names it in.
 */
export async function addConsoleUser(served: ServedConsole, username: string, options: { readonly enrolled?: boolean } = {}): Promise<ConsoleTestUser> {
  const password = `Tea-Party-1865-${people + 1}`;
  people += 1;
  const id = `ADM${people}`;
  await addPerson(served.ctx, { id, firstName: 'Admin', lastName: username, roles: [], emails: {} });
  const account = await createAccount(served.ctx, { personId: id, type: 'staff', username, password, skipEligibility: true });
  const totpSecret = newTotpSecret();
  const recoveryCodes = newRecoveryCodes();
  if (options.enrolled !== false) {
    const now = served.clock.now().toISOString();
    await served.store.transaction((tx) => tx.putConsoleSecondFactor({ accountId: account.id, sealedSecret: sealSecret(served.deps.hmacKey, totpSecret), createdAt: now, confirmedAt: now, lastStep: 0, recoveryHashes: recoveryCodes.map(recoveryHash) }));
  }
  return { username, password, totpSecret, recoveryCodes };
}

/** The TOTP code of `user` at the server's clock now (a code is accepted once: move the clock 30 s between two sign-ins of one user). */
export function codeNow(served: ServedConsole, user: ConsoleTestUser): string {
  return totpCode(user.totpSecret, served.clock.now());
}

/** Signs in through the pages as a person does (fields by their labels): password, then the authentication code; lands on the console's first page. */
export async function signInConsole(page: Page, served: ServedConsole, user: ConsoleTestUser): Promise<void> {
  await page.goto(`${served.url}/console/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${served.url}/console/login/code`);
  await page.getByLabel('Authentication code').fill(codeNow(served, user));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${served.url}/console`);
  // Each code works once: the next sign-in of anyone in this test gets the next step's code.
  served.clock.at = new Date(served.clock.at.getTime() + 30_000);
}
