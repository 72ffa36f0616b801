import type { AppContext } from '../app/app-context.js';
import { printable } from '../app/person-input.js';
import type { Account } from '../domain/account.js';
import type { ErrorIssue } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { Reservation } from '../store/store.js';
import { readRosterChunks, type RosterIndex, type RosterRow } from './roster-file.js';
import { planAbsent, planRows, type PartPlan, type PersonPlan, type PlanInput } from './sync-plan.js';

/**
 * Rows planned (and applied) together: the store's rows for them are read
 * in a few queries. Small enough that a chunk's objects mostly die young
 * (2,000 kept enough of them alive across collections to cost some 40 MiB
 * more peak RSS at 100,000 rows), large enough that the queries stay few.
 */
export const CHUNK_ROWS = 500;

/** One part of the plan, in the order a run applies them: chunks of the file's rows, then the people absent from it. */
export interface SyncPart {
  readonly plan: PartPlan;
  /** The chunk's rows; empty for absent people. */
  readonly rows: readonly RosterRow[];
  /** Rows naming another source's (or a hand-made) person, never taken over. */
  readonly foreign: readonly ErrorIssue[];
}

export interface PartsInput extends PlanInput {
  readonly file: string;
  readonly hmacKey: Buffer;
  readonly index: RosterIndex;
}

function byPerson<T extends { readonly personId: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(item.personId);
    if (list === undefined) map.set(item.personId, [item]);
    else list.push(item);
  }
  return map;
}

/**
 * The sync's plan a part at a time, from the validated file read again in
 * chunks and the store read by key for each (the chunk's people, their
 * accounts, tombstones too, and reservations), then the source's people
 * absent from the file, a page at a time in id order, grouped into parts of
 * CHUNK_ROWS people with something to do. The same file and store
 * give the same parts, so a run plans them once to check the whole and
 * again as it applies them.
 */
export async function* syncParts(ctx: AppContext, input: PartsInput): AsyncGenerator<SyncPart, void, undefined> {
  const q = ctx.store.read;
  for await (const rows of readRosterChunks(input.file, input.sourceName, input.source, input.hmacKey, input.index, CHUNK_ROWS)) {
    const ids = rows.map((r) => r.id);
    const people = new Map<string, Person>();
    const foreign: ErrorIssue[] = [];
    const owners = new Map<string, string>();
    for (const p of await q.getPeople(ids)) {
      if (p.source === input.sourceName) people.set(p.id, p);
      else owners.set(p.id, p.source);
    }
    for (const r of rows) {
      const owner = owners.get(r.id);
      if (owner !== undefined) foreign.push({ where: `row ${r.row}, column id`, message: `person ${printable(r.id)} belongs to source ${owner}, not ${input.sourceName}; a sync never takes over another source's people` });
    }
    const known = [...people.keys()];
    const accounts = byPerson<Account>(known.length === 0 ? [] : await q.accountsOfPeople(known));
    const reservations = byPerson<Reservation>(known.length === 0 ? [] : await q.reservationsOfPeople(known));
    const mine = foreign.length === 0 ? rows : rows.filter((r) => !owners.has(r.id));
    yield { plan: planRows({ ...input, rows: mine, state: { people, accounts, reservations } }), rows, foreign };
  }

  // Parts of exactly CHUNK_ROWS people with something to do (the last one
  // fewer), whatever the pages: people the run adds meanwhile fill the
  // pages the second time but are never absent, so the parts stay the same.
  let plans: PersonPlan[] = [];
  let managed = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await q.listPeople({ source: input.sourceName, limit: CHUNK_ROWS, ...(afterId === undefined ? {} : { afterId }) });
    afterId = page.at(-1)?.id;
    const absent = page.filter((p) => !input.index.ids.has(p.id));
    if (absent.length > 0) {
      const plan = planAbsent({ ...input, people: absent, accounts: byPerson(await q.accountsOfPeople(absent.map((p) => p.id))) });
      plans.push(...plan.people);
      managed += plan.managed;
    }
    while (plans.length >= CHUNK_ROWS) {
      yield { plan: { people: plans.slice(0, CHUNK_ROWS), unchanged: 0, notes: [], managed }, rows: [], foreign: [] };
      plans = plans.slice(CHUNK_ROWS);
      managed = 0;
    }
    if (page.length < CHUNK_ROWS) {
      if (plans.length > 0 || managed > 0) yield { plan: { people: plans, unchanged: 0, notes: [], managed }, rows: [], foreign: [] };
      return;
    }
  }
}
