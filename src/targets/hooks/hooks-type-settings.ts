import { posix } from 'node:path';
import * as z from 'zod';

/** Hooks run as argument arrays, never through a shell (DESIGN.md §7). */
const argv = z
  .array(z.string())
  .min(1)
  .superRefine((args, ctx) => {
    const program = args[0];
    if (program !== undefined && !posix.isAbsolute(program)) {
      ctx.addIssue({ code: 'custom', path: [0], message: `the program must be an absolute path (hooks run without a shell or PATH), got "${program}"` });
    }
  });

/** roster.yaml `types.<type>.targets.hooks`: the admin hooks run for the type's accounts. */
export const hooksTypeSettingsSchema = z
  .strictObject({
    onCreate: argv.optional().describe('a program and its arguments run once when an account is created on a host (no shell; the account is passed in the environment)'),
    onEnsure: argv.optional().describe('a program and its arguments run on every apply for every active account, after onCreate'),
    timeoutSeconds: z.int().min(1).max(86_400).default(30).describe('how long a hook may run before it is stopped and counted as failed'),
  })
  .describe('admin hooks, run by the hooks target');

export type HooksEntry = z.output<typeof hooksTypeSettingsSchema>;

/** The hooks entry as it crosses the wire to an agent. */
export const hooksEntrySchema = z.object({
  onCreate: z.array(z.string().max(4096)).optional(),
  onEnsure: z.array(z.string().max(4096)).optional(),
  timeoutSeconds: z.number().positive(),
}) satisfies z.ZodType<HooksEntry>;
