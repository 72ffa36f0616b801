import { posix } from 'node:path';
import * as z from 'zod';

const CONTROL = /[\u0000-\u001f\u007f]/;

const absolutePath = z.string().superRefine((p, ctx) => {
  let message: string | null = null;
  if (!posix.isAbsolute(p)) message = `must be an absolute path, got "${p}"`;
  else if (CONTROL.test(p)) message = 'must not contain control characters or newlines';
  else if (p.split('/').includes('..')) message = "must not contain '..'";
  if (message !== null) ctx.addIssue({ code: 'custom', message });
});

const relativePath = z.string().superRefine((p, ctx) => {
  let message: string | null = null;
  if (p === '') message = 'must not be empty';
  else if (posix.isAbsolute(p)) message = `must be relative to the home directory, got "${p}"`;
  else if (p.split('/').includes('..')) message = "must not contain '..'";
  else if (CONTROL.test(p)) message = 'must not contain control characters or newlines';
  if (message !== null) ctx.addIssue({ code: 'custom', message });
});

const mode = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? "must be a quoted octal mode such as '0750' (unquoted, YAML reads 0750 as the decimal number 750)"
        : undefined,
  })
  .regex(/^0?[0-7]{3,4}$/, { error: "must be an octal mode such as '0750'" })
  .transform((m) => Number.parseInt(m, 8));

const skeletonEntry = z.strictObject({ from: absolutePath.describe('the source, an absolute path'), to: relativePath.describe('where in the home, relative to it') });

/** roster.yaml `types.<type>.targets.homes`: the home directories of the type's accounts. */
export const homesTypeSettingsSchema = z
  .strictObject({
    mode: mode.prefault('0750').describe("the mode of a new home directory, quoted octal such as '0750'"),
    owner: z.enum(['user', 'root']).default('user').describe('who owns the home directory: the account, or root (the account still owns what is inside)'),
    skeleton: z
      .strictObject({
        copy: z.array(skeletonEntry).default(() => []).describe('files copied into a new home: from an absolute path to a path relative to the home'),
        link: z.array(skeletonEntry).default(() => []).describe('symbolic links made in a new home: to an absolute path, at a path relative to the home'),
      })
      .prefault({})
      .describe('skeleton files for new accounts only (a missing source file is skipped with a warning, as useradd does)'),
  })
  .describe("the home directories of the type's accounts: mode, owner and skeleton");

/** An account's homes entry in the desired state: its type's settings with the mode as a number. */
export type HomesEntry = z.output<typeof homesTypeSettingsSchema>;

const wirePath = z.string().startsWith('/').max(4096);
const wireEntry = z.object({ from: wirePath, to: z.string().max(4096) });

/** The homes entry as it crosses the wire to an agent. */
export const homesEntrySchema = z.object({
  mode: z.int().min(0).max(0o7777),
  owner: z.enum(['user', 'root']),
  skeleton: z.object({ copy: z.array(wireEntry), link: z.array(wireEntry) }),
}) satisfies z.ZodType<HomesEntry>;
