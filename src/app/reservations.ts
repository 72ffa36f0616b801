import type { Account } from '../domain/account.js';
import type { AccountReads, Reservation, ReservationReads } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { mutate } from './mutate.js';

const DAY_MS = 86_400_000;
/** Releases per transaction: one audit record each, in bulk. */
const BATCH = 500;

/**
 * Where a reservation stands (DESIGN.md §3 "UIDs and reservations"):
 * `in-use` while its person has a live account (they are still in a roster
 * source); `retained` while the retention after their last purge runs;
 * `releasable` once it has passed.
 */
export type ReservationStatus = 'in-use' | 'retained' | 'releasable';

export interface ReservationState {
  readonly username: string;
  readonly uid: number;
  readonly personId: string;
  readonly reservedAt: string;
  readonly status: ReservationStatus;
  /** When the person had no live account any more: their last purge, or the reservation itself when they never had an account. Null while in use. */
  readonly goneSince: string | null;
  /** When the retention ends. Null while in use. */
  readonly releasableFrom: string | null;
  /** The purged account under this name, deleted with the reservation so the name can be chosen again. */
  readonly tombstoneId: number | null;
}

function stateOf(r: Reservation, accounts: readonly Account[], retainDays: number, now: number): ReservationState {
  const base = { username: r.username, uid: r.uid, personId: r.personId, reservedAt: r.createdAt };
  const named = accounts.find((a) => a.username.toLowerCase() === r.username.toLowerCase());
  const tombstoneId = named !== undefined && named.purgedAt !== null ? named.id : null;
  // A live account under this name or of this person: the person is still
  // in a roster source (a source that drops someone retires and then purges
  // their accounts; one that has them again reactivates or revives them).
  if (accounts.some((a) => a.purgedAt === null)) return { ...base, status: 'in-use', goneSince: null, releasableFrom: null, tombstoneId };
  const goneSince = accounts.reduce((latest, a) => (a.purgedAt !== null && a.purgedAt > latest ? a.purgedAt : latest), r.createdAt);
  const releasableFrom = new Date(Date.parse(goneSince) + retainDays * DAY_MS).toISOString();
  return { ...base, status: Date.parse(releasableFrom) <= now ? 'releasable' : 'retained', goneSince, releasableFrom, tombstoneId };
}

/**
 * Every reservation with where it stands, in UID order. A reservation's
 * person counts as gone from every roster source when none of their
 * accounts is live (every one purged, or none at all); the retention
 * (`reservations.retainDays`) runs from the last of those purges.
 */
export async function reservationStates(q: ReservationReads & AccountReads, retainDays: number, now: Date): Promise<ReservationState[]> {
  return statesOf(q, await q.listReservations(), retainDays, now);
}

async function statesOf(q: AccountReads, reservations: readonly Reservation[], retainDays: number, now: Date): Promise<ReservationState[]> {
  const accounts = new Map<string, Account[]>();
  const add = (key: string, a: Account): void => {
    const list = accounts.get(key);
    if (list === undefined) accounts.set(key, [a]);
    else list.push(a);
  };
  for (const a of await q.accountsOfPeople(reservations.map((r) => r.personId))) add(`person:${a.personId}`, a);
  // The account under the name, should it belong to someone else: it keeps the name in use.
  for (const a of await q.accountsByUsernames(reservations.map((r) => r.username))) add(`name:${a.username.toLowerCase()}`, a);
  const at = now.getTime();
  return reservations.map((r) => {
    const own = accounts.get(`person:${r.personId}`) ?? [];
    const byName = (accounts.get(`name:${r.username.toLowerCase()}`) ?? []).filter((a) => a.personId !== r.personId);
    return stateOf(r, [...own, ...byName], retainDays, at);
  });
}

export interface PruneReport {
  readonly dryRun: boolean;
  readonly retainDays: number;
  /** Released (or, in a dry run, to be released), in UID order. */
  readonly released: readonly ReservationState[];
  /** Reservations kept, by why. */
  readonly kept: { readonly inUse: number; readonly retained: number };
}

/**
 * `roster reservations prune`: releases every reservation whose person is
 * in no roster source any more and whose retention has passed. The
 * reservation and the purged account under its name go, so the name can be
 * chosen again; the UID high-water mark stays, so the UID is never handed
 * out again. One audit record per release. Each batch re-reads its
 * reservations inside its transaction, so one that came back into use
 * meanwhile (a returning person) is kept.
 */
export async function pruneReservations(ctx: AppContext, options: { readonly dryRun?: boolean } = {}): Promise<PruneReport> {
  const retainDays = ctx.config.reservations.retainDays;
  const now = ctx.clock.now();
  const states = await reservationStates(ctx.store.read, retainDays, now);
  const candidates = states.filter((s) => s.status === 'releasable');
  const dryRun = options.dryRun === true;
  const released: ReservationState[] = dryRun ? candidates : [];
  for (let i = 0; !dryRun && i < candidates.length; i += BATCH) {
    const batch = candidates.slice(i, i + BATCH);
    const go = await mutate(ctx, {}, async (tx) => {
      // Again under the write lock: a person who came back meanwhile keeps the name.
      const wanted = new Set(batch.map((s) => s.username));
      const current = (await tx.reservationsOfPeople(batch.map((s) => s.personId))).filter((r) => wanted.has(r.username));
      const releasable = (await statesOf(tx, current, retainDays, now)).filter((s) => s.status === 'releasable');
      await tx.deletePurgedAccounts(releasable.flatMap((s) => (s.tombstoneId === null ? [] : [s.tombstoneId])));
      await tx.deleteReservations(releasable.map((s) => s.username));
      await tx.appendAudits(
        releasable.map((s) => ({
          at: now.toISOString(),
          actor: ctx.actor,
          action: 'reservation.release',
          target: `account:${s.username}`,
          before: { username: s.username, uid: s.uid, personId: s.personId, reservedAt: s.reservedAt, tombstone: s.tombstoneId !== null },
          after: { released: true, why: `no live account since ${s.goneSince ?? ''}; retained ${retainDays} days` },
          result: 'ok' as const,
        })),
      );
      return releasable;
    });
    // One by one: a spread's argument count is bounded by the stack.
    for (const s of go) released.push(s);
  }
  const inUse = states.filter((s) => s.status === 'in-use').length;
  return { dryRun, retainDays, released, kept: { inUse, retained: states.length - inUse - released.length } };
}
