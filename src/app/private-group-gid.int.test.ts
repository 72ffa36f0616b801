import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncRoster } from '../jobs/roster-sync.js';
import { exampleAppContext } from '../../test/example-app-context.js';
import { storeFactories, type OpenedTestStore } from '../store/test-stores.js';
import type { AppContext } from './app-context.js';
import { createAccount, createAccounts } from './accounts.js';
import { addPerson } from './people.js';

/**
 * A user-private group takes GID = UID, as useradd does, unless that GID is
 * already a group's or another private group's. With the example's
 * overlapping ranges the declared group `students` takes GID 10000, which is
 * also the first UID: that account's group moves to the next free GID, and
 * the account after it (UID 10001) must then not take GID 10001 as well.
 * Every creation path (one account, a batch, a roster sync) is held to it.
 */
describe.each(storeFactories)('user-private GIDs stay unique on $name', (factory) => {
  let s: OpenedTestStore;
  let ctx: AppContext;
  let dir: string;

  // A fresh store each: every path starts from the same GIDs.
  beforeEach(async () => {
    s = await factory.open();
    dir = await mkdtemp(join(tmpdir(), 'roster-gid-'));
    ctx = exampleAppContext(s.store, '2026-05-01T10:00:00Z');
  });
  afterEach(async () => {
    await s.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** GIDs used by more than one group or account's private group. */
  async function clashes(): Promise<string[]> {
    const owners = new Map<number, string[]>();
    const add = (gid: number, who: string): void => void owners.set(gid, [...(owners.get(gid) ?? []), who]);
    for (const g of await s.store.read.listGroups()) add(g.gid, `group ${g.name}`);
    for (const a of await s.store.read.listAccounts()) if (a.primaryGroup === a.username) add(a.gid, `private group ${a.username}`);
    return [...owners].filter(([, who]) => who.length > 1).map(([gid, who]) => `${gid}: ${who.join(', ')}`);
  }

  it('through a roster sync of new students', async () => {
    const csv = join(dir, 'school.csv');
    await writeFile(
      csv,
      ['id,first_name,last_name,roles,classes,campus,major,email', 'S002,Ada,Lovelace,STUDENT,,NK,Math,', 'S003,Alan,Turing,STUDENT,,CM,CS,', 'S004,Grace,Hopper,STUDENT,,NB,,', ''].join('\n'),
    );
    const report = await syncRoster(ctx, { source: 'school', file: csv });
    expect(report.failures).toEqual([]);
    const accounts = await s.store.read.listAccounts();
    expect(accounts.map((a) => a.uid).sort()).toEqual([10000, 10001, 10002]);
    expect(await clashes()).toEqual([]);
  });

  it('through a batch and through single creations after it', async () => {
    for (const id of ['P1', 'P2', 'P3', 'P4']) await addPerson(ctx, { id, firstName: 'Kim', lastName: `Gid${id}`, roles: ['STUDENT'], campuses: ['NB'] });
    const results = await createAccounts(ctx, [
      { personId: 'P1', type: 'student', username: 'kim-p1' },
      { personId: 'P2', type: 'student', username: 'kim-p2' },
    ]);
    expect(results.map((r) => (r.ok ? r.account.username : r.error))).toEqual(['kim-p1', 'kim-p2']);
    await createAccount(ctx, { personId: 'P3', type: 'student', username: 'kim-p3' });
    await createAccount(ctx, { personId: 'P4', type: 'student', username: 'kim-p4' });
    expect(await clashes()).toEqual([]);
  });
});
