import { defineTarget } from '../target.js';
import { applyUnix } from './unix-apply.js';
import { nameCacheCheck } from './name-cache-check.js';
import { unixConfigSchema, type UnixConfig } from './unix-config.js';
import type { UnixSnapshot } from './unix-files.js';
import { planUnix, UNIX_TARGET } from './unix-plan.js';
import { readSnapshot } from './read-snapshot.js';

/**
 * The `unix` target (DESIGN.md §4): passwd, shadow, group and gshadow under
 * the context's root, shadow-utils compatible (locks, `+`/`-` files, order).
 * Roster rewrites only the entries it owns and keeps every other line byte
 * for byte and in place.
 */
export const unixTarget = defineTarget<UnixConfig, UnixSnapshot>({
  name: UNIX_TARGET,
  hostSettings: unixConfigSchema,
  doctor: nameCacheCheck,
  // A purge archives the home with the account's passwd, shadow and group
  // lines read from the files before this removes them (a failed archive
  // then keeps them: the pipeline skips an account's later changes once one
  // failed). Creating a home needs no passwd entry (chown is by number).
  after: ['homes'],
  observe: (ctx) => readSnapshot(ctx.root),
  plan: (desired, observed, config) => planUnix(desired, observed, config),
  apply: (ctx, config, changes, desired) => applyUnix(ctx, config, changes, desired),
});
