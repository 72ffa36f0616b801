import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AppContext } from '../src/app/app-context.js';
import type { RosterConfig } from '../src/config/config-schema.js';
import { parseConfig } from '../src/config/load-config.js';
import { createServer, type RosterServer } from '../src/server/create-server.js';
import type { ServerDeps } from '../src/server/server-deps.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { hashPassword } from '../src/system/libcrypt.js';
import type { AnyTarget } from '../src/targets/registry.js';
import { TestClock } from './server-fixture.js';

/**
 * The member portal's browser test harness (issue 14): `roster serve`'s app
 * in-process on a free port over a fresh SQLite store with real libcrypt,
 * real Chromium driven by playwright-core, axe-core checks and screenshots.
 * One browser per test file (launch in beforeAll, close in afterAll); a
 * fresh context per test keeps cookies apart.
 */

/** A roster.yaml for portal tests: a shell and a web host, a member type with dues (crypt), a portal sign-up type, billing in USD. */
export const PORTAL_TEST_CONFIG = `
timeZone: UTC
database: roster.db
hosts:
  shell: {}
  web: {}
groups:
  - name: members
sources:
  school:
    columns: { id: id, firstName: first, lastName: last, roles: roles }
    types: { MEMBER: [member] }
server: { rateLimit: { perSecond: 1000, burst: 1000 } }
notify: { adminAddress: admins@example.org }
portal:
  siteName: Example Co-op
  publicUrl: https://accounts.example.org
  payLink: https://pay.example.org/?member={personId}&amount={amount}
types:
  member:
    description: A shell account with mail and a web site
    portal: true
    eligibility: { roles: { some: [MEMBER] } }
    groups: [members]
    hosts: { live: [shell, web], login: [shell] }
    dues: 10
    grace: { deactivation: 0, deletion: 90 }
  staff:
    hosts: { live: [shell], login: [shell] }
    grace: { deactivation: 0, deletion: 30 }
`;

export interface ServedPortal {
  /** http://127.0.0.1:PORT (no trailing slash); pages are under `${url}/portal`. */
  readonly url: string;
  readonly server: RosterServer;
  readonly deps: ServerDeps;
  readonly store: Store;
  readonly config: RosterConfig;
  /** The server's clock (starts 2026-03-01T12:00:00Z); move it to expire sessions or reach dates. */
  readonly clock: TestClock;
  /** The use cases' context, acting as `test` (an admin at the command line). */
  readonly ctx: AppContext;
  /** The temp directory holding roster.yaml and the store. */
  readonly dir: string;
  close(): Promise<void>;
}

/** `roster serve`'s app listening on 127.0.0.1 at a port from the kernel; close() also ends the browser's keep-alive connections. */
export async function listenOnLoopback(server: RosterServer): Promise<{ readonly url: string; close(): Promise<void> }> {
  const http = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: server.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Keep-alive connections from the browser would hold close() open.
        if ('closeAllConnections' in http) http.closeAllConnections();
      }),
  };
}

/** `roster serve`'s app on 127.0.0.1 (a port from the kernel) over a fresh SQLite store, with real libcrypt hashing. */
export async function servePortal(options: { readonly yaml?: string; readonly at?: string; readonly targets?: readonly AnyTarget[] } = {}): Promise<ServedPortal> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-portal-'));
  const { config } = parseConfig(options.yaml ?? PORTAL_TEST_CONFIG, join(dir, 'roster.yaml'), options.targets === undefined ? undefined : { targets: options.targets });
  const store = await openStore(join(dir, 'roster.db'));
  const clock = new TestClock(options.at ?? '2026-03-01T12:00:00Z');
  const deps: ServerDeps = {
    store,
    config,
    clock,
    hmacKey: Buffer.alloc(32, 1),
    hasher: { hash: hashPassword },
    log: { info: () => undefined, warn: () => undefined },
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
    async close() {
      await http.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with nothing reaching out to the network; Playwright gives each launch a fresh temporary user-data-dir. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.ROSTER_TEST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A fresh context (its own cookies) and page; the context closes with the browser or by `page.context().close()`. */
export async function newPage(browser: Browser): Promise<{ readonly context: BrowserContext; readonly page: Page }> {
  // bypassCSP: axe-core is injected as a script the portal's CSP (rightly) refuses; the pages' own headers are tested by the portal's tests.
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  return { context, page };
}

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/** axe-core's WCAG 2.1 A and AA violations on the page as it is now (an empty list passes). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_PATH });
  // Run in the page, as text: the tests are compiled without the DOM's types.
  const script = `(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  })()`;
  return page.evaluate<AxeViolation[]>(script);
}

/** Throws, listing them, when axe-core finds WCAG 2.1 A/AA violations on the page. */
export async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length > 0) {
    const list = violations.map((v) => `  ${v.id} (${v.impact ?? '?'}): ${v.help} at ${v.nodes.join(', ')}`).join('\n');
    throw new Error(`axe-core found ${violations.length} violation(s) on ${what}:\n${list}`);
  }
}

export const SHOTS_DIR = '/tmp/portal-shots';

/** A full-page screenshot to /tmp/portal-shots/NAME.png (to look at); returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SHOTS_DIR, { recursive: true });
  const path = join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the login page as a person would (fields found by their labels); waits for the page after. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/portal/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
}
