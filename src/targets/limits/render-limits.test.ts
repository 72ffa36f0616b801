import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredHost } from '../../desired/desired-host.js';
import { limitsConfigSchema } from './limits-config.js';
import { mergeScopedLimits, renderLimits, scopedLinesInFile } from './render-limits.js';

const config = limitsConfigSchema.parse({ perHost: { nproc: { soft: 100, hard: 200 } }, perType: { staff: { as: 4194304 }, guest: {} } });
// 5,000 accounts: a file of about 200 KB, so the search narrows several times before it reads.
const accounts = Array.from({ length: 5000 }, (_, i) => fixtureAccount(`u${String(i).padStart(4, '0')}`, 10_000 + i, { type: i % 7 === 0 ? 'staff' : 'member' }));
const whole = fixtureHost(accounts);

function scoped(names: readonly string[], change: (name: string) => Partial<(typeof accounts)[number]> = () => ({})): DesiredHost {
  return { ...whole, accounts: accounts.filter((a) => names.includes(a.username)).map((a) => ({ ...a, ...change(a.username) })), scope: names };
}

describe('finding a scoped account\'s limits in the file', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-limits-'));
    path = join(dir, 'roster.conf');
    await writeFile(path, renderLimits(whole, config) ?? '');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('answers as merging in memory does, for the first, middle and last users and any type', async () => {
    const current = renderLimits(whole, config);
    for (const names of [['u0000'], ['u2500'], ['u4999'], ['u0007', 'u3141'], ['u1234', 'u0001', 'u4998']]) {
      const same = scoped(names);
      expect([names, scopedLinesInFile(path, same, config)]).toEqual([names, true]);
      expect(mergeScopedLimits(same, current, config, 'limits')).toBe(current);
      // Another type (other lines) is not in place, and the merge says so too.
      const moved = scoped(names, (n) => ({ type: n === 'u0007' ? 'member' : 'staff' }));
      const staffAlready = names.every((n) => accounts.find((a) => a.username === n)?.type === 'staff');
      expect([names, scopedLinesInFile(path, moved, config)]).toEqual([names, staffAlready]);
      expect(mergeScopedLimits(moved, current, config, 'limits') === current).toBe(staffAlready);
    }
  });

  it('is not in place for a user missing from the file, nor without the file or its header', async () => {
    const newcomer = { ...whole, accounts: [fixtureAccount('u2500a', 99_999)], scope: ['u2500a'] };
    expect(scopedLinesInFile(path, newcomer, config)).toBe(false);
    // A user with no limits at all (a type with none and no per-host ones) is in place when absent.
    const bare = limitsConfigSchema.parse({});
    expect(scopedLinesInFile(path, newcomer, bare)).toBe(true);
    expect(scopedLinesInFile(join(dir, 'absent.conf'), scoped(['u0001']), config)).toBe(false);
    const edited = join(dir, 'edited.conf');
    await writeFile(edited, `# mine\n${renderLimits(whole, config) ?? ''}`);
    expect(scopedLinesInFile(edited, scoped(['u0001']), config)).toBe(false);
  });
});
