import type { Selectable } from 'kysely';
import type { Person } from '../../domain/person.js';
import type { PeopleTable } from '../database-schema.js';
import { replacePersonEmails } from './account-search-queries.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, INSERT_CHUNK, pageSize, stringList, stringMap, utc } from './row-values.js';

export interface PeopleReads {
  getPerson(id: string): Promise<Person | undefined>;
  /** The people of these ids that exist, in no particular order. */
  getPeople(ids: readonly string[]): Promise<Person[]>;
  /** Keyset pagination: people with id > afterId, ordered by id. */
  listPeople(filter?: { readonly source?: string; readonly afterId?: string; readonly limit?: number }): Promise<Person[]>;
}

export interface PeopleWrites {
  /** Insert or replace by id. */
  putPerson(person: Person): Promise<void>;
  /** putPerson for many, in a few statements (roster sync). */
  putPeople(people: readonly Person[]): Promise<void>;
}

export type PeopleQueries = PeopleReads & PeopleWrites;

export function peopleQueries(s: QueryScope): PeopleQueries {
  const putPeople = async (people: readonly Person[]): Promise<void> => {
    s.mustWrite('putPeople');
    for (let i = 0; i < people.length; i += INSERT_CHUNK) {
      const rows = people.slice(i, i + INSERT_CHUNK).map(fromPerson);
      await s.db
        .insertInto('people')
        .values(rows)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            source: eb.ref('excluded.source'),
            first_name: eb.ref('excluded.first_name'),
            last_name: eb.ref('excluded.last_name'),
            roles: eb.ref('excluded.roles'),
            classes: eb.ref('excluded.classes'),
            campuses: eb.ref('excluded.campuses'),
            majors: eb.ref('excluded.majors'),
            emails: eb.ref('excluded.emails'),
            verification: eb.ref('excluded.verification'),
            created_at: eb.ref('excluded.created_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
      await replacePersonEmails(s.db, people.slice(i, i + INSERT_CHUNK));
    }
  };
  return {
    async getPerson(id) {
      const row = await s.db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toPerson(row);
    },
    async putPerson(person) {
      s.mustWrite('putPerson');
      await putPeople([person]);
    },
    async getPeople(ids) {
      const out: Person[] = [];
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const rows = await s.db.selectFrom('people').selectAll().where('id', 'in', ids.slice(i, i + IN_CHUNK)).execute();
        out.push(...rows.map(toPerson));
      }
      return out;
    },
    putPeople,
    async listPeople(filter = {}) {
      let q = s.db.selectFrom('people').selectAll().orderBy('id');
      if (filter.source !== undefined) q = q.where('source', '=', filter.source);
      if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return (await q.execute()).map(toPerson);
    },
  };
}

export function toPerson(r: Selectable<PeopleTable>): Person {
  return {
    id: r.id,
    source: r.source,
    firstName: r.first_name,
    lastName: r.last_name,
    roles: stringList(r.roles, 'roles'),
    classes: stringList(r.classes, 'classes'),
    campuses: stringList(r.campuses, 'campuses'),
    majors: stringList(r.majors, 'majors'),
    emails: stringMap(r.emails, 'emails'),
    verification: stringMap(r.verification, 'verification'),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function fromPerson(p: Person): PeopleTable {
  return {
    id: p.id,
    source: p.source,
    first_name: p.firstName,
    last_name: p.lastName,
    roles: JSON.stringify(p.roles),
    classes: JSON.stringify(p.classes),
    campuses: JSON.stringify(p.campuses),
    majors: JSON.stringify(p.majors),
    emails: JSON.stringify(p.emails),
    verification: JSON.stringify(p.verification),
    created_at: utc(p.createdAt, 'person createdAt'),
    updated_at: utc(p.updatedAt, 'person updatedAt'),
  };
}
