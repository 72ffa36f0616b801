import * as z from 'zod';
import { normalisedPath } from '../normalised-path.js';

/**
 * A home base such as /home. `/` itself is refused: a base is the set of
 * directories Roster may create, archive and delete, and all of the system
 * must never be that (DESIGN.md §7: paths inside the home base only).
 */
const base = normalisedPath.refine((p) => p !== '/', { error: 'must not be / (a base is where Roster may create and delete homes)' });

/**
 * roster.yaml `hosts.<host>.targets.homes` (DESIGN.md §4): where homes may
 * live and where purged homes are archived. Paths are as seen on the host;
 * the pipeline puts them under the root prefix.
 */
export const homesConfigSchema = z.strictObject({
  /** Allowed bases: a home must lie strictly inside one of them. */
  base: z
    .union([base, z.array(base).min(1)])
    .default(['/home'])
    .transform((b) => (typeof b === 'string' ? [b] : b))
    .describe('where homes may live: a directory or a list; a home must lie strictly inside one'),
  /** Archive purged homes before removing them; default roster.yaml `purge.archive`. */
  archive: z.boolean().optional().describe('archive purged homes before removing them; default purge.archive'),
  /** Where archives go (mode 0700, root); default roster.yaml `purge.archiveDir`. */
  archiveDir: normalisedPath.optional().describe('where archives go (mode 0700, root); default purge.archiveDir'),
})
  .describe('home directories: created with skeleton files, mode and owner; archived and removed on purge');

export type HomesConfig = z.output<typeof homesConfigSchema>;
