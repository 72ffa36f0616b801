import { lstat, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import * as z from 'zod';
import type { DesiredHost } from '../../src/desired/desired-host.js';
import { rootedPath } from '../../src/system/rooted-path.js';
import { defineTarget, targetEntry, type Change, type ChangeResult, type TargetContext, type UsageItem, type VerifyFailure } from '../../src/targets/target.js';

/**
 * A small target that lives only in this test folder, to show that a target
 * is one declaration (DESIGN.md §10 "Targets are plugins"): it writes one
 * stamp file per enabled account, `<dir>/<username>`, holding a greeting set
 * per account type. Nothing outside this folder names it.
 */
const NAME = 'stamps';

const hostSettings = z
  .strictObject({ dir: z.string().startsWith('/').default('/var/lib/stamps').describe('where the stamp files are written') })
  .describe('stamp files, one per account');

const typeSettings = z
  .strictObject({ greeting: z.string().regex(/^[a-z]+$/, { error: 'must be a lower-case word' }).default('hello').describe('the first word of the stamp') })
  .describe("the stamps of the type's accounts");

/** What the projection makes of an account: the whole line of its stamp. */
const entry = z.object({ line: z.string().max(256) });
type StampEntry = z.output<typeof entry>;

const stampOf = targetEntry<StampEntry>(NAME, () => ({ line: 'hello' }));

interface Observed {
  readonly stamps: ReadonlyMap<string, string | null>;
}

function pathOf(ctx: TargetContext, dir: string, username: string): string {
  return rootedPath(ctx.root, posix.join(dir, username));
}

export const stampsTarget = defineTarget<z.output<typeof hostSettings>, Observed, z.output<typeof typeSettings>, StampEntry>({
  name: NAME,
  hostSettings,
  typeSettings,
  entry,
  project: (account, settings) => ({ line: `${settings.greeting} ${account.username}` }),
  services: ['stamps'],
  // A stamp is written for an account that exists on the host.
  after: ['unix'],
  resourceKinds: { stamp: { description: 'an extra stamp an account owns', settings: z.strictObject({ color: z.enum(['red', 'blue']).describe('its colour') }) } },

  async observe(ctx, config, desired: DesiredHost): Promise<Observed> {
    const stamps = new Map<string, string | null>();
    for (const a of desired.accounts) stamps.set(a.username, await readFile(pathOf(ctx, config.dir, a.username), 'utf8').catch(() => null));
    return { stamps };
  },

  plan(desired, observed): readonly Change[] {
    return desired.accounts
      .filter((a) => !a.disabled && observed.stamps.get(a.username) !== `${stampOf(a).line}\n`)
      .map((a) => ({ target: NAME, action: 'write', subject: `user:${a.username}`, account: a.username, summary: `stamp ${a.username}: ${stampOf(a).line}`, destructive: false, data: { username: a.username, uid: a.uid, gid: a.gid, line: stampOf(a).line } }));
  },

  async apply(ctx, config, changes): Promise<readonly ChangeResult[]> {
    await mkdir(rootedPath(ctx.root, config.dir), { recursive: true });
    const results: ChangeResult[] = [];
    for (const change of changes) {
      const d = change.data as { readonly username: string; readonly line: string };
      // Follows a symbolic link on purpose: the test uses one to /dev/null to make a write that does not take effect.
      await writeFile(pathOf(ctx, config.dir, d.username), `${d.line}\n`);
      results.push({ change, ok: true });
    }
    return results;
  },

  /** What each account's stamp takes: its file's length (a test's stand-in for a database's size). */
  async usage(ctx, config, desired): Promise<readonly UsageItem[]> {
    const items: UsageItem[] = [];
    for (const a of desired.accounts) {
      const st = await stat(pathOf(ctx, config.dir, a.username)).catch(() => null);
      if (st?.isFile() === true) items.push({ account: a.username, subject: `stamp:${posix.join(config.dir, a.username)}`, bytes: st.size });
    }
    return items;
  },

  /** Reads each stamp back: a write that went elsewhere is not in effect. */
  async verify(ctx, config, results): Promise<readonly VerifyFailure[]> {
    const failures: VerifyFailure[] = [];
    for (const { change } of results) {
      const d = change.data as { readonly username: string; readonly line: string };
      const path = pathOf(ctx, config.dir, d.username);
      const text = await readFile(path, 'utf8').catch(() => '');
      if (text !== `${d.line}\n`) failures.push({ change, error: `${path} reads ${JSON.stringify(text)}${(await lstat(path)).isSymbolicLink() ? ' (a symbolic link)' : ''}` });
    }
    return failures;
  },
});

