import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredAccount, DesiredHost, DesiredResource, RemovedAccount } from '../../desired/desired-host.js';
import { postgresConfigSchema } from './postgres-config.js';
import { renderDatabaseMarker, renderRoleMarker, parseDatabaseMarker, parseRoleMarker } from './postgres-marker.js';
import type { ObservedDatabase, ObservedRole, PostgresObserved } from './postgres-observe.js';
import { planPostgres } from './postgres-plan.js';

const config = postgresConfigSchema.parse({ url: 'postgres://roster@127.0.0.1/postgres', archiveDir: '/archive' });

function state(accounts: readonly DesiredAccount[], resources: readonly DesiredResource[], more: Partial<DesiredHost> = {}): DesiredHost {
  return { ...fixtureHost(accounts), host: 'db', ...(resources.length === 0 ? {} : { resources: { postgres: resources } }), ...more };
}

function role(name: string, uid: number, over: Partial<ObservedRole> = {}): ObservedRole {
  return { name, canLogin: true, validUntil: null, marker: { host: 'db', owner: name, uid, login: 'peer' }, backends: [], ...over };
}

function db(name: string, owner: string, uid: number, resource: number): ObservedDatabase {
  return { name, owner, marker: { host: 'db', owner, uid, resource } };
}

function observed(roles: readonly ObservedRole[], databases: readonly ObservedDatabase[]): PostgresObserved {
  return { roles: new Map(roles.map((r) => [r.name, r])), databases: new Map(databases.map((d) => [d.name, d])), archives: new Map() };
}

const res = (id: number, owner: string, name: string): DesiredResource => ({ id, kind: 'postgres-database', name, owner, settings: {} });

describe('postgres plan', () => {
  it('purge order: each database dumped then dropped, the role last; with archiving off no dump', () => {
    const removed: RemovedAccount = { username: 'zed', uid: 9, home: '/home/zed', purgedAt: '2026-11-20T00:00:00.000Z' };
    const o = observed([role('zed', 9)], [db('zed_a', 'zed', 9, 1), db('zed_b', 'zed', 9, 2)]);
    const summaries = (c = config): string[] => planPostgres({ ...state([], []), removed: [removed] }, o, c).map((x) => `${x.action} ${x.subject} ${x.destructive ? 'destructive' : ''}`.trim());
    expect(summaries()).toEqual([
      'archive postgres-database:zed_a',
      'delete postgres-database:zed_a destructive',
      'archive postgres-database:zed_b',
      'delete postgres-database:zed_b destructive',
      'delete postgres-role:zed destructive',
    ]);
    expect(summaries(postgresConfigSchema.parse({ ...config, archive: false }))).toEqual(['delete postgres-database:zed_a destructive', 'delete postgres-database:zed_b destructive', 'delete postgres-role:zed destructive']);
  });

  it('a scoped state plans for its accounts alone: the managed databases of others are not "no longer desired"', () => {
    const amy = fixtureAccount('amy', 1, { holds: [FREEZE_BILLING] });
    const o = observed([role('amy', 1), role('ben', 2)], [db('amy_db', 'amy', 1, 1), db('ben_db', 'ben', 2, 2)]);
    expect(planPostgres({ ...state([amy], [res(1, 'amy', 'amy_db')]), scope: ['amy'] }, o, config).map((c) => c.summary)).toEqual(['freeze role amy: NOLOGIN (was LOGIN: kept for the unfreeze)']);
    // The whole host without ben: ben's database goes (after its dump).
    expect(planPostgres(state([amy], [res(1, 'amy', 'amy_db')]), o, config).map((c) => c.action)).toEqual(['lock', 'archive', 'delete']);
  });

  it('a role of the same name marked for another UID is refused; a database of a previous owner is dropped before the new one is made', () => {
    const cal = fixtureAccount('cal', 30);
    const o = observed([role('cal', 29)], [db('cal_db', 'cal', 29, 5)]);
    expect(planPostgres(state([cal], [res(6, 'cal', 'cal_db')]), o, config).map((c) => c.summary)).toEqual([
      "account cal (UID 30) cannot have role cal: it is Roster's for account cal with UID 29",
      'dump database cal_db of cal, no longer desired to /archive',
      'drop database cal_db of cal, no longer desired (after its dump)',
      "database cal_db (resource #6) of cal cannot be made: role cal is not Roster's",
    ]);
  });

  it('markers round-trip, and a comment that is not one is no marker', () => {
    const r = { host: 'db', owner: 'amy', uid: 1, login: 'password' as const, frozen: { canLogin: false, validUntil: '2031-01-01 00:00:00+00' } };
    expect(parseRoleMarker(renderRoleMarker(r))).toEqual(r);
    const d = { host: 'db', owner: 'amy', uid: 1, resource: 4, restoring: true as const };
    expect(parseDatabaseMarker(renderDatabaseMarker(d))).toEqual(d);
    expect([parseRoleMarker(null), parseRoleMarker('the DBA'), parseRoleMarker('{"roster":1}'), parseRoleMarker('{"other":{}}'), parseDatabaseMarker('{"roster":{"host":"db","owner":"a","uid":1}}')]).toEqual([null, null, null, null, null]);
  });
});
