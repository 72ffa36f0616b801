import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import type { Queries } from '../store/store.js';
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

export async function requirePerson(q: Queries, id: string): Promise<Person> {
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
