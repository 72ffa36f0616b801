import type { DesiredHost } from '../desired/desired-host.js';

/** Where archives go when neither the target's section nor roster.yaml `purge.archiveDir` says. */
const DEFAULT_ARCHIVE_DIR = '/var/lib/roster/archive';

/** A target's own say on archives (its host section's `archive` and `archiveDir`), which overrides roster.yaml `purge`. */
export interface ArchiveOverride {
  readonly archive?: boolean | undefined;
  readonly archiveDir?: string | undefined;
}

/**
 * Whether and where what a purge removes is archived first (homes, database
 * dumps): the target's host section, else roster.yaml `purge`, else on, in
 * /var/lib/roster/archive.
 */
export function archiveSettings(config: ArchiveOverride, purge: DesiredHost['purge']): { readonly enabled: boolean; readonly dir: string } {
  return { enabled: config.archive ?? purge?.archive ?? true, dir: config.archiveDir ?? purge?.archiveDir ?? DEFAULT_ARCHIVE_DIR };
}
