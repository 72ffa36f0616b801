import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppContext } from '../src/app/app-context.js';
import { createApiToken } from '../src/app/api-tokens.js';
import { parseConfig } from '../src/config/load-config.js';
import type { RosterConfig } from '../src/config/config-schema.js';
import type { Clock } from '../src/domain/clock.js';
import { createServer, type RosterServer } from '../src/server/create-server.js';
import type { ServerDeps } from '../src/server/server-deps.js';
import { openStore } from '../src/store/open-store.js';
import type { TokenRole } from '../src/store/queries/token-queries.js';
import type { Store } from '../src/store/store.js';
import type { AnyTarget } from '../src/targets/registry.js';

/** A roster.yaml for server tests: two hosts, a member type with dues, a SCIM type without extra groups. */
export const SERVER_TEST_CONFIG = `
timeZone: UTC
database: roster.db
hosts:
  shell: {}
  web: {}
groups:
  - name: members
scim: { accountType: staff }
breaker: { count: 2, percent: 0 }
sources:
  school:
    columns: { id: id, firstName: first, lastName: last, roles: roles }
    types: { MEMBER: [member] }
server: { rateLimit: { perSecond: 1000, burst: 1000 } }
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

/** A clock the test moves (a purge needs its date to come). */
export class TestClock implements Clock {
  at: Date;
  constructor(iso: string) {
    this.at = new Date(iso);
  }
  now(): Date {
    return new Date(this.at.getTime());
  }
  advanceDays(days: number): void {
    this.at = new Date(this.at.getTime() + days * 86_400_000);
  }
}

export interface ServerFixture {
  readonly server: RosterServer;
  readonly clock: TestClock;
  readonly store: Store;
  readonly config: RosterConfig;
  /** The use cases' context, acting as `test`. */
  readonly ctx: AppContext;
  /** One token per role (the agent's for host shell), and a second admin. */
  readonly tokens: Readonly<Record<TokenRole | 'admin2' | 'agentWeb', string>>;
  request(method: string, path: string, options?: { readonly token?: string | null; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }): Promise<Response>;
  cleanup(): Promise<void>;
}

/** A server on a fresh SQLite store, called in-process (Hono's app.request: no socket). */
export async function serverFixture(options: { readonly yaml?: string; readonly targets?: readonly AnyTarget[] } = {}): Promise<ServerFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-server-'));
  const { config } = parseConfig(options.yaml ?? SERVER_TEST_CONFIG, join(dir, 'roster.yaml'), options.targets === undefined ? undefined : { targets: options.targets });
  const store = await openStore(join(dir, 'roster.db'));
  const clock = new TestClock('2026-03-01T12:00:00Z');
  const deps: ServerDeps = {
    store,
    config,
    clock,
    hmacKey: Buffer.alloc(32, 1),
    // Real hashing is libcrypt's business (tested there); here any crypt-shaped field will do.
    hasher: { hash: (p: string) => `$test$${p.length}` },
    log: { info: () => undefined, warn: () => undefined },
    ...(options.targets === undefined ? {} : { targets: options.targets }),
  };
  const ctx: AppContext = { ...deps, actor: 'test' };
  const make = async (role: TokenRole, host?: string): Promise<string> => (await createApiToken(ctx, { role, host })).token;
  const tokens = {
    admin: await make('admin'),
    admin2: await make('admin'),
    operator: await make('operator'),
    auditor: await make('auditor'),
    scim: await make('scim'),
    agent: await make('agent', 'shell'),
    agentWeb: await make('agent', 'web'),
  };
  const server = createServer(deps);
  return {
    server,
    clock,
    store,
    config,
    ctx,
    tokens,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token === undefined ? tokens.admin : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      return server.app.request(`http://127.0.0.1${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    },
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
