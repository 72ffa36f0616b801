import { posix } from 'node:path';
import * as z from 'zod';

const mountPath = z.string().superRefine((p, ctx) => {
  if (!posix.isAbsolute(p) || p.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: `must be an absolute path without '..', got "${p}"` });
  else if (posix.normalize(p) !== p || (p.length > 1 && p.endsWith('/'))) ctx.addIssue({ code: 'custom', message: `must be normalised (no //, . or trailing /), e.g. ${posix.normalize(p).replace(/(.)\/$/, '$1')}` });
});

/**
 * roster.yaml `hosts.<host>.targets.quota` (DESIGN.md §4, RATS steps 11-13).
 * Filesystems are paths as seen on the host (a mount point, or for setquota
 * any path on the filesystem); the root prefix is put in front of them.
 */
export const quotaConfigSchema = z
  .strictObject({
    /** `setquota`: per-UID kernel quotas (setquota(8), read back with repquota(8)). `btrfs`: a qgroup limit on each home subvolume. */
    backend: z.enum(['setquota', 'btrfs']).default('setquota').describe('setquota: per-UID kernel quotas (setquota(8), read back with repquota(8)); btrfs: a qgroup limit on each home subvolume'),
    filesystems: z
      .strictObject({
        /** Where homes live: the account type's home quota goes here. */
        home: mountPath.default('/home').describe("the filesystem of the homes: the type's home quota goes here"),
        /** Where mail lives; without it a type's mail quota goes to the type's `targets.quota.mail.path`. */
        mail: mountPath.optional().describe("the mail filesystem; without it a type's mail quota goes to its targets.quota.mail.path"),
        /** RATS step 13: the other filesystems a user could fill; the type's `elsewhere` quota goes on each. */
        elsewhere: z.array(mountPath).default(() => []).describe("other filesystems a user could fill; the type's elsewhere quota goes on each"),
      })
      .prefault({})
      .describe('filesystems as seen on the host'),
  })
  .superRefine((c, ctx) => {
    if (c.backend === 'btrfs') {
      // A qgroup limits a subvolume, not a user: a per-user limit on a
      // shared mail spool or /srv cannot be expressed with it.
      if (c.filesystems.mail !== undefined) ctx.addIssue({ code: 'custom', path: ['filesystems', 'mail'], message: 'btrfs qgroups limit home subvolumes only; mail quotas need the setquota backend' });
      if (c.filesystems.elsewhere.length > 0) ctx.addIssue({ code: 'custom', path: ['filesystems', 'elsewhere'], message: 'btrfs qgroups limit home subvolumes only; elsewhere quotas need the setquota backend' });
    }
    const seen = new Set<string>();
    c.filesystems.elsewhere.forEach((fs, i) => {
      if (seen.has(fs)) ctx.addIssue({ code: 'custom', path: ['filesystems', 'elsewhere', i], message: `${fs} is listed twice` });
      seen.add(fs);
    });
  })
  .describe('disk quotas from the account types, with setquota or btrfs qgroups');

export type QuotaConfig = z.output<typeof quotaConfigSchema>;
