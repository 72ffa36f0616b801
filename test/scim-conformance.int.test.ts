import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/app/api-tokens.js';
import { loadConfig } from '../src/config/load-config.js';
import { systemClock } from '../src/domain/clock.js';
import { createServer } from '../src/server/create-server.js';
import { startServer, type RunningServer } from '../src/server/start-server.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';

/**
 * The SCIM conformance suite (DESIGN.md §8: ../shared/conformance, run by
 * newman) against a server on a loopback port, in-process so that `npm
 * test` catches a regression; .ci/run also runs it against a real
 * `roster serve` process.
 */

const COLLECTION = resolve(import.meta.dirname, '../../shared/conformance/scim-microsoft.postman.json');
const FOLDERS = ['Endpoint tests', 'User tests', 'Group tests', 'ComplexAttribute tests', 'User tests with garbage', 'Group tests with garbage', 'Teardown garbage', 'Get all users', 'Get all groups'];

interface NewmanFailure {
  readonly error: { readonly name: string; readonly message: string; readonly test?: string };
  readonly source?: { readonly name?: string };
}
interface NewmanSummary {
  readonly run: { readonly stats: { readonly assertions: { readonly total: number; readonly failed: number } }; readonly failures: readonly NewmanFailure[] };
}
interface Newman {
  run(options: Record<string, unknown>, done: (err: Error | null, summary: NewmanSummary) => void): unknown;
}

// newman ships no types; this is the part of its library API used here (README "API Reference").
const newman = createRequire(import.meta.url)('newman') as Newman;

function runNewman(options: Record<string, unknown>): Promise<NewmanSummary> {
  return new Promise((ok, fail) => {
    newman.run(options, (err, summary) => (err === null ? ok(summary) : fail(err)));
  });
}

describe('SCIM conformance (Microsoft SCIM test collection via newman)', () => {
  let dir: string;
  let store: Store;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-scim-'));
    await copyFile(resolve(import.meta.dirname, 'fixtures/scim-conformance.roster.yaml'), join(dir, 'roster.yaml'));
    const loaded = await loadConfig(join(dir, 'roster.yaml'));
    store = await openStore(loaded.databaseUrl);
    const deps = { store, config: loaded.config, clock: systemClock, hmacKey: Buffer.alloc(0), hasher: { hash: () => '!' }, log: { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`) } };
    token = (await createApiToken({ ...deps, actor: 'test' }, { role: 'scim', expires: '1h' })).token;
    server = await startServer(createServer(deps).app, '127.0.0.1:0');
  });

  afterAll(async () => {
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every assertion', async () => {
    const port = new URL(server.url).port;
    const summary = await runNewman({
      collection: COLLECTION,
      folder: FOLDERS,
      envVar: [
        { key: 'Protocol', value: 'http' },
        { key: 'Server', value: '127.0.0.1' },
        { key: 'Port', value: `:${port}` },
        { key: 'Api', value: 'scim/v2' },
        { key: 'token', value: token },
      ],
      reporters: [],
      timeoutRequest: 10_000,
    });
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`);
    expect(failures).toEqual([]);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(100);
    expect(summary.run.stats.assertions.failed).toBe(0);
  }, 120_000);
});
