import * as z from 'zod';
import { addChangelogEntry, addHostFileEntry, listChangelog, MAX_CHANGELOG_AUTHOR, requireChangelogHost, type ChangelogQuery } from '../app/changelog.js';
import type { ServerConfig } from '../config/config-schema.js';
import { RosterError } from '../domain/errors.js';
import { parseTimeBound } from '../domain/time-bound.js';
import type { AppContext } from '../app/app-context.js';
import type { ChangelogEntry } from '../store/store.js';
import { CHANGELOG_SOURCES } from '../store/queries/changelog-queries.js';
import { route, type ApiRoute } from './api-route.js';
import { HOST_READERS, READERS } from './permissions.js';

const iso = z.string().meta({ format: 'date-time' });

export const changelogEntrySchema = z.object({
  id: z.int(),
  host: z.string(),
  at: iso.meta({ description: 'when it was done' }),
  author: z.string().meta({ description: 'who: the invoking person (SUDO_USER, else the login user), the token, or `roster` for its own applies' }),
  text: z.string().meta({ description: 'what was done; may span lines' }),
  public: z.boolean().meta({ description: 'shown on the public status page' }),
  source: z.enum(CHANGELOG_SOURCES).meta({ description: "`cli`, `api`, `apply` (Roster's own apply) or `host-file` (written by hand into the host's /root/changelog)" }),
  ref: z.string().nullable().meta({ description: 'the host report of an apply, or the hash that keeps a hand-written entry from being stored twice' }),
});

const hostParams = z.strictObject({ host: z.string().max(64) });

/** The page cursor of time order: the last entry's time and id. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z),(\d{1,15})$/;

function filters(config: ServerConfig) {
  return {
    since: z.string().max(64).optional().meta({ description: 'at or after: an ISO 8601 time, a date (the start of that day in roster.yaml timeZone), or a span back from now such as 7d, 12h, 30m' }),
    until: z.string().max(64).optional().meta({ description: 'before, in the same forms as since' }),
    public: z.enum(['true', 'false']).optional().meta({ description: 'true: only the entries shown on the status page' }),
    after: z.string().max(64).regex(CURSOR, { error: 'expected the `next` of the previous page' }).optional().meta({ description: 'the `next` cursor of the previous page' }),
    afterId: z.coerce.number().int().min(0).optional().meta({ description: 'entries stored after this id, in the order stored (how a host catches up, whatever the entries\' times)' }),
    limit: z.coerce.number().int().min(1).max(config.pageSize.max).default(config.pageSize.default).meta({ description: `page size, at most ${config.pageSize.max}` }),
  };
}

type FilterQuery = z.infer<z.ZodObject<ReturnType<typeof filters>>>;

function changelogQuery(ctx: AppContext, q: FilterQuery): ChangelogQuery {
  if (q.after !== undefined && q.afterId !== undefined) throw new RosterError('bad_input', 'query.after and query.afterId are two ways of paging: give one', [{ where: 'query.afterId', message: 'not with after' }]);
  const now = ctx.clock.now();
  const bound = (text: string | undefined, field: string): Date | undefined => (text === undefined ? undefined : parseTimeBound(text, now, ctx.config.timeZone, field, 'bad_input'));
  const since = bound(q.since, 'query.since');
  const until = bound(q.until, 'query.until');
  const cursor = q.after === undefined ? null : CURSOR.exec(q.after);
  return {
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(q.public === 'true' ? { publicOnly: true } : {}),
    ...(cursor === null ? {} : { after: { at: cursor[1] ?? '', id: Number(cursor[2]) } }),
    ...(q.afterId === undefined ? {} : { afterId: q.afterId, order: 'stored' as const }),
    limit: q.limit + 1,
  };
}

/** One page: `next` names the last entry shown when more follow. */
function pageOf(entries: readonly ChangelogEntry[], limit: number, q: FilterQuery): { items: ChangelogEntry[]; next: string | null } {
  const items = entries.slice(0, limit);
  const last = items.at(-1);
  // Pages of afterId continue from the last id, which the items carry.
  const next = entries.length > limit && last !== undefined ? (q.afterId === undefined ? `${last.at},${last.id}` : String(last.id)) : null;
  return { items, next };
}

const pageSchema = z.object({
  items: z.array(changelogEntrySchema),
  next: z.string().nullable().meta({ description: 'more follow: pass as `after` (or, when paging by afterId, as afterId) for the next page; null on the last page' }),
});

