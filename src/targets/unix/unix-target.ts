import type { Target } from '../target.js';
import { applyUnix } from './unix-apply.js';
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
export const unixTarget: Target<UnixConfig, UnixSnapshot> = {
  name: UNIX_TARGET,
  configSchema: unixConfigSchema,
  observe: (ctx) => readSnapshot(ctx.root),
  plan: (desired, observed, config) => planUnix(desired, observed, config),
  apply: (ctx, config, changes, desired) => applyUnix(ctx, config, changes, desired),
};
