import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { converge, etcBytes, makeRoot, planOnly, removeRoot, unixConfig } from '../../../test/unix-root.js';
import type { DesiredAccount, DesiredGroup, DesiredHost } from '../../desired/desired-host.js';
import { fixtureAccount, fixtureHost, frozen } from './desired-fixture.js';
import { entryName } from './etc-text.js';

const ETC = ['passwd', 'shadow', 'group', 'gshadow'] as const;
type Files = Record<(typeof ETC)[number], string>;

const POOL = Array.from({ length: 16 }, (_, i) => `u${i}`);

/** Bytes that may appear in a field of a line Roster does not own: anything but ':' and newline, invalid UTF-8 included. */
const fieldBytes = fc.array(fc.integer({ min: 0x20, max: 0xff }).filter((b) => b !== 0x3a && b !== 0x7f), { maxLength: 12 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

const unmanaged: fc.Arbitrary<Files> = fc
  .record({
    users: fc.uniqueArray(fc.stringMatching(/^sys[a-z]{1,5}$/), { maxLength: 6 }),
    gecos: fc.array(fieldBytes, { minLength: 6, maxLength: 6 }),
    groups: fc.uniqueArray(fc.stringMatching(/^grp[a-z]{1,5}$/), { maxLength: 6 }),
    comment: fc.boolean(),
    blank: fc.boolean(),
    nis: fc.boolean(),
  })
  .map(({ users, gecos, groups, comment, blank, nis }) => {
    const passwd = users.map((u, i) => `${u}:x:${100 + i}:${100 + i}:${gecos[i] ?? ''}:/home/${u}:/bin/sh`);
    const shadow = users.map((u) => `${u}:*:19000:0:99999:7:::`);
    const group = groups.map((g, i) => `${g}:x:${500 + i}:${users.slice(0, i).join(',')}`);
    const gshadow = groups.map((g) => `${g}:*::`);
    if (comment) passwd.splice(passwd.length > 0 ? 1 : 0, 0, '# managed by hand below');
    if (blank) group.push('');
    if (nis) {
      passwd.push('+::::::');
      group.push('+:::');
    }
    const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
    return { passwd: text(passwd), shadow: text(shadow), group: text(group), gshadow: text(gshadow) };
  });

const desiredState: fc.Arbitrary<DesiredHost> = fc
  .record({
    present: fc.subarray(POOL),
    disabled: fc.array(fc.boolean(), { minLength: POOL.length, maxLength: POOL.length }),
    expiry: fc.array(fc.option(fc.integer({ min: 20_000, max: 21_000 })), { minLength: POOL.length, maxLength: POOL.length }),
    password: fc.array(fc.constantFrom('!', '*', '$6$salt$hash', '$y$j9T$x$y'), { minLength: POOL.length, maxLength: POOL.length }),
    gecos: fc.array(fc.constantFrom('', 'Ann', 'Søren Vette', 'Ω'), { minLength: POOL.length, maxLength: POOL.length }),
    groups: fc.array(fc.subarray(POOL), { minLength: 3, maxLength: 3 }),
  })
  .map(({ present, disabled, expiry, password, gecos, groups }) => {
    const accounts: DesiredAccount[] = present.map((name) => {
      const i = POOL.indexOf(name);
      const a = fixtureAccount(name, 10_000 + i, { expiryDay: expiry[i] ?? null, passwordField: password[i] ?? '!', gecos: gecos[i] ?? '' });
      return disabled[i] === true ? frozen(a) : a;
    });
    const extra: DesiredGroup[] = groups.map((members, k) => ({ name: `team${k}`, gid: 20_000 + k, members: members.filter((m) => present.includes(m)).sort() }));
    return fixtureHost(accounts, extra);
  });

function unmanagedLines(text: string, owned: ReadonlySet<string>): string[] {
  return text.split('\n').filter((l) => {
    const n = entryName(l);
    return n === null || !owned.has(n);
  });
}

describe('unix target properties', () => {
  it('apply twice = apply once, plan after apply is empty, unmanaged lines stay byte for byte and in place, and removing everything restores the files', async () => {
    await fc.assert(
      fc.asyncProperty(unmanaged, fc.array(desiredState, { minLength: 1, maxLength: 3 }), fc.integer({ min: 64, max: 160 }), async (start, states, limit) => {
        const root = await makeRoot({ base: false });
        try {
          await mkdir(join(root, 'etc'), { recursive: true });
          for (const f of ETC) await writeFile(join(root, 'etc', f), start[f], 'latin1');
          const config = unixConfig({ groupLineLimit: limit });
          for (const desired of [...states, fixtureHost([])]) {
            const first = await converge(root, desired, config);
            expect(first.results.filter((r) => !r.ok)).toEqual([]);
            const once = await etcBytes(root);
            expect(await planOnly(root, desired, config)).toEqual([]);
            // Applying the same plan again changes nothing.
            await converge(root, desired, config);
            const twice = await etcBytes(root);
            for (const f of ETC) expect(twice[f].equals(once[f])).toBe(true);
            const ours = new Set<string>([...desired.accounts.map((a) => a.username), ...desired.groups.map((g) => g.name)]);
            for (const f of ETC) {
              const lines = once[f].toString('latin1').split('\n');
              const owned = new Set(lines.map((l) => entryName(l) ?? '').filter((n) => ours.has(n) || /^team[0-9]-x[0-9]+$/.test(n)));
              expect(unmanagedLines(once[f].toString('latin1'), owned)).toEqual(start[f].split('\n'));
            }
          }
          // The last state desired nothing: every line Roster wrote is gone, the rest is as it was.
          const end = await etcBytes(root);
          for (const f of ETC) expect(end[f].toString('latin1')).toBe(start[f]);
        } finally {
          await removeRoot(root);
        }
      }),
      { numRuns: 60 },
    );
  });
});
