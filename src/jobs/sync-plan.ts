import type { RosterConfig, SourceConfig } from '../config/config-schema.js';
import type { Account } from '../domain/account.js';
import { checkEligibility } from '../domain/eligibility.js';
import { reactivate, retire } from '../domain/lifecycle.js';
import type { Person } from '../domain/person.js';
import { reservedNameToReuse } from '../app/accounts.js';
import type { Reservation } from '../store/store.js';
import type { RosterRow } from './roster-file.js';

/** What the store holds for some of a source's people (a chunk of the file's rows), read by key before planning them. */
export interface SourceState {
  /** This source's people by id. */
  readonly people: ReadonlyMap<string, Person>;
  /** Accounts of these people by person id, tombstones included. */
  readonly accounts: ReadonlyMap<string, readonly Account[]>;
  /** Reservations of these people by person id, in UID order. */
  readonly reservations: ReadonlyMap<string, readonly Reservation[]>;
}

export interface PlannedCreate {
  readonly type: string;
  /** Filled in by assignUsernames when the person has no reserved name. */
  username: string;
  /** The person's own reserved name (a returning person keeps it, and the UID with it). */
  readonly reserved: boolean;
  /** A purged account of this person under that name, brought back with the same UID. */
  readonly revive: Account | undefined;
}

export interface PlannedTransition {
  readonly before: Account;
  /** Null for a retirement with deletion grace 0: purge now. */
  readonly after: Account | null;
  readonly why: string;
}

export interface PersonPlan {
  /** Row in the file; null for a person absent from it. */
  readonly row: number | null;
  readonly personId: string;
  readonly before: Person | undefined;
  /** The person as stored after the sync (before role e-mails of new accounts). */
  readonly after: Person;
  readonly personChange: 'add' | 'update' | null;
  readonly fields: readonly string[];
  readonly creates: PlannedCreate[];
  readonly reactivations: readonly PlannedTransition[];
  readonly retirements: readonly PlannedTransition[];
}

export type SyncNote =
  | { readonly kind: 'not-eligible'; readonly personId: string; readonly row: number; readonly type: string; readonly unmet: readonly string[] }
  | { readonly kind: 'kept-retired'; readonly personId: string; readonly row: number; readonly username: string; readonly retiredBy: string };

/** The plan of some rows of the file (or of some people absent from it). */
export interface PartPlan {
  /** Only people with something to do, in file order (absent people: in id order). */
  readonly people: PersonPlan[];
  /** People in the file with nothing to do. */
  readonly unchanged: number;
  readonly notes: SyncNote[];
  /** Live accounts of managed types these (stored) people hold: the circuit breaker's total is their sum over the source. */
  readonly managed: number;
}

export interface PlanInput {
  readonly sourceName: string;
  readonly source: SourceConfig;
  readonly config: RosterConfig;
  readonly now: Date;
}

export interface RowsInput extends PlanInput {
  readonly rows: readonly RosterRow[];
  readonly state: SourceState;
}

export interface AbsentInput extends PlanInput {
  /** People of the source absent from the file. */
  readonly people: readonly Person[];
  /** Their accounts by person id, tombstones included. */
  readonly accounts: ReadonlyMap<string, readonly Account[]>;
}

/** The types a source manages (gives through its roles): only their accounts are retired by it. */
export function managedTypes(source: SourceConfig): ReadonlySet<string> {
  return new Set(Object.values(source.types).flat());
}

/** Retires one account with the grace periods (the source's, else the type's); null when it is retired already. */
function retirer({ sourceName, source, config, now }: PlanInput): (account: Account, why: string) => PlannedTransition | null {
  const by = syncActor(sourceName);
  return (account, why) => {
    const type = config.types[account.type];
    const grace = source.grace ?? type?.grace ?? { deactivation: 0, deletion: 30 };
    const outcome = retire(account, { deactivation: grace.deactivation, deletion: grace.deletion, now, timeZone: config.timeZone, by, reason: by });
    if ('purgeNow' in outcome) return { before: account, after: null, why };
    return outcome.changed ? { before: account, after: outcome.account, why } : null;
  };
}

