import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { watchSettingsSchema, type WatchSettings } from '../../config/watch-settings.js';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import { WATCH_DIR, WatchStore } from './watch-store.js';

/**
 * The host's watch settings as its agent last got them from the server
 * (`hosts.<h>.watch` of roster.yaml lives there), so `roster watch` from a
 * timer on a host without roster.yaml watches what the server says.
 */
export interface KeptWatchSettings {
  readonly host: string;
  /** Null: the host's roster.yaml entry has no `watch` (watching is off for the agent). */
  readonly settings: WatchSettings | null;
  readonly fetchedAt: string;
}

export function watchSettingsPath(root: string): string {
  return posix.join(root, WATCH_DIR, 'settings.json');
}

/** The kept settings, or null when there are none (or they do not check: then the defaults apply). */
export function readKeptWatchSettings(root: string): KeptWatchSettings | null {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(watchSettingsPath(root), 'utf8'));
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const { host, settings, fetchedAt } = json as Record<string, unknown>;
  if (typeof host !== 'string' || typeof fetchedAt !== 'string') return null;
  if (settings === null) return { host, settings: null, fetchedAt };
  const parsed = watchSettingsSchema.safeParse(settings);
  return parsed.success ? { host, settings: parsed.data, fetchedAt } : null;
}

export async function writeKeptWatchSettings(root: string, kept: KeptWatchSettings): Promise<void> {
  new WatchStore(root).ensure();
  await writeFileAtomic(watchSettingsPath(root), `${JSON.stringify(kept)}\n`, { mode: 0o600 });
}
