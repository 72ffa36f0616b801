import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost } from '../../test/desired-fixture.js';
import { hostAssignmentSchema, type HostAssignment } from '../desired/desired-host-schema.js';
import type { DesiredAccount, DesiredHost } from '../desired/desired-host.js';
import { revisionOf } from '../desired/host-delta.js';
import { fixedClock } from '../domain/clock.js';
import { RosterError } from '../domain/errors.js';
import { targetRegistry } from '../targets/registry.js';
import { agentCycle, type AgentSettings } from './agent-cycle.js';
import { AgentStateFile, agentStatePath } from './agent-state.js';
import { ServerClient } from './server-client.js';

function assignment(desired: DesiredHost): HostAssignment {
  const rest = { desired, targets: { unix: {} }, breaker: { count: 50, percent: 5 } };
  return hostAssignmentSchema.parse(JSON.parse(JSON.stringify({ revision: revisionOf(rest), ...rest })));
}

function host(accounts: readonly DesiredAccount[]): HostAssignment {
  const members = accounts.filter((a) => a.groups.includes('members')).map((a) => a.username).sort();
  return assignment({ ...fixtureHost(accounts), groups: [...accounts.map((a) => ({ name: a.username, gid: a.gid, members: [] })), { name: 'members', gid: 9_000, members }].sort((a, b) => (a.name < b.name ? -1 : 1)) });
}

/** The NDJSON body `roster serve` sends for an assignment. */
function ndjson(a: HostAssignment): string[] {
  const { accounts, groups, ...desired } = a.desired;
  return [
    JSON.stringify({ revision: a.revision, targets: a.targets, breaker: a.breaker, desired }),
    ...accounts.map((account) => JSON.stringify({ account })),
    ...groups.map((group) => JSON.stringify({ group })),
    JSON.stringify({ end: { accounts: accounts.length, groups: groups.length } }),
  ];
}

/** Line `i` of a body, which the cases below know is there. */
function line(lines: readonly string[], i: number): string {
  const text = lines[i];
  if (text === undefined) throw new Error(`no line ${i}`);
  return text;
}

const HEADER = { server: 'http://roster.test', host: 'shell', fetchedAt: '2026-11-23T12:00:00.000Z' };