/** Who sets and lifts this source's `retired` holds: only holds it set itself are lifted on return. */
export function syncActor(sourceName: string): string {
  return `sync:${sourceName}`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * The sync of some rows as data (DESIGN.md §9.3: plan, validate the whole
 * plan, then apply), computed from the rows and their people's stored state,
 * with no I/O. The sync plans the file chunk by chunk, twice: once for the
 * figures the whole plan is checked by (and a dry run prints), once more
 * chunk by chunk as it applies, so neither the rows nor the plan are ever
 * held whole.
 *
 * The rules (seed 002, RATS):
 * - a person new to the store is added and gets an account of every type
 *   their roles give (source `types`) that they are eligible for;
 * - a known person's record follows the file; accounts of types they no
 *   longer have or are no longer eligible for are retired with the grace
 *   periods (the source's, else the type's);
 * - people of this source missing from the file have their accounts retired
 *   with the same grace periods; other sources' people are never touched;
 * - a returning person's accounts that this source retired are reactivated:
 *   only the `retired` hold set by `sync:<source>` goes, so an admin's
 *   freeze or retirement stays (UCS 4.2 v4 fixed exactly that);
 * - only accounts of the types the source gives are managed: accounts made
 *   by hand for a source's person are left alone.
 */
export function planRows(input: RowsInput): PartPlan {
  const { sourceName, source, config, rows, state, now } = input;
  const by = syncActor(sourceName);
  const at = now.toISOString();
  const managed = managedTypes(source);
  const retireOne = retirer(input);
  const plans: PersonPlan[] = [];
  const notes: SyncNote[] = [];
  let unchanged = 0;
  let managedLive = 0;

  for (const row of rows) {
    const before = state.people.get(row.id);
    const accounts = state.accounts.get(row.id) ?? [];
    const live = accounts.filter((a) => a.purgedAt === null);
    if (before !== undefined) managedLive += live.filter((a) => managed.has(a.type)).length;
    const after = desiredPerson(row, before, live, config, sourceName, at);
    const fields = before === undefined ? [] : changedFields(before, after);
    const creates: PlannedCreate[] = [];
    const reactivations: PlannedTransition[] = [];
    const retirements: PlannedTransition[] = [];

    const wanted = new Set<string>();
    for (const role of after.roles) for (const t of source.types[role] ?? []) wanted.add(t);
    const eligible = new Set<string>();
    for (const t of wanted) {
      const type = config.types[t];
      if (type === undefined) continue;
      const verdict = checkEligibility(after, type.eligibility);
      if (verdict.eligible) eligible.add(t);
      else notes.push({ kind: 'not-eligible', personId: row.id, row: row.row, type: t, unmet: verdict.unmet });
    }
    const byName = new Map(accounts.map((a) => [a.username, a]));
    const taken = new Set<string>();
    for (const t of eligible) {
      const current = live.find((a) => a.type === t);
      if (current === undefined) {
        const reservations = (state.reservations.get(row.id) ?? []).filter((r) => !taken.has(r.username));
        const reserved = reservedNameToReuse(reservations, (name) => byName.get(name));
        if (reserved !== undefined) taken.add(reserved);
        const tomb = reserved === undefined ? undefined : byName.get(reserved);
        creates.push({ type: t, username: reserved ?? '', reserved: reserved !== undefined, revive: tomb !== undefined && tomb.purgedAt !== null ? tomb : undefined });
        continue;
      }
      const retired = current.holds.find((h) => h.kind === 'retired');
      if (retired === undefined) continue;
      if (retired.reason === by) {
        const step = reactivate(current, { by, now });
        if (step.changed) reactivations.push({ before: current, after: step.account, why: 'back in the file' });
      } else {
        notes.push({ kind: 'kept-retired', personId: row.id, row: row.row, username: current.username, retiredBy: retired.setBy });
      }
    }
    for (const a of live) {
      if (!managed.has(a.type) || eligible.has(a.type)) continue;
      const why = wanted.has(a.type) ? 'no longer eligible' : `no longer has a role giving ${a.type}`;
      const step = retireOne(a, why);
      if (step !== null) retirements.push(step);
    }

    const personChange = before === undefined ? 'add' : fields.length > 0 ? 'update' : null;
    if (personChange === null && creates.length === 0 && reactivations.length === 0 && retirements.length === 0) {
      unchanged++;
      continue;
    }
    plans.push({ row: row.row, personId: row.id, before, after: personChange === null ? (before ?? after) : after, personChange, fields, creates, reactivations, retirements });
  }

  return { people: plans, unchanged, notes, managed: managedLive };
}

/**
 * People of the source absent from the file: their accounts of managed
 * types are retired with the same grace periods.
 */
export function planAbsent(input: AbsentInput): PartPlan {
  const managed = managedTypes(input.source);
  const retireOne = retirer(input);
  const plans: PersonPlan[] = [];
  let managedLive = 0;
  for (const person of input.people) {
    const live = (input.accounts.get(person.id) ?? []).filter((a) => a.purgedAt === null && managed.has(a.type));
    managedLive += live.length;
    const retirements = live.map((a) => retireOne(a, 'absent from the file')).filter((t): t is PlannedTransition => t !== null);
    if (retirements.length > 0) plans.push({ row: null, personId: person.id, before: person, after: person, personChange: null, fields: [], creates: [], reactivations: [], retirements });
  }
  return { people: plans, unchanged: 0, notes: [], managed: managedLive };
}

/**
 * The person as the file states them. E-mails follow the file, except an
 * address Roster itself assigned (a type's `emailRole` address of a live
 * account), which stays until that account is purged; verification digests
 * the file no longer carries are kept, as `person add` does.
 */
function desiredPerson(row: RosterRow, before: Person | undefined, live: readonly Account[], config: RosterConfig, source: string, at: string): Person {
  const emails: Record<string, string> = { ...row.emails };
  if (before !== undefined) {
    for (const [role, address] of Object.entries(before.emails)) {
      if (emails[role] !== undefined) continue;
      const assigned = live.some((a) => {
        const type = config.types[a.type];
        return type?.emailRole === role && type.emailDomain !== undefined && address.toLowerCase() === `${a.username}@${type.emailDomain}`.toLowerCase();
      });
      if (assigned) emails[role] = address;
    }
  }
  return {
    id: row.id,
    source,
    firstName: row.firstName,
    lastName: row.lastName,
    roles: row.roles,
    classes: row.classes,
    campuses: row.campuses,
    majors: row.majors,
    emails,
    verification: { ...(before?.verification ?? {}), ...row.verification },
    createdAt: before?.createdAt ?? at,
    updatedAt: at,
  };
}

function changedFields(before: Person, after: Person): string[] {
  const fields: string[] = [];
  if (before.firstName !== after.firstName) fields.push('firstName');
  if (before.lastName !== after.lastName) fields.push('lastName');
  if (!sameList(before.roles, after.roles)) fields.push('roles');
  if (!sameList(before.classes, after.classes)) fields.push('classes');
  if (!sameList(before.campuses, after.campuses)) fields.push('campuses');
  if (!sameList(before.majors, after.majors)) fields.push('majors');
  if (!sameMap(before.emails, after.emails)) fields.push('emails');
  if (!sameMap(before.verification, after.verification)) fields.push('verification');
  return fields;
}
