import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../test/desired-fixture.js';
import { hostAssignmentSchema, type HostAssignment } from '../desired/desired-host-schema.js';
import type { DesiredAccount, DesiredHost } from '../desired/desired-host.js';
import { deltaFrom, digestsOf, hostDeltaSchema, revisionOf, type HostDelta } from '../desired/host-delta.js';
import { AgentStateFile, agentStatePath } from './agent-state.js';

function assignment(desired: DesiredHost): HostAssignment {
  const rest = { desired, targets: { unix: {} }, breaker: { count: 50, percent: 5 } };
  return hostAssignmentSchema.parse(JSON.parse(JSON.stringify({ revision: revisionOf(rest), ...rest })));
}

function delta(from: HostAssignment, to: HostAssignment): HostDelta {
  return hostDeltaSchema.parse(JSON.parse(JSON.stringify(deltaFrom(digestsOf(from), to, digestsOf(to)))));
}

const HEADER = { server: 'http://roster.test', host: 'shell', fetchedAt: '2026-11-23T12:00:00.000Z' };

function host(accounts: readonly DesiredAccount[]): HostAssignment {
  const members = accounts.filter((a) => a.groups.includes('members')).map((a) => a.username).sort();
  return assignment({ ...fixtureHost(accounts), groups: [...accounts.map((a) => ({ name: a.username, gid: a.gid, members: [] })), { name: 'members', gid: 9_000, members }].sort((a, b) => (a.name < b.name ? -1 : 1)) });
}

