import { posix } from 'node:path';
import * as z from 'zod';

/**
 * pam_limits items and what each accepts, from limits.conf(5) (Linux-PAM
 * 1.5, Debian 12): every item takes a non-negative number or -1 / unlimited /
 * infinity, except priority and nice (a nice value, -20..19), nonewprivs
 * (0 or 1) and rtprio (0..99, no "unlimited" that would mean anything).
 * Units are pam_limits' own: cpu in minutes, as/data/rss/stack/memlock/core/
 * fsize in KiB.
 */
export const LIMIT_ITEMS = [
  'core', 'data', 'fsize', 'memlock', 'nofile', 'rss', 'stack', 'cpu', 'nproc', 'as',
  'maxlogins', 'maxsyslogins', 'nonewprivs', 'priority', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio',
] as const;

export type LimitItem = (typeof LIMIT_ITEMS)[number];

/** A rendered value: a whole number, or `unlimited`. */
export type LimitValue = number | 'unlimited';

const UNLIMITED_WORDS = ['unlimited', 'infinity'];

function valueProblem(item: LimitItem, value: unknown): string | null {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (item === 'nice' || item === 'priority') {
    return Number.isInteger(n) && (n as number) >= -20 && (n as number) <= 19 ? null : `${item} must be a nice value from -20 to 19`;
  }
  if (item === 'nonewprivs') return n === 0 || n === 1 ? null : 'nonewprivs must be 0 or 1';
  if (item === 'rtprio') return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 99 ? null : 'rtprio must be a real-time priority from 0 to 99';
  if (typeof value === 'string' && UNLIMITED_WORDS.includes(value.trim().toLowerCase())) return null;
  if (n === -1) return null;
  return Number.isSafeInteger(n) && (n as number) >= 0 ? null : `${item} must be a whole number ≥ 0, or unlimited`;
}

function normalise(value: unknown): LimitValue {
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (UNLIMITED_WORDS.includes(v)) return 'unlimited';
    return Number(v) === -1 ? 'unlimited' : Number(v);
  }
  return value === -1 ? 'unlimited' : (value as number);
}

const rawValue = z.union([z.number(), z.string()], { error: 'must be a number or unlimited' });

/** `{soft, hard}` (either may be left out), or one value for both. */
const rawLimit = z.union([rawValue, z.strictObject({ soft: rawValue.optional(), hard: rawValue.optional() })]);

export interface Limit {
  readonly soft?: LimitValue;
  readonly hard?: LimitValue;
}

function rank(v: LimitValue): number {
  return v === 'unlimited' ? Number.POSITIVE_INFINITY : v;
}

/** A record of items to limits, each checked against its item's rules (the item is the key, so checks run here). */
const limitSet = z.record(z.string(), rawLimit).transform((raw, ctx) => {
  const out: Partial<Record<LimitItem, Limit>> = {};
  for (const [item, given] of Object.entries(raw)) {
    if (!(LIMIT_ITEMS as readonly string[]).includes(item)) {
      ctx.addIssue({ code: 'custom', path: [item], message: `unknown pam_limits item "${item}" (limits.conf(5) items: ${LIMIT_ITEMS.join(', ')})` });
      continue;
    }
    const key = item as LimitItem;
    const pair = typeof given === 'object' ? given : { soft: given, hard: given };
    if (pair.soft === undefined && pair.hard === undefined) {
      ctx.addIssue({ code: 'custom', path: [item], message: 'give soft, hard or both' });
      continue;
    }
    const limit: { soft?: LimitValue; hard?: LimitValue } = {};
    // One value for both is checked (and reported) once.
    const sides = typeof given === 'object' ? (['soft', 'hard'] as const) : (['soft'] as const);
    for (const which of sides) {
      const v = pair[which];
      if (v === undefined) continue;
      const problem = valueProblem(key, v);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: typeof given === 'object' ? [item, which] : [item], message: problem });
      else limit[which] = normalise(v);
    }
    if (typeof given !== 'object' && limit.soft !== undefined) limit.hard = limit.soft;
    // setrlimit(2) fails with EINVAL when soft exceeds hard, and pam_limits
    // then fails the whole session: refuse it here, where it can be fixed.
    if (limit.soft !== undefined && limit.hard !== undefined && rank(limit.soft) > rank(limit.hard)) {
      ctx.addIssue({ code: 'custom', path: [item], message: `soft limit ${limit.soft} exceeds hard limit ${limit.hard}` });
    }
    out[key] = limit;
  }
  return out;
});

const confPath = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || p.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: `must be an absolute path without '..', got "${p}"` });
  // pam_limits reads only *.conf files from limits.d.
  else if (!p.endsWith('.conf')) ctx.addIssue({ code: 'custom', message: 'must end in .conf (pam_limits reads only *.conf files in limits.d)' });
});

/** roster.yaml `hosts.<host>.targets.limits`. */
export const limitsConfigSchema = z.strictObject({
  path: confPath.default('/etc/security/limits.d/roster.conf').describe('the pam_limits file Roster writes'),
  /** Limits for every account living on the host. */
  perHost: limitSet.default(() => ({})).describe('limits for every account living on the host, by limits.conf(5) item (nproc, as, cpu …): a value for both, or { soft, hard }'),
  /** Per account type; an item named here replaces the host's entry for that item. */
  perType: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, { error: 'must be an account type name' }), limitSet).default(() => ({})).describe("limits per account type; an item named here replaces the host's"),
})
  .describe('pam_limits limits (nproc, as, cpu …) per host and per account type');

export type LimitsConfig = z.output<typeof limitsConfigSchema>;
