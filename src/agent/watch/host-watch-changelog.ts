import { readHostChangelog } from '../host-changelog.js';
import type { WatchChangelogEntry } from './watch-report.js';

/**
 * The host's changelog as a watch turn reads it: the agent's copy of the
 * server's entries (Roster's own applies among them, source `apply`) and
 * the entries people appended to `/root/changelog` since.
 */
export async function hostWatchChangelog(root: string): Promise<readonly WatchChangelogEntry[]> {
  return readHostChangelog(root);
}
