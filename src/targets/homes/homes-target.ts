import { constants, closeSync, fchmodSync, fchownSync, fstatSync, openSync } from 'node:fs';
import type { DesiredAccount, DesiredHost, RemovedAccount } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { defineTarget, targetEntry, type Change, type ChangeResult, type TargetContext } from '../target.js';
import { createHome, HomeCreation, type CreatedHome, type NewHome } from './create-home.js';
import { archiveComplete, archiveHome, removeHome, restorableArchives, restoreHome, type ArchiveRef } from './home-archive.js';
import { archiveSpaceCheck } from './archive-space-check.js';
import { homesConfigSchema, type HomesConfig } from './homes-config.js';
import { homesEntrySchema, homesTypeSettingsSchema, type HomesEntry } from './homes-type-settings.js';
import { homeUsage } from './home-usage.js';
import { homeProblem, inspectPath, underRoot, type ParentCache, type PathState } from './path-safety.js';

const NAME = 'homes';

export interface HomesObserved {
  /** State of each managed home, by username (accounts and purged accounts inside the bases). */
  readonly homes: ReadonlyMap<string, PathState>;
  /** Restorable archives, key `username:uid`. */
  readonly archives: ReadonlyMap<string, ArchiveRef>;
}

type HomesChangeData =
  | { readonly kind: 'refuse'; readonly problem: string }
  | { readonly kind: 'create'; readonly spec: NewHome }
  | { readonly kind: 'restore'; readonly home: string; readonly archive: string }
  | { readonly kind: 'update'; readonly home: string; readonly mode: number; readonly uid: number; readonly gid: number }
  | { readonly kind: 'archive'; readonly removed: RemovedAccount }
  | { readonly kind: 'remove'; readonly removed: RemovedAccount };

/** The account's mode, owner and skeleton (its type's `targets.homes`). */
const homeOf = targetEntry<HomesEntry>(NAME, () => homesTypeSettingsSchema.parse({}));