describe('the agent state file', () => {
  let dir: string;
  let path: string;
  const warnings: string[] = [];
  const open = (): AgentStateFile => AgentStateFile.open(path, (m) => warnings.push(m));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-agent-state-'));
    path = agentStatePath(join(dir, 'var/lib/roster'), 'shell');
    warnings.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const accounts = Array.from({ length: 20 }, (_, i) => fixtureAccount(`user${String(i).padStart(2, '0')}`, 10_000 + i, { groups: i % 2 === 0 ? ['members'] : [] }));
  const base = host(accounts);

  it('keeps the whole state, private, and reads it back as it came', () => {
    const file = open();
    expect(file.revision).toBeNull();
    file.replace(base, HEADER);
    file.saveStatus({ revision: base.revision, at: HEADER.fetchedAt, ok: true }, [{ id: 'r1' }]);
    file.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = open();
    expect(again.revision).toBe(base.revision);
    expect(again.header).toEqual(HEADER);
    expect(again.applied).toEqual({ revision: base.revision, at: HEADER.fetchedAt, ok: true });
    expect(again.pendingReports).toEqual([{ id: 'r1' }]);
    expect(again.load()).toEqual(base);
    again.close();
    expect(warnings).toEqual([]);
  });

  it('applies a delta in place: the state read back is the server\'s next state', () => {
    const file = open();
    file.replace(base, HEADER);
    const changed = accounts.map((a) => (a.username === 'user03' ? { ...a, holds: [FREEZE_BILLING], disabled: true, groups: ['members'] } : a)).filter((a) => a.username !== 'user07');
    const next = host([...changed, fixtureAccount('newbie', 20_000, { groups: ['members'] })]);
    const changes = file.applyDelta(delta(base, next), '2026-11-24T00:00:00.000Z');
    expect(changes?.accounts.map((a) => a.username)).toEqual(['newbie', 'user03']);
    expect(changes?.dropAccounts).toEqual(['user07']);
    expect(changes?.groups.map((g) => [g.after.name, g.before?.members.length])).toEqual([['members', 10], ['newbie', undefined]]);
    expect(file.revision).toBe(next.revision);
    expect(file.header?.fetchedAt).toBe('2026-11-24T00:00:00.000Z');
    expect(file.load()).toEqual(next);
    // The memberships follow the groups: a scoped state of user03 lists it in members.
    expect(file.scopedDesired(['user03'])?.groups).toEqual([{ name: 'members', gid: 9_000, members: ['user03'] }, { name: 'user03', gid: 10_003, members: [] }]);
    file.close();
  });

  it('rolls back a delta that does not reproduce the revision, and refuses one from another base', () => {
    const file = open();
    file.replace(base, HEADER);
    const next = host(accounts.map((a) => (a.username === 'user05' ? { ...a, holds: [FREEZE_BILLING], disabled: true } : a)));
    const good = delta(base, next);
    expect(file.applyDelta({ ...good, base: 'other' }, HEADER.fetchedAt)).toBeNull();
    expect(file.applyDelta({ ...good, desired: { ...good.desired, accounts: good.desired.accounts.map((a) => ({ ...a, shell: '/bin/sh' })) } }, HEADER.fetchedAt)).toBeNull();
    expect(file.applyDelta({ ...good, breaker: { count: 1, percent: 0 } }, HEADER.fetchedAt)).toBeNull();
    expect(file.revision).toBe(base.revision);
    expect(file.load()).toEqual(base);
    expect(file.applyDelta(good, HEADER.fetchedAt)).not.toBeNull();
    expect(file.load()).toEqual(next);
    file.close();
  });

  it('builds a scoped state as the server scopes one: the accounts, their groups listing only them, their resources', () => {
    const resources = { 'mail-lists': [{ id: 1, kind: 'list', name: 'a-list', owner: 'user02', settings: {} }, { id: 2, kind: 'list', name: 'b-list', owner: 'user03', settings: {} }] };
    const withResources = assignment({ ...base.desired, resources });
    const file = open();
    file.replace(withResources, HEADER);
    const { at: _at, accounts: _accounts, groups: _groups, resources: _resources, removed: _removed, ...rest } = withResources.desired;
    expect(file.scopedDesired(['user04', 'user02'])).toEqual({
      ...rest,
      at: withResources.desired.at,
      accounts: [accounts[2], accounts[4]],
      groups: [{ name: 'members', gid: 9_000, members: ['user02', 'user04'] }, { name: 'user02', gid: 10_002, members: [] }, { name: 'user04', gid: 10_004, members: [] }],
      removed: [],
      scope: ['user02', 'user04'],
      resources: { 'mail-lists': [resources['mail-lists'][0]] },
    });
    expect(file.scopedDesired(['nobody'])).toBeNull();
    file.close();
  });

  it('migrates the former JSON files once, then removes them', () => {
    const legacy = join(dir, 'var/lib/roster/agent-shell.json');
    const open0 = open();
    open0.close();
    rmSync(path);
    writeFileSync(legacy, JSON.stringify({ version: 1, ...HEADER, assignment: base }));
    writeFileSync(legacy.replace(/\.json$/, '.status.json'), JSON.stringify({ version: 1, applied: { revision: base.revision, at: HEADER.fetchedAt, ok: true }, pendingReports: [{ id: 'r9' }] }));
    const file = open();
    expect(file.revision).toBe(base.revision);
    expect(file.applied?.ok).toBe(true);
    expect(file.pendingReports).toEqual([{ id: 'r9' }]);
    expect(file.load()).toEqual(base);
    file.close();
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(legacy.replace(/\.json$/, '.status.json'))).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('treats a former JSON file that does not check, or a state file that is not one, as missing, with a warning', () => {
    const legacy = join(dir, 'var/lib/roster/agent-shell.json');
    open().close();
    rmSync(path);
    writeFileSync(legacy, '{"version": 1, "host": "web"');
    const none = open();
    expect(none.revision).toBeNull();
    none.close();
    rmSync(path);
    writeFileSync(legacy, '{"version": 1, "host": "web"}');
    open().close();
    expect(warnings).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/not an agent state \(server: /)]);

    warnings.length = 0;
    for (const p of [legacy, path, `${path}-wal`, `${path}-shm`]) rmSync(p, { force: true });
    writeFileSync(path, 'this is not a database, just some bytes that happen to be here and long enough to matter'.repeat(100));
    const fresh = open();
    expect(fresh.revision).toBeNull();
    fresh.replace(base, HEADER);
    fresh.close();
    expect(warnings).toEqual([expect.stringMatching(/agent-shell\.sqlite: not an agent state/)]);
    const kept = open();
    expect(kept.revision).toBe(base.revision);
    kept.close();
  });
});
