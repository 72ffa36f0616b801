import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { PeopleReads } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { buildPerson, printable, type PersonInput } from './person-input.js';

export async function addPerson(ctx: AppContext, input: PersonInput, options: MutationOptions = {}): Promise<Person> {
  const now = ctx.clock.now().toISOString();
  const person = buildPerson(input, ctx.hmacKey, now);
  return mutate(ctx, options, async (tx) => {
    if ((await tx.getPerson(person.id)) !== undefined) {
      throw new RosterError('conflict', `person ${person.id} already exists`);
    }
    await tx.putPerson(person);
    await audit(tx, ctx, { action: 'person.add', target: `person:${person.id}`, before: null, after: personSummary(person) });
    return person;
  });
}

/** Fields of a person that a change may set; missing fields keep their value, and `emails` replaces the whole map. */
export type PersonPatch = Partial<Omit<PersonInput, 'id'>>;

/**
 * Changes a person in place (API PATCH, SCIM). Everything is validated as on
 * `addPerson`; verification values given are hashed and added, the others
 * kept. A patch that changes nothing writes and audits nothing.
 */
export async function updatePerson(ctx: AppContext, id: string, patch: PersonPatch, options: MutationOptions = {}): Promise<{ person: Person; changed: boolean }> {
  return mutate(ctx, options, async (tx) => {
    const before = await requirePerson(tx, id);
    const now = ctx.clock.now().toISOString();
    const after = buildPerson(
      {
        id,
        source: patch.source ?? before.source,
        firstName: patch.firstName ?? before.firstName,
        lastName: patch.lastName ?? before.lastName,
        roles: patch.roles ?? before.roles,
        classes: patch.classes ?? before.classes,
        campuses: patch.campuses ?? before.campuses,
        majors: patch.majors ?? before.majors,
        emails: patch.emails ?? before.emails,
        ...(patch.verification === undefined ? {} : { verification: patch.verification }),
      },
      ctx.hmacKey,
      now,
      before,
    );
    const same = JSON.stringify(personSummary(after)) === JSON.stringify(personSummary(before)) && JSON.stringify(after.verification) === JSON.stringify(before.verification);
    if (same) return { person: before, changed: false };
    await tx.putPerson(after);
    await audit(tx, ctx, { action: 'person.update', target: `person:${id}`, before: personSummary(before), after: personSummary(after) });
    return { person: after, changed: true };
  });
}

export async function requirePerson(q: PeopleReads, id: string): Promise<Person> {
  const person = await q.getPerson(id);
  if (person === undefined) throw new RosterError('not_found', `no person with id ${printable(id)}`);
  return person;
}

/** What the audit log keeps of a person: never the verification digests. */
export function personSummary(person: Person): Record<string, unknown> {
  return {
    id: person.id,
    source: person.source,
    name: `${person.firstName} ${person.lastName}`,
    roles: person.roles,
    classes: person.classes,
    campuses: person.campuses,
    majors: person.majors,
    emails: person.emails,
    verification: Object.keys(person.verification),
  };
}

/** The public shape of a person (API and `--json`): verification digests are not shown. */
export function personView(person: Person): Record<string, unknown> {
  return {
    id: person.id,
    source: person.source,
    firstName: person.firstName,
    lastName: person.lastName,
    roles: person.roles,
    classes: person.classes,
    campuses: person.campuses,
    majors: person.majors,
    emails: person.emails,
    verification: Object.keys(person.verification),
    createdAt: person.createdAt,
    updatedAt: person.updatedAt,
  };
}
