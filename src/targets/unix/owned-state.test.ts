import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnedStateFile, ownedStatePath, readOwnedState, writeOwnedState } from './owned-state.js';

describe('the unix ownership file', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-owned-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('answers single names from the text as the parsed lists would', async () => {
    const users = ['ann', 'bob', 'members'];
    const groups = ['ann', 'members', 'members-x1', 'members-x2', 'staff'];
    await writeOwnedState(root, { users, groups });
    const state = await readOwnedState(root);
    expect(state).toBeInstanceOf(OwnedStateFile);
    if (!(state instanceof OwnedStateFile)) throw new Error('not an OwnedStateFile');
    const file = state;
    for (const n of ['ann', 'bob', 'members', 'an', 'nn', 'bo', 'members-x1', 'staff', '']) {
      expect([n, file.ownsUser(n)]).toEqual([n, users.includes(n)]);
      expect([n, file.ownsGroup(n)]).toEqual([n, groups.includes(n)]);
    }
    expect(file.groupsStartingWith('members-x')).toEqual(['members-x1', 'members-x2']);
    expect(file.groupsStartingWith('ann-x')).toEqual([]);
    expect([...state.users]).toEqual(users);
    expect([...state.groups]).toEqual(groups);
  });

  it('parses and checks at once a file of another shape, and names what is wrong', async () => {
    await writeOwnedState(root, { users: ['a'], groups: [] });
    const path = ownedStatePath(root);
    const text = await readFile(path, 'utf8');
    await writeFile(path, JSON.stringify(JSON.parse(text), null, 2));
    const pretty = await readOwnedState(root);
    expect(pretty).not.toBeInstanceOf(OwnedStateFile);
    expect(pretty.users).toEqual(['a']);
    await writeFile(path, '{"version":1,"users":[1],"groups":[]}');
    await expect(readOwnedState(root)).rejects.toThrow(/"users" is not a list of names/);
  });
});