describe('a whole state streamed as NDJSON into the state file', () => {
  // What the local server answers next: a body written in small chunks (lines split across them), or JSON as a server that ignores Accept.
  let answer: { readonly type: string; readonly body: string } = { type: 'application/json', body: '{}' };
  let accepts: string[] = [];
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === 'POST') {
        // A report: taken.
        req.resume();
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      accepts.push(req.headers.accept ?? '');
      res.writeHead(200, { 'content-type': answer.type });
      const body = Buffer.from(answer.body);
      let at = 0;
      const next = (): void => {
        if (at >= body.length) {
          res.end();
          return;
        }
        res.write(body.subarray(at, at + 777), next);
        at += 777;
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  let dir: string;
  let file: AgentStateFile;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-agent-ndjson-'));
    file = AgentStateFile.open(agentStatePath(dir, 'shell'), () => undefined);
    accepts = [];
  });
  afterEach(() => {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (): ServerClient => new ServerClient({ server: url, token: 't', host: 'shell' });
  const accounts = Array.from({ length: 300 }, (_, i) => fixtureAccount(`user${String(i).padStart(3, '0')}`, 10_000 + i, { groups: i % 3 === 0 ? ['members'] : [] }));
  const base = host(accounts);
  const next = host(accounts.slice(1).map((a) => (a.username === 'user007' ? { ...a, gecos: 'Seven' } : a)));

  /** Asks for the whole state as NDJSON and writes it into the file as it arrives. */
  async function take(lines: readonly string[]): Promise<void> {
    answer = { type: 'application/x-ndjson', body: `${lines.join('\n')}\n` };
    const got = await client().desired(null, { stream: true });
    if (!got.changed || !('stream' in got)) throw new Error(`expected a stream, got ${JSON.stringify(Object.keys(got))}`);
    await file.replaceStreamed(got.stream, HEADER);
  }

  it('gives the same state as the whole JSON answer, the request asking for NDJSON', async () => {
    await take(ndjson(base));
    expect(accepts[0]).toContain('application/x-ndjson');
    expect(file.revision).toBe(base.revision);
    expect(file.header).toEqual(HEADER);
    const streamed = file.load();
    const other = AgentStateFile.open(agentStatePath(dir, 'other'), () => undefined);
    other.replace(base, HEADER);
    expect(streamed).toEqual(other.load());
    expect(file.scopedDesired(['user003'])).toEqual(other.scopedDesired(['user003']));
    other.close();
    expect(streamed).toEqual(base);
    // A later whole state replaces every row.
    await take(ndjson(next));
    expect(file.load()).toEqual(next);
  });

  it('reads a JSON answer from a server that ignores Accept as before', async () => {
    answer = { type: 'application/json', body: JSON.stringify(base) };
    const got = await client().desired(null, { stream: true });
    expect(got.changed && 'assignment' in got && got.assignment).toEqual(base);
  });

  const refusals: Array<[string, (lines: string[]) => string[], RegExp]> = [
    ['a truncated body (no end line)', (l) => l.slice(0, -1), /line 600: the body ends without its end line \(truncated after 299 accounts and 300 groups\)/],
    ['a body cut inside the accounts', (l) => l.slice(0, 120), /ends without its end line \(truncated after 119 accounts and 0 groups\)/],
    ['an end line with other counts', (l) => [...l.slice(0, -1), JSON.stringify({ end: { accounts: 299, groups: 301 } })], /line 601: the end line counts 299 accounts and 301 groups, the body sent 299 and 300/],
    ['another revision', (l) => [line(l, 0).replace(/"revision":"[0-9a-f]+"/, '"revision":"0123456789abcdef0123456789abcdef"'), ...l.slice(1)], /does not reproduce its revision 0123456789abcdef0123456789abcdef \(its 299 accounts, 300 groups/],
    ['an entry changed on the way', (l) => l.map((x) => x.replace('"gecos":"user042', '"gecos":"USER042')), /does not reproduce its revision/],
    ['an account that does not check', (l) => l.map((x, i) => (i === 5 ? x.replace(/"uid":\d+/, '"uid":-1') : x)), /line 6: an account does not check/],
    ['an account twice', (l) => [line(l, 0), line(l, 1), ...l.slice(1)], /names account user001 twice/],
    ['an account after the groups', (l) => [...l.slice(0, -1), line(l, 1), line(l, l.length - 1)], /line 601: an account after the groups/],
    ['a line after the end', (l) => [...l, line(l, 1)], /a line after the end line/],
    ['a line that is not JSON', (l) => [...l.slice(0, 9), '{"account":', ...l.slice(9)], /line 10: not JSON/],
  ];
  for (const [what, change, message] of refusals) {
    it(`refuses ${what}: the previous state is kept, and the error says why`, async () => {
      await take(ndjson(base));
      const error = await take(change(ndjson(next))).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RosterError);
      expect((error as RosterError).code).toBe('bad_input');
      expect((error as RosterError).message).toMatch(message);
      expect(file.revision).toBe(base.revision);
      expect(file.load()).toEqual(base);
      file.refresh();
      expect(file.revision).toBe(base.revision);
    });
  }

  it('refuses the state of another host before reading its entries', async () => {
    answer = { type: 'application/x-ndjson', body: `${ndjson(base).map((l, i) => (i === 0 ? l.replace('"host":"shell"', '"host":"web"') : l)).join('\n')}\n` };
    await expect(client().desired(null, { stream: true })).rejects.toThrow(/host "web", not "shell"/);
  });

  it('an agent turn takes the whole state as NDJSON and applies it; a truncated one leaves the host and the state as they were', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
    const settings: AgentSettings = { server: url, host: 'shell', root, statePath: file.path, allowMassChange: true, lockTimeoutMs: 10_000, changelog: false };
    const log = { info: () => undefined, warn: () => undefined };
    const deps = { client: client(), targets: targetRegistry, clock: fixedClock(new Date('2026-11-23T12:00:00.000Z')), log };
    answer = { type: 'application/x-ndjson', body: `${ndjson(base).join('\n')}\n` };
    const first = (await agentCycle(settings, deps, file, { force: true })).result;
    expect(first).toMatchObject({ reached: true, transfer: 'full', revision: base.revision, applied: { failed: 0 } });
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    expect(passwd).toContain('user000:x:10000:');
    answer = { type: 'application/x-ndjson', body: `${ndjson(next).slice(0, -1).join('\n')}\n` };
    const second = (await agentCycle(settings, deps, file, { force: false })).result;
    expect(second).toMatchObject({ reached: false, transfer: 'none', revision: base.revision });
    expect(second.serverError?.message).toMatch(/ends without its end line/);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe(passwd);
    expect(file.load()).toEqual(base);
  });
});