function ownerOf(a: DesiredAccount): number {
  return homeOf(a).owner === 'root' ? 0 : a.uid;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function change(account: string, action: string, summary: string, data: HomesChangeData, destructive = false): Change {
  return { target: NAME, action, subject: `user:${account}`, account, summary, destructive, data };
}

/**
 * Home directories (DESIGN.md §4, RATS steps 10, 14, 15 and removal):
 * created with the type's mode and owner (group: the primary GID) and the
 * skeleton for new homes only; mode and owner kept; untouched while the
 * account is disabled (data kept); on purge archived (tarball with a SHA-256
 * manifest and the account's /etc lines) and then removed; after `roster
 * account restore`, brought back from the archive instead of a new skeleton.
 * Homes must lie inside the configured bases and no symlink is ever followed.
 */
export const homesTarget = defineTarget<HomesConfig, HomesObserved, HomesEntry>({
  name: NAME,
  hostSettings: homesConfigSchema,
  doctor: archiveSpaceCheck,
  // What each home takes, for `roster usage` (and charging members for it).
  usage: homeUsage,
  typeSettings: homesTypeSettingsSchema,
  movedTypeKeys: { homeMode: 'homes.mode', homeOwner: 'homes.owner', skeleton: 'homes.skeleton' },
  entry: homesEntrySchema,

  async observe(ctx: TargetContext, config: HomesConfig, desired: DesiredHost): Promise<HomesObserved> {
    const cache: ParentCache = new Map();
    const homes = new Map<string, PathState>();
    for (const a of desired.accounts) {
      if (!a.disabled && homeProblem(a.home, config.base) === null) homes.set(a.username, inspectPath(ctx.root, a.home, cache));
    }
    for (const r of desired.removed) {
      if (homeProblem(r.home, config.base) === null) homes.set(r.username, inspectPath(ctx.root, r.home, cache));
    }
    return { homes, archives: restorableArchives(ctx.root, archiveSettings(config, desired.purge).dir) };
  },

  plan(desired: DesiredHost, observed: HomesObserved, config: HomesConfig): readonly Change[] {
    const changes: Change[] = [];
    for (const a of desired.accounts) {
      // Disabled: untouched, whatever state the home is in (DESIGN.md §4).
      if (a.disabled) continue;
      const problem = homeProblem(a.home, config.base);
      const state = observed.homes.get(a.username) ?? { kind: 'missing' };
      const refuse = (why: string): void => void changes.push(change(a.username, 'refuse', `cannot manage the home of ${a.username}: ${why}`, { kind: 'refuse', problem: why }));
      if (problem !== null) refuse(problem);
      else if (state.kind === 'unsafe') refuse(`refusing ${a.home}: ${state.problem}`);
      else if (state.kind === 'symlink') refuse(`refusing ${a.home}: it is a symbolic link`);
      else if (state.kind === 'other') refuse(`${a.home} exists and is not a directory`);
      else if (state.kind === 'missing') {
        const archive = observed.archives.get(`${a.username}:${a.uid}`);
        if (archive !== undefined) {
          changes.push(change(a.username, 'restore', `restore ${a.home} from archive ${archive.name}`, { kind: 'restore', home: a.home, archive: archive.name }));
        } else {
          const { mode, skeleton } = homeOf(a);
          const spec: NewHome = { home: a.home, ownerUid: ownerOf(a), gid: a.gid, uid: a.uid, mode, copy: skeleton.copy, link: skeleton.link };
          const skel = skeleton.copy.length + skeleton.link.length;
          changes.push(change(a.username, 'create', `create ${a.home} (${octal(mode)}, ${ownerOf(a)}:${a.gid})${skel > 0 ? ` with ${skel} skeleton entr${skel === 1 ? 'y' : 'ies'}` : ''}`, { kind: 'create', spec }));
        }
      } else if (state.mode !== homeOf(a).mode || state.uid !== ownerOf(a) || state.gid !== a.gid) {
        changes.push(
          change(a.username, 'update', `set ${a.home} to ${octal(homeOf(a).mode)} ${ownerOf(a)}:${a.gid} (is ${octal(state.mode)} ${state.uid}:${state.gid})`, {
            kind: 'update',
            home: a.home,
            mode: homeOf(a).mode,
            uid: ownerOf(a),
            gid: a.gid,
          }),
        );
      }
    }
    const archive = archiveSettings(config, desired.purge);
    for (const r of desired.removed) {
      const state = observed.homes.get(r.username);
      if (state === undefined || state.kind === 'missing') continue;
      if (state.kind !== 'directory') {
        const why = state.kind === 'unsafe' ? state.problem : state.kind === 'symlink' ? 'it is a symbolic link' : 'it is not a directory';
        changes.push(change(r.username, 'refuse', `cannot remove the home of purged ${r.username}: refusing ${r.home}: ${why}`, { kind: 'refuse', problem: why }));
        continue;
      }
      // A directory owned by someone else is not this account's home any more.
      if (state.uid !== r.uid && state.uid !== 0) {
        const why = `${r.home} belongs to uid ${state.uid}, not ${r.uid}`;
        changes.push(change(r.username, 'refuse', `cannot remove the home of purged ${r.username}: ${why}`, { kind: 'refuse', problem: why }));
        continue;
      }
      if (archive.enabled) changes.push(change(r.username, 'archive', `archive ${r.home} to ${archive.dir}`, { kind: 'archive', removed: r }));
      changes.push(change(r.username, 'remove', `remove ${r.home}${archive.enabled ? ' (after its archive)' : ' (archiving is off)'}`, { kind: 'remove', removed: r }, true));
    }
    return changes;
  },

  async apply(ctx: TargetContext, config: HomesConfig, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]> {
    const homes = new HomeCreation(ctx.root);
    const archive = archiveSettings(config, desired.purge);
    const failed = new Set<string>();
    const results: ChangeResult[] = [];
    for (const c of changes) {
      const data = c.data as HomesChangeData;
      try {
        if (c.account !== undefined && failed.has(c.account)) throw new RosterError('conflict', `skipped: an earlier change for ${c.account} failed`);
        const detail = await applyOne(ctx, data, homes, archive);
        results.push({ change: c, ok: true, detail, ...(data.kind === 'create' ? skeletonWarnings(detail as CreatedHome) : {}) });
      } catch (e) {
        if (c.account !== undefined) failed.add(c.account);
        results.push({ change: c, ok: false, error: errorMessage(e) });
      }
    }
    return results;
  },
});

/** A new home made without some of its skeleton: one warning per missing source, naming it under the root. */
function skeletonWarnings(created: CreatedHome): { readonly warnings?: readonly string[] } {
  const missing = created.missing;
  return missing.length === 0 ? {} : { warnings: missing.map((from) => `skeleton file ${from} does not exist on this host; the home was made without it`) };
}

async function applyOne(ctx: TargetContext, data: HomesChangeData, homes: HomeCreation, archive: { readonly enabled: boolean; readonly dir: string }): Promise<unknown> {
  switch (data.kind) {
    case 'refuse':
      throw new RosterError('conflict', data.problem);
    case 'create':
      return createHome(homes, data.spec);
    case 'restore':
      return restoreHome(ctx.root, archive.dir, data.archive, data.home);
    case 'update':
      setOwnerAndMode(ctx.root, data.home, data.uid, data.gid, data.mode);
      return { mode: octal(data.mode), uid: data.uid, gid: data.gid };
    case 'archive': {
      const r = data.removed;
      return archiveHome({ root: ctx.root, host: ctx.host, archiveDir: archive.dir, username: r.username, uid: r.uid, home: r.home, purgedAt: r.purgedAt, now: ctx.clock.now() });
    }
    case 'remove': {
      const r = data.removed;
      // Belt and braces: never delete a home whose archive is not complete.
      if (archive.enabled && !(await archiveComplete(ctx.root, archive.dir, r.username, r.uid, r.purgedAt))) throw new RosterError('conflict', `the archive of ${r.home} is not complete; not removing it`);
      await removeHome(ctx.root, r.home);
      return { removed: r.home };
    }
  }
}

/**
 * chown/chmod through a descriptor opened with O_NOFOLLOW|O_DIRECTORY: the
 * change lands on the directory that was checked, never on a symlink's
 * target, even if the path is swapped in between.
 */
function setOwnerAndMode(root: string, home: string, uid: number, gid: number, mode: number): void {
  const state = inspectPath(root, home);
  if (state.kind !== 'directory') throw new RosterError('conflict', `refusing ${home}: ${state.kind === 'unsafe' ? state.problem : `it is ${state.kind === 'symlink' ? 'a symbolic link' : state.kind}`}`);
  const fd = openSync(underRoot(root, home), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isDirectory()) throw new RosterError('conflict', `${home} is not a directory`);
    fchownSync(fd, uid, gid);
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}