/** What an admin adds (`source` left out or `api`), or an agent sends from its host's /root/changelog (`source: host-file`, with the entry's time and author). */
export const changelogBody = z.strictObject({
  text: z.string().max(16_000).meta({ description: 'what was done: 1 to 4000 characters, line breaks allowed' }),
  public: z.boolean().default(false).meta({ description: 'show it on the public status page' }),
  source: z.enum(['api', 'host-file']).default('api').meta({ description: "`host-file`: an entry written by hand into the host's /root/changelog, sent by its agent; the same entry sent again is stored once" }),
  at: z.iso.datetime({ offset: true }).optional().meta({ description: 'with host-file: when, as its date line says' }),
  author: z.string().max(MAX_CHANGELOG_AUTHOR * 4).optional().meta({ description: 'with host-file: who, as its date line says' }),
});

/**
 * The changelog of interventions per host (seed GlobeNet): admins and
 * operators add entries; a host's agent reads its own host's entries (to
 * keep `/root/changelog` in step) and sends the ones written there by hand.
 */
export function changelogRoutes(server: ServerConfig): ApiRoute[] {
  const query = filters(server);
  return [
    route({
      method: 'get',
      path: '/changelog',
      operationId: 'listChangelog',
      summary: 'Changelog entries of every host (or one), by time',
      tag: 'changelog',
      roles: READERS,
      query: z.strictObject({ host: z.string().max(64).optional(), ...query }),
      response: pageSchema,
      async handler({ ctx, query: q }) {
        const entries = await listChangelog(ctx, { ...changelogQuery(ctx, q), ...(q.host === undefined ? {} : { host: q.host }) });
        return pageOf(entries, q.limit, q);
      },
    }),
    route({
      method: 'get',
      path: '/hosts/{host}/changelog',
      operationId: 'listHostChangelog',
      summary: "A host's changelog entries, by time (by id with afterId); its own agent may read them",
      tag: 'changelog',
      roles: HOST_READERS,
      hostParam: 'host',
      params: hostParams,
      query: z.strictObject(query),
      response: pageSchema,
      async handler({ ctx, params, query: q }) {
        const entries = await listChangelog(ctx, { ...changelogQuery(ctx, q), host: params.host });
        return pageOf(entries, q.limit, q);
      },
    }),
    route({
      method: 'post',
      path: '/hosts/{host}/changelog',
      operationId: 'addHostChangelog',
      summary: "Adds an entry to a host's changelog: an intervention done now, by the token; or, from the host's agent, one written by hand into /root/changelog",
      tag: 'changelog',
      roles: ['admin', 'operator', 'agent'],
      hostParam: 'host',
      params: hostParams,
      body: changelogBody,
      status: 201,
      response: changelogEntrySchema,
      notes: { 200: 'a host-file entry already stored: the stored one' },
      async handler({ ctx, principal, params, body }) {
        const role = principal.token.role;
        if (body.source === 'host-file') {
          if (role === 'operator') throw new RosterError('forbidden', "entries from a host's /root/changelog come from its agent (or an admin acting for it)");
          const missing = (['at', 'author'] as const).filter((k) => body[k] === undefined);
          if (missing.length > 0) throw new RosterError('bad_input', `a host-file entry says when and who: ${missing.map((k) => `body.${k}`).join(', ')} missing`, missing.map((k) => ({ where: `body.${k}`, message: 'required with source host-file' })));
          const { entry, created } = await addHostFileEntry(ctx, { host: params.host, at: body.at ?? '', author: body.author ?? '', text: body.text });
          return created ? entry : new Response(JSON.stringify(changelogEntrySchema.parse(entry)), { status: 200, headers: { 'content-type': 'application/json' } });
        }
        if (role === 'agent') throw new RosterError('forbidden', "an agent token adds only the entries written into its host's /root/changelog (source host-file)");
        const set = (['at', 'author'] as const).filter((k) => body[k] !== undefined);
        if (set.length > 0) throw new RosterError('bad_input', `${set.map((k) => `body.${k}`).join(', ')}: an entry added through the API is by the token, now`, set.map((k) => ({ where: `body.${k}`, message: 'only with source host-file' })));
        requireChangelogHost(ctx, params.host, 'path.host');
        return addChangelogEntry(ctx, { host: params.host, text: body.text, public: body.public });
      },
    }),
  ];
}
