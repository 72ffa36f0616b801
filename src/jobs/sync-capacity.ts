import type { AppContext } from '../app/app-context.js';
import { printable } from '../app/person-input.js';
import { RosterError } from '../domain/errors.js';
import type { PlannedCreate } from './sync-plan.js';

function count(n: number, what: string): string {
  return `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;
}

/** The numbers from `from` up to `max` that are not in `used` (ascending), one at a time, as allocation hands them out. */
function* freeNumbers(from: number, max: number, used: readonly number[]): Generator<number, void, undefined> {
  let k = 0;
  for (let x = from; x <= max; x++) {
    while (k < used.length && (used[k] ?? Infinity) < x) k++;
    if (used[k] !== x) yield x;
  }
}

export interface CapacityCheck {
  /** The next new accounts, in plan order. */
  add(creates: readonly PlannedCreate[]): void;
  /** True once the new accounts fed so far need more UIDs than the range has free: check() will refuse. */
  exceeded(): boolean;
  /** Throws RosterError('bad_config' or 'bad_input') when the new accounts and groups do not fit, with the numbers. */
  check(): Promise<void>;
}

/**
 * Refuses, before anything is written, a plan whose new accounts and groups
 * do not fit the configured ranges, with the numbers. The plan's new
 * accounts are fed in plan order, a chunk at a time, and only counts are
 * kept (and the GIDs of user-private groups, a number each). Allocation
 * hands UIDs out in plan order from the first free one, so the UID of
 * every new account is known here. GIDs are taken from the gids range by
 * groups the accounts need that do not exist yet, and by a user-private
 * group whose GID = UID is a group's (an existing group's, or at worst one
 * of the new groups'); the new accounts' own private GIDs take numbers of
 * that range too when the ranges overlap. Three queries, whatever the size
 * of the file.
 */
export async function capacityCheck(ctx: AppContext, source: string): Promise<CapacityCheck> {
  const q = ctx.store.read;
  const { uids, gids } = ctx.config;
  const range = (r: { readonly min: number; readonly max: number }): string => `${r.min}–${r.max}`;
  const uidUse = await q.idsInUse('uid', uids);
  const freeUids = Math.max(0, uids.max - uidUse.from + 1) - uidUse.used.length;
  const groups = await q.listGroups();
  const groupGids = new Set(groups.map((g) => g.gid));
  const existing = new Set(groups.map((g) => g.name));
  const uidsInOrder = freeNumbers(uidUse.from, uids.max, uidUse.used);
  const types = new Set<string>();
  const privateGids: number[] = [];
  let fresh = 0;
  let collisions = 0;

  return {
    add(creates) {
      for (const c of creates) {
        types.add(c.type);
        // A returning person's reserved name brings its UID; every other create takes a new one.
        let uid: number | undefined;
        if (!c.reserved) {
          fresh++;
          const next = uidsInOrder.next();
          uid = next.done === true ? undefined : next.value;
        }
        if (ctx.config.types[c.type]?.primaryGroup !== '{username}') continue;
        if (uid === undefined) {
          // A returning account's reserved UID: its group moves only if a group holds that GID now.
          if (c.revive !== undefined && groupGids.has(c.revive.uid)) collisions++;
          continue;
        }
        if (groupGids.has(uid)) collisions++;
        else privateGids.push(uid);
      }
    },
    exceeded: () => fresh > freeUids,
    async check() {
      if (types.size === 0) return;
      if (fresh > freeUids) {
        const message = `sync of ${source} needs ${count(fresh, 'new UID')}, the range ${range(uids)} has ${freeUids.toLocaleString('en')} free; nothing was changed. Widen uids in roster.yaml`;
        throw new RosterError('bad_config', message, [{ where: 'uids', message: `needs ${count(fresh, 'free UID')}, has ${freeUids.toLocaleString('en')}` }]);
      }
      const newGroups = new Set<string>();
      for (const t of types) {
        const type = ctx.config.types[t];
        if (type === undefined) continue;
        for (const g of type.primaryGroup === '{username}' ? type.groups : [type.primaryGroup, ...type.groups]) if (!existing.has(g)) newGroups.add(g);
      }
      let allocated = 0;
      for (const name of newGroups) {
        const declared = ctx.config.groups.find((g) => g.name === name);
        if (declared === undefined) {
          throw new RosterError('bad_input', `sync of ${source} needs group ${printable(name)}, which does not exist; add it with \`roster group add\` or declare it under groups: in roster.yaml; nothing was changed`, [{ where: 'group', message: `unknown group ${printable(name)}` }]);
        }
        if (declared.gid === undefined) allocated++;
      }
      if (allocated + collisions === 0) return;
      const gidUse = await q.idsInUse('gid', gids);
      const usedGids = new Set(gidUse.used);
      const takenByPrivate = privateGids.filter((g) => g >= gidUse.from && g <= gids.max && !usedGids.has(g)).length;
      // A new group's GID, taken from that same stretch, may be a new account's UID, whose group then needs another.
      const needed = allocated + collisions + Math.min(allocated, takenByPrivate);
      const freeGids = Math.max(0, gids.max - gidUse.from + 1) - gidUse.used.length - takenByPrivate;
      if (needed > freeGids) {
        const also = takenByPrivate > 0 ? ` once the new accounts' own groups take ${count(takenByPrivate, 'GID')} of it` : '';
        const message =
          `sync of ${source} needs up to ${count(needed, 'new GID')} (${allocated.toLocaleString('en')} for new groups, ${(needed - allocated).toLocaleString('en')} for user-private groups whose GID = UID a group holds), ` +
          `the range ${range(gids)} has ${freeGids.toLocaleString('en')} free${also}; nothing was changed. Widen gids in roster.yaml`;
        throw new RosterError('bad_config', message, [{ where: 'gids', message: `needs up to ${count(needed, 'free GID')}, has ${freeGids.toLocaleString('en')}` }]);
      }
    },
  };
}
