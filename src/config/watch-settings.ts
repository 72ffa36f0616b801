import { posix } from 'node:path';
import * as z from 'zod';
import { globProblem } from '../domain/glob-pattern.js';

/**
 * Files whose content `roster watch` never stores nor diffs: listed when
 * they change, known by a keyed hash only (metche leaves out `shadow*` and
 * the host keys; etckeeper's users learnt the hard way that /etc holds
 * secrets). Always applied; `hosts.<h>.watch.secrets` adds to them.
 */
export const BUILT_IN_SECRETS: readonly string[] = [
  'shadow*',
  'gshadow*',
  'ssh_host_*_key',
  '*.key',
  '*.keytab',
  '/etc/ssl/private/**',
  // Roster's own: the agent's token, the LDAP bind password, HMAC keys.
  '*.password',
  '*.token',
  '*.hmac-key',
  // LDAP bind passwords (bindpw, ldap_default_authtok) and old password hashes.
  '/etc/nslcd.conf',
  '/etc/sssd/sssd.conf',
  '/etc/sssd/conf.d/**',
  '/etc/security/opasswd',
];

/**
 * Left out by default: caches and state that change without anyone
 * intervening (ld.so.cache at every library install, adjtime at every clock
 * sync, editor and dpkg leftovers).
 */
export const DEFAULT_EXCLUDES: readonly string[] = ['ld.so.cache', 'adjtime', 'mtab', '*.swp', '*~', '.#*', '*.dpkg-new', '*.dpkg-tmp', '*.ucf-new', '*.ucf-old'];

const glob = z.string().superRefine((source, ctx) => {
  const problem = globProblem(source);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `is not a pattern: ${problem}` });
});

const watchedDir = z.string().superRefine((dir, ctx) => {
  if (!posix.isAbsolute(dir)) ctx.addIssue({ code: 'custom', message: `must be an absolute directory, got "${dir}"` });
  else if (posix.normalize(dir) !== dir || (dir.length > 1 && dir.endsWith('/'))) ctx.addIssue({ code: 'custom', message: `must be normalised (no //, . or .., no trailing /), got "${dir}"` });
  else if (dir === '/') ctx.addIssue({ code: 'custom', message: 'must not be / (watch the configuration directories, e.g. /etc)' });
});

/**
 * `hosts.<h>.watch` (seed GlobeNet, after metche): which directories
 * `roster watch` snapshots on the host, and its quiet period and retention.
 * Present (even `watch: {}`) turns watching on for the host's agent and
 * around `roster apply`.
 */
export const watchSettingsSchema = z
  .strictObject({
    dirs: z
      .array(watchedDir)
      .min(1)
      .max(64)
      .default(() => ['/etc'])
      .describe("directories snapshotted (content, mode, owner, group, symlink targets), e.g. [/etc, /var/lib/mailman/lists] for the list manager's and web server's configuration"),
    quietMinutes: z.int().min(1).max(7 * 24 * 60).default(60).describe('a change becomes a report once the tree has stayed unchanged this long (metche: unstable to testing)'),
    maxUnstableHours: z
      .int()
      .min(1)
      .max(90 * 24)
      .default(24)
      .describe('a tree that never stays unchanged for quietMinutes is reported anyway once its first unreported change is this old (and old snapshots can be pruned)'),
    stableDays: z.int().min(1).max(365).default(3).describe('a reported state is called stable after this many days'),
    secrets: z.array(glob).max(256).default(() => []).describe(`more files listed as changed but never stored nor diffed (a keyed hash only), besides the built-in ${BUILT_IN_SECRETS.join(', ')}`),
    exclude: z
      .array(glob)
      .max(256)
      .default(() => [...DEFAULT_EXCLUDES])
      .describe('files and directories not watched at all: a pattern without / matches a name anywhere, one with / the whole path (** crosses directories)'),
    keepDays: z.int().min(1).max(3650).default(90).describe('reports, and the snapshots and file contents only they use, are pruned this many days after their state became stable'),
    privateFilesSecret: z
      .boolean()
      .default(true)
      .describe('regular files that others may not read (no o+r bit: 0600, 0640) are treated as secrets: listed when they change, never stored nor diffed'),
    maxFileBytes: z
      .int()
      .min(0)
      .max(1024 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe('larger files are hashed and listed when they change, but their content is not kept for diffs'),
  })
  .describe('change watch on the host (roster watch): snapshots, quiet-period reports, diffs kept on the host');

export type WatchSettings = z.output<typeof watchSettingsSchema>;

/** The settings of a host that sets nothing. */
export function defaultWatchSettings(): WatchSettings {
  return watchSettingsSchema.parse({});
}
