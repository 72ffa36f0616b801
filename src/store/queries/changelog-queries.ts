import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { ChangelogTable } from '../database-schema.js';
import { uniqueViolation } from '../store-errors.js';
import type { QueryScope } from './query-scope.js';
import { pageSize, toNumber, utc } from './row-values.js';

/** Where a changelog entry came from. */
export const CHANGELOG_SOURCES = ['cli', 'api', 'apply', 'host-file'] as const;
export type ChangelogSource = (typeof CHANGELOG_SOURCES)[number];

/** One intervention on a host (seed GlobeNet: time, who, what). */
export interface ChangelogEntry {
  readonly id: number;
  readonly host: string;
  /** When it was done, ISO 8601 UTC. */
  readonly at: string;
  /** Who did it: the invoking person, a token, or `roster` for its own applies. */
  readonly author: string;
  /** What was done; may span lines. */
  readonly text: string;
  /** Shown on the public status page. */
  readonly public: boolean;
  readonly source: ChangelogSource;
  /** The host report of an apply (`report:12`), or the hash of a hand-written entry (`sha256:…`). */
  readonly ref: string | null;
}

export type NewChangelogEntry = Omit<ChangelogEntry, 'id'> & { readonly createdAt: string };

export interface ChangelogFilter {
  readonly host?: string;
  /** At or after this time. */
  readonly since?: string;
  /** Before this time. */
  readonly until?: string;
  readonly publicOnly?: boolean;
  /** Only entries stored after this one (ids grow as entries are stored, whatever their `at`): how an agent catches up. */
  readonly afterId?: number;
  /** Keyset pages in time order: only entries after this one (later, or at the same time and stored later). */
  readonly after?: { readonly at: string; readonly id: number };
  /** At most this many. */
  readonly limit?: number;
  /** `time` (the default): by `at`, then id; `stored`: by id alone, so that pages of `afterId` and `limit` follow one another. */
  readonly order?: 'time' | 'stored';
}

/** The changelog of interventions, per host. */
export interface ChangelogReads {
  /** By `at`, then id (the order entries were stored in); by id alone with `order: 'stored'`. */
  listChangelog(filter?: ChangelogFilter): Promise<ChangelogEntry[]>;
  /** An entry that carries `ref`, on the host and from the source: how a re-sent entry is recognised. */
  findChangelogByRef(host: string, source: ChangelogSource, ref: string): Promise<ChangelogEntry | undefined>;
  /** The id of the host's newest stored entry, 0 when it has none: an agent fetches entries only when this moved. */
  changelogHead(host: string): Promise<number>;
}

export interface ChangelogWrites {
  /** Stores an entry; a second one with the same host, source and ref is a conflict. */
  addChangelogEntry(entry: NewChangelogEntry): Promise<ChangelogEntry>;
}

export type ChangelogQueries = ChangelogReads & ChangelogWrites;

export function changelogQueries(s: QueryScope): ChangelogQueries {
  return {
    async listChangelog(filter = {}) {
      let q = s.db.selectFrom('changelog').select(['id', 'host', 'at', 'author', 'text', 'public', 'source', 'ref']);
      q = filter.order === 'stored' ? q.orderBy('id') : q.orderBy('at').orderBy('id');
      if (filter.host !== undefined) q = q.where('host', '=', filter.host);
      if (filter.since !== undefined) q = q.where('at', '>=', utc(filter.since, 'changelog since'));
      if (filter.until !== undefined) q = q.where('at', '<', utc(filter.until, 'changelog until'));
      if (filter.publicOnly === true) q = q.where('public', '=', 1);
      if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
      if (filter.after !== undefined) {
        const { at, id } = { at: utc(filter.after.at, 'changelog page key'), id: filter.after.id };
        q = q.where((eb) => eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]));
      }
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return (await q.execute()).map(toEntry);
    },
    async findChangelogByRef(host, source, ref) {
      const row = await s.db
        .selectFrom('changelog')
        .select(['id', 'host', 'at', 'author', 'text', 'public', 'source', 'ref'])
        .where('host', '=', host)
        .where('source', '=', source)
        .where('ref', '=', ref)
        .executeTakeFirst();
      return row === undefined ? undefined : toEntry(row);
    },
    async changelogHead(host) {
      const row = await s.db.selectFrom('changelog').select((eb) => eb.fn.max('id').as('id')).where('host', '=', host).executeTakeFirst();
      // max() of no rows is NULL, whatever the column's type says.
      const id = row?.id as number | string | bigint | null | undefined;
      return id === null || id === undefined ? 0 : toNumber(id);
    },
    async addChangelogEntry(entry) {
      s.mustWrite('addChangelogEntry');
      const row = {
        host: entry.host,
        at: utc(entry.at, 'changelog at'),
        author: entry.author,
        text: entry.text,
        public: entry.public ? 1 : 0,
        source: entry.source,
        ref: entry.ref,
        created_at: utc(entry.createdAt, 'changelog createdAt'),
      };
      try {
        const { id } = await s.db.insertInto('changelog').values(row).returning('id').executeTakeFirstOrThrow();
        return toEntry({ ...row, id });
      } catch (e) {
        if (uniqueViolation(e) !== undefined) throw new RosterError('conflict', `host ${entry.host} already has a ${entry.source} changelog entry ${entry.ref ?? ''}`);
        throw e;
      }
    },
  };
}

function toEntry(r: Omit<Selectable<ChangelogTable>, 'created_at'>): ChangelogEntry {
  const source = CHANGELOG_SOURCES.find((x) => x === r.source);
  if (source === undefined) throw new RosterError('internal', `stored changelog entry ${r.id} has an unknown source "${r.source}"`);
  return { id: toNumber(r.id), host: r.host, at: r.at, author: r.author, text: r.text, public: toNumber(r.public) === 1, source, ref: r.ref };
}
