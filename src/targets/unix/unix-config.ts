import * as z from 'zod';

/**
 * `hosts.<name>.targets.unix` in roster.yaml (DESIGN.md §9.8: each target
 * validates its own section, strictly, so a typo is an error).
 */
export const unixConfigSchema = z.strictObject({
  // RATS internals 3: "group entries should not be longer than 1024
  // characters". Counted in bytes of the line without its newline, as the C
  // buffers that imposed the limit did. Below 64 not even one long name fits.
  groupLineLimit: z.int().min(64).max(1_048_576).default(1024).describe('the longest group line in bytes; longer ones are split into continuation lines sharing the GID'),
  // The <ext> of `<group>-<ext><n>` continuation lines (RATS internals 3).
  splitExtension: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,7}$/, { error: 'must be 1 to 8 lower-case letters, digits or _, starting with a letter or _' })
    .default('x')
    .describe('continuation lines are named <group>-<splitExtension><n>'),
  // Ask nscd/sssd to forget cached entries after a write, as shadow-utils
  // does; only ever when the root is `/` (a prefix is not what they serve).
  flushCaches: z.boolean().default(true).describe('ask nscd and sssd to forget cached entries after a write (only without a root prefix)'),
  // How long to wait for /etc/.pwd.lock and the <file>.lock files; glibc's
  // lckpwdf gives up after 15 seconds, so a waiting useradd fails at the same
  // moment we would.
  lockTimeoutSeconds: z.number().positive().max(3600).default(15).describe('how long to wait for the shadow-utils locks'),
})
  .describe('passwd, shadow, group and gshadow');

export type UnixConfig = z.output<typeof unixConfigSchema>;
