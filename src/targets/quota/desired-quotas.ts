import type { DesiredHost } from '../../desired/desired-host.js';
import { targetEntry } from '../target.js';
import type { QuotaConfig } from './quota-config.js';
import { quotaTypeSettingsSchema, type AccountQuotas } from './quota-type-settings.js';

/** The account's quotas in KiB (its type's `targets.quota`). */
export const quotasOf = targetEntry<AccountQuotas>('quota', () => quotaTypeSettingsSchema.parse({}));

export type QuotaKind = 'home' | 'mail' | 'elsewhere';

/** The block limits one UID should have on one filesystem (KiB; 0 = no limit). */
export interface UserQuota {
  readonly filesystem: string;
  readonly uid: number;
  readonly usernames: readonly string[];
  /** The quotas that add up to this limit, e.g. home and mail on one filesystem. */
  readonly kinds: readonly QuotaKind[];
  readonly soft: number;
  readonly hard: number;
}

/** 0 means "no limit" in setquota(8), so it absorbs: unlimited plus anything stays unlimited. */
function add(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a + b;
}

/**
 * Per-UID limits on each filesystem (RATS steps 11-13).
 *
 * Step 11 says: "if the user already exists, the old quota is read and the
 * new one is added to the existing one". In RATS a person has one Unix user
 * and each further account type adds its quota to that user's. In Roster
 * each account has its own UID, and kernel quotas are per UID, so a person
 * with several accounts on a host gets each account's own quota and their
 * allowance on a filesystem is the sum of those limits by construction.
 * What step 11 means for us is the general rule behind it: every quota that
 * lands on the same (filesystem, UID) adds up — home and mail quotas on one
 * filesystem, or (should two accounts ever share a UID) both accounts'.
 * The sum is computed from the desired state every time, never "read and
 * add", so applying twice does not double it (RATS would).
 *
 * Step 12: the mail quota goes to `filesystems.mail`, else to the type's
 * `targets.quota.mail.path`. Step 13: the `elsewhere` quota goes to each
 * `filesystems.elsewhere` entry except the one holding the home (and the
 * account's mail filesystem, whose mail quota it would otherwise replace).
 * Disabled accounts keep their quotas (DESIGN.md §4).
 */
export function desiredUserQuotas(desired: DesiredHost, config: QuotaConfig): UserQuota[] {
  const byKey = new Map<string, { filesystem: string; uid: number; usernames: Set<string>; kinds: Set<QuotaKind>; soft: number; hard: number }>();
  const put = (filesystem: string, uid: number, username: string, kind: QuotaKind, soft: number, hard: number): void => {
    const key = `${filesystem}\0${uid}`;
    const had = byKey.get(key);
    if (had === undefined) {
      byKey.set(key, { filesystem, uid, usernames: new Set([username]), kinds: new Set([kind]), soft, hard });
      return;
    }
    had.usernames.add(username);
    had.kinds.add(kind);
    had.soft = add(had.soft, soft);
    had.hard = add(had.hard, hard);
  };
  const homeFs = config.filesystems.home;
  for (const a of desired.accounts) {
    const q = quotasOf(a);
    if (q.home !== undefined) put(homeFs, a.uid, a.username, 'home', q.home.soft, q.home.hard);
    const mailFs = q.mail === undefined ? undefined : (config.filesystems.mail ?? q.mail.path);
    if (q.mail !== undefined && mailFs !== undefined) put(mailFs, a.uid, a.username, 'mail', q.mail.soft, q.mail.hard);
    if (q.elsewhere !== undefined) {
      for (const fs of config.filesystems.elsewhere) {
        if (fs !== homeFs && fs !== mailFs) put(fs, a.uid, a.username, 'elsewhere', q.elsewhere.soft, q.elsewhere.hard);
      }
    }
  }
  return [...byKey.values()]
    .map((v) => ({ filesystem: v.filesystem, uid: v.uid, usernames: [...v.usernames].sort(), kinds: [...v.kinds], soft: v.soft, hard: v.hard }))
    .sort((x, y) => (x.filesystem === y.filesystem ? x.uid - y.uid : x.filesystem < y.filesystem ? -1 : 1));
}

/** Every filesystem this host's quotas touch: the configured ones and any type's mail path. */
export function quotaFilesystems(desired: DesiredHost, config: QuotaConfig): string[] {
  const all = new Set<string>([config.filesystems.home, ...(config.filesystems.mail === undefined ? [] : [config.filesystems.mail]), ...config.filesystems.elsewhere]);
  for (const q of desiredUserQuotas(desired, config)) all.add(q.filesystem);
  return [...all].sort();
}

/** The limit (bytes, null = none) each home subvolume should carry: btrfs qgroups have a hard limit only. */
export function desiredHomeLimits(desired: DesiredHost): Map<string, { readonly usernames: readonly string[]; readonly bytes: number | null }> {
  const out = new Map<string, { usernames: string[]; kib: number | null }>();
  for (const a of desired.accounts) {
    const hard = quotasOf(a).home?.hard;
    const kib = hard === undefined || hard === 0 ? null : hard;
    const had = out.get(a.home);
    if (had === undefined) out.set(a.home, { usernames: [a.username], kib });
    else {
      had.usernames.push(a.username);
      had.kib = had.kib === null || kib === null ? null : had.kib + kib;
    }
  }
  return new Map([...out].map(([home, v]) => [home, { usernames: v.usernames, bytes: v.kib === null ? null : v.kib * 1024 }]));
}
