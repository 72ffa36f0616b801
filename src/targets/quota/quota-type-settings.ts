import { posix } from 'node:path';
import * as z from 'zod';

const CONTROL = /[\u0000-\u001f\u007f]/;

const SIZE_UNITS: Readonly<Record<string, number>> = { K: 1, M: 1024, G: 1024 ** 2, T: 1024 ** 3 };
const SIZE_HELP = 'must be a size such as 500M, 5G or 1024K, or a whole number of KiB';

/** Quota sizes in KiB, the unit setquota(8) uses for block limits. */
const size = z.union([z.number(), z.string()], { error: SIZE_HELP }).transform((value, ctx) => {
  let kib: number | null = null;
  if (typeof value === 'number') kib = value;
  else {
    const m = /^(\d+)\s*([KMGT])?$/i.exec(value.trim());
    if (m !== null) kib = Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'K').toUpperCase()] ?? 1);
  }
  if (kib === null || !Number.isSafeInteger(kib) || kib < 0) {
    ctx.addIssue({ code: 'custom', message: SIZE_HELP });
    return z.NEVER;
  }
  return kib;
});

const absolutePath = z.string().superRefine((p, ctx) => {
  let message: string | null = null;
  if (!posix.isAbsolute(p)) message = `must be an absolute path, got "${p}"`;
  else if (CONTROL.test(p)) message = 'must not contain control characters or newlines';
  else if (p.split('/').includes('..')) message = "must not contain '..'";
  if (message !== null) ctx.addIssue({ code: 'custom', message });
});

function hardAtLeastSoft(quota: { readonly soft: number; readonly hard: number }, ctx: z.RefinementCtx): void {
  if (quota.hard < quota.soft) {
    ctx.addIssue({ code: 'custom', path: ['hard'], message: `hard limit (${quota.hard} KiB) is below the soft limit (${quota.soft} KiB)` });
  }
}

const softLimit = size.describe('the soft limit: exceeded for a grace time only');
const hardLimit = size.describe('the hard limit: never exceeded');
const quota = z.strictObject({ soft: softLimit, hard: hardLimit }).superRefine(hardAtLeastSoft);
const mailQuota = z.strictObject({ soft: softLimit, hard: hardLimit, path: absolutePath.describe('a path on the mail filesystem') }).superRefine(hardAtLeastSoft);

/** roster.yaml `types.<type>.targets.quota`: the disk quotas of the type's accounts (soft and hard limits: 500M, 5G, or a number of KiB). */
export const quotaTypeSettingsSchema = z
  .strictObject({
    home: quota.optional().describe('the block quota on the filesystem of the home directory'),
    mail: mailQuota.optional().describe('the block quota on the filesystem holding path (the mail spool)'),
    elsewhere: quota.optional().describe('the block quota on other filesystems where daemons write files owned by the account'),
  })
  .describe('disk quotas (soft and hard limits: 500M, 5G, or a number of KiB), set by the quota target');

/** An account's quotas in KiB. */
export type AccountQuotas = z.output<typeof quotaTypeSettingsSchema>;

const limits = z.object({ soft: z.int().min(0), hard: z.int().min(0) });

/** The quota entry as it crosses the wire to an agent. */
export const quotaEntrySchema = z.object({
  home: limits.optional(),
  mail: limits.extend({ path: z.string().startsWith('/').max(4096) }).optional(),
  elsewhere: limits.optional(),
}) satisfies z.ZodType<AccountQuotas>;

/** An account type's quotas from its `targets` section (checked when roster.yaml was loaded; a type without one has none). */
export function typeQuotas(typeTargets: Readonly<Record<string, unknown>>): AccountQuotas {
  return quotaTypeSettingsSchema.parse(typeTargets.quota ?? {});
}
