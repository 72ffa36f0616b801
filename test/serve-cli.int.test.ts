import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from '../src/store/test-stores.js';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startServe, stopChild, type ServeProcess } from './serve-process.js';

/** `roster token …` and `roster serve` as a person runs them (DESIGN.md §5). */

let sb: RosterSandbox;

beforeEach(async () => {
  sb = await rosterSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const serve = (env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> => startServe(sb, { env });
const stop = stopChild;

describe('roster token', () => {
  it('prints a new token alone on stdout, lists tokens without secrets, and revokes', async () => {
    const created = await sb.run(['token', 'create', '--role', 'agent', '--host', 'shell', '--expires', '12h', '--note', 'shell agent']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^roster_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toContain('shown only now');
    const list = await sb.json<Array<Record<string, unknown>>>(['token', 'list']);
    expect(list).toEqual([expect.objectContaining({ id: 1, role: 'agent', host: 'shell', note: 'shell agent', revokedAt: null })]);
    expect(JSON.stringify(list)).not.toContain(created.stdout.trim());
    expect((await sb.run(['token', 'revoke', '1'])).stdout).toContain('revoked token 1');
    expect((await sb.json<Array<Record<string, unknown>>>(['token', 'list']))[0]?.revokedAt).not.toBeNull();
    const audit = await sb.json<Array<{ action: string }>>(['audit', '--target', 'token:1']);
    expect(audit.map((r) => r.action)).toEqual(['token.create', 'token.revoke']);
    expect((await sb.run(['token', 'create', '--role', 'agent'])).code).toBe(2);
    expect((await sb.run(['token', 'create', '--role', 'agent', '--host', 'mars'])).stderr).toContain('not declared under hosts');
    expect((await sb.run(['token', 'create', '--role', 'root'])).code).toBe(2);
  });
});

describe('roster serve', () => {
  it('serves the API and SCIM on the embedded store with no other set-up, and stops on SIGTERM', async () => {
    const token = (await sb.run(['token', 'create', '--role', 'admin'])).stdout.trim();
    const server = await serve();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.stdout()).toContain(`OpenAPI  ${server.url}/api/v1/openapi.json`);
      expect(server.stdout()).toContain(`SCIM     ${server.url}/scim/v2`);
      expect((await fetch(`${server.url}/api/v1/openapi.json`)).status).toBe(200);
      expect((await fetch(`${server.url}/api/v1/whoami`)).status).toBe(401);
      const who = (await (await fetch(`${server.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).json()) as { actor: string };
      expect(who.actor).toBe('token:1(admin)');
      const users = await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } });
      expect(users.headers.get('content-type')).toBe('application/scim+json');
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });

  it('runs on PostgreSQL given DATABASE_URL', async () => {
    let db: TestDatabase | undefined;
    try {
      db = await createPostgresDatabase();
      const env = { DATABASE_URL: db.url };
      const token = (await sb.run(['token', 'create', '--role', 'operator'], { env })).stdout.trim();
      const server = await serve(env);
      try {
        const res = await fetch(`${server.url}/api/v1/people`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'P1', firstName: 'Ann', lastName: 'Lee' }) });
        expect(res.status).toBe(201);
        expect(server.stdout()).toContain('database postgres://');
      } finally {
        await stop(server.child);
      }
      expect((await sb.json<Array<{ id: string }>>(['person', 'show', 'P1'], {}).catch(() => null))).toBeNull();
      const shown = await sb.run(['person', 'show', 'P1', '--json'], { env });
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: 'P1', source: 'manual' });
    } finally {
      await db?.drop();
    }
  });
});
