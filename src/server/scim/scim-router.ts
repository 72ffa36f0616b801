import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import SCIMMY from 'scimmy';
import type { AppContext } from '../../app/app-context.js';
import { createScimGroup, deleteScimGroup, readScimGroup, readScimGroups, replaceScimGroup, type ScimGroupRecord } from '../../app/scim-groups.js';
import { createScimUser, deleteScimUser, readScimUser, readScimUsers, replaceScimUser, type ScimUserRecord } from '../../app/scim-users.js';
import { errorMessage } from '../../domain/errors.js';
import type { ScimReads } from '../../store/store.js';
import { authenticateRequest, type RequestGate } from '../authenticate-request.js';
import { SCIM_CLIENTS } from '../permissions.js';
import { requestContext, type ServerDeps } from '../server-deps.js';
import { scimErrorFrom, scimErrorResponse, scimmy, scimmyAsync } from './scim-error.js';
import { matchesFilter, type ParsedFilter } from './scim-filter-match.js';
import { groupInputFrom, groupResource } from './scim-group-mapping.js';
import { normalisePatch, normaliseResource } from './scim-request-normalise.js';
import { configureScimmy, ROSTER_USER_SCHEMA, SCIM_BASE, SCIM_CONTENT_TYPE } from './scim-setup.js';
import { userInputFrom, userJsonText, userResource } from './scim-user-mapping.js';

type Json = Record<string, unknown>;
/** scimmy checks the body's schemas and operations itself (400 invalidSyntax / invalidValue). */
type PatchRequest = ConstructorParameters<typeof SCIMMY.Messages.PatchOp>[0];

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
/** How many accounts a filter that no index answers reads per round trip. */
const SCAN_PAGE = 1000;

/** A SCIM answer from its JSON text (resources are written as text: userJsonText). */
function scimText(text: string, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(text, { status, headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers } });
}

function scimJson(value: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return scimText(JSON.stringify(value), status, headers);
}

function plain(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // Only where it broke: the parser's own wording is JavaScript's, not SCIM's.
    const at = /position (\d+)/.exec(errorMessage(e))?.[1];
    throw new SCIMMY.Types.Error(400, 'invalidSyntax', `the request body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`);
  }
}

/** Resource ids are account ids and GIDs: anything else names nothing. */
function idOf(c: Context): number | undefined {
  const id = c.req.param('id') ?? '';
  return /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : undefined;
}

function notFound(kind: string, c: Context): Response {
  return scimErrorResponse(404, `${kind} ${c.req.param('id') ?? ''} not found`);
}

type Kind = 'User' | 'Group';
const CORE_SCHEMA: Readonly<Record<Kind, string>> = { User: 'urn:ietf:params:scim:schemas:core:2.0:User', Group: 'urn:ietf:params:scim:schemas:core:2.0:Group' };
/**
 * An attribute name as RFC 7644 §3.4.2.5 takes it: a name or a
 * sub-attribute, optionally qualified by a schema URN (§3.10). `attributes`
 * also takes a value filter (`emails[type eq "work"]`, which Microsoft's
 * test collection sends), and scimmy shows the matching values;
 * `excludedAttributes` does not, since scimmy would exclude everything.
 */
const ATTRIBUTE_NAME = /^(?:urn:[A-Za-z0-9.:_-]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?$/;
const ATTRIBUTE_PATH = /^(?:urn:[A-Za-z0-9.:_-]+:)?[A-Za-z$][\w$-]*(?:\[[^\]]*\])?(?:\.[A-Za-z$][\w$-]*)?$/;

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) as the filter
 * scimmy projects output with. Names qualified by the core schema
 * (`urn:…:core:2.0:User:userName`) are the core attribute; extension names
 * (`urn:…:roster:2.0:User:uidNumber`) scimmy resolves itself. `schemas` and
 * `id` are always asked for: they are always returned (RFC 7643 §3.1), and
 * scimmy, left with only sub-attributes or extension attributes to include,
 * would otherwise keep every extension and then fail on its missing
 * `schemas`.
 */
function projection(c: Context, kind: Kind, query: Readonly<Record<string, string>> = c.req.query()): SCIMMY.Types.Filter | undefined {
  const attributes = query.attributes;
  const excluded = query.excludedAttributes;
  if (attributes !== undefined && attributes.trim() !== '') {
    const wanted = ['schemas', 'id', ...attributeNames(kind, attributes, 'attributes', ATTRIBUTE_PATH)];
    return scimmy(() => new SCIMMY.Types.Filter(wanted.map((a) => `${a} pr`).join(' and ')));
  }
  if (excluded !== undefined && excluded.trim() !== '') {
    const unwanted = attributeNames(kind, excluded, 'excludedAttributes', ATTRIBUTE_NAME);
    return unwanted.length === 0 ? undefined : scimmy(() => new SCIMMY.Types.Filter(unwanted.map((a) => `${a} np`).join(' and ')));
  }
  return undefined;
}

/** The names of an `attributes` or `excludedAttributes` list, those qualified by the core schema without it. */
function attributeNames(kind: Kind, text: string, parameter: string, shape: RegExp): string[] {
  const core = `${CORE_SCHEMA[kind]}:`.toLowerCase();
  return text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
    .map((a) => (a.toLowerCase().startsWith(core) ? a.slice(core.length) : a))
    .map((a) => {
      if (!shape.test(a)) throw new SCIMMY.Types.Error(400, 'invalidSyntax', `${parameter}: "${a}" is not an attribute name`);
      return a;
    });
}

/** Discovery resources with their real address in meta.location (RFC 7643 §3.1: the URI of the resource); scimmy knows only the path. */
function locatedAt(value: unknown, origin: string): unknown {
  if (Array.isArray(value)) return value.map((v) => locatedAt(v, origin));
  if (typeof value !== 'object' || value === null) return value;
  const o = JSON.parse(JSON.stringify(value)) as Json;
  const meta = o.meta as Json | undefined;
  if (meta !== undefined && typeof meta.location === 'string' && meta.location.startsWith('/')) o.meta = { ...meta, location: `${origin}${meta.location}` };
  if (Array.isArray(o.Resources)) o.Resources = o.Resources.map((r: unknown) => locatedAt(r, origin));
  return o;
}

interface Paging {
  readonly startIndex: number;
  readonly count: number;
}

function paging(query: Readonly<Record<string, string>>, deps: ServerDeps): Paging {
  const whole = (name: string): number | undefined => {
    const v = query[name];
    return v !== undefined && /^-?\d{1,9}$/.test(v.trim()) ? Number(v) : undefined;
  };
  // RFC 7644 §3.4.2.4: startIndex below 1 means 1, a negative count means 0.
  const { pageSize } = deps.config.server;
  return { startIndex: Math.max(1, whole('startIndex') ?? 1), count: Math.min(pageSize.max, Math.max(0, whole('count') ?? pageSize.default)) };
}

/** The ListResponse of resources given as their JSON text: the text JSON.stringify gives of the object with them in it. */
function listResponse(resources: readonly string[], total: number, page: Paging): Response {
  return scimText(`{"schemas":${JSON.stringify([LIST_RESPONSE])},"totalResults":${total},"startIndex":${page.startIndex},"itemsPerPage":${resources.length},"Resources":[${resources.join(',')}]}`);
}

/** `userName eq "…"`, the filter an IdP sends before each create: read without the general parser. */
const USERNAME_EQ = /^\s*userName\s+eq\s+"((?:[^"\\]|\\["\\])*)"\s*$/i;

function filterOf(query: Readonly<Record<string, string>>): ParsedFilter | undefined {
  const text = query.filter;
  if (text === undefined || text.trim() === '') return undefined;
  const quick = USERNAME_EQ.exec(text);
  if (quick?.[1] !== undefined) return [{ userName: ['eq', quick[1].replace(/\\(["\\])/g, '$1')] }];
  return scimmy(() => new SCIMMY.Types.Filter(text));
}

/** An `eq` on userName, externalId or id in every alternative lets indexes name the candidates; otherwise every account is read. */
async function candidateIds(q: ScimReads, filter: ParsedFilter): Promise<number[] | 'all'> {
  const ids = new Set<number>();
  for (const alternative of filter) {
    let found = false;
    for (const [attr, condition] of Object.entries(alternative)) {
      if (!Array.isArray(condition) || String(condition[0]).toLowerCase() !== 'eq' || condition.length !== 2) continue;
      const value: unknown = condition[1];
      const key = attr.toLowerCase();
      if (key === 'username' && typeof value === 'string') for (const id of await q.accountIdsByScimUserName(value)) ids.add(id);
      else if (key === 'externalid' && typeof value === 'string') for (const id of await q.accountIdsByExternalId(value)) ids.add(id);
      else if (key === 'id' && /^[1-9][0-9]{0,15}$/.test(String(value))) ids.add(Number(value));
      else continue;
      found = true;
      break;
    }
    if (!found) return 'all';
  }
  return [...ids].sort((a, b) => a - b);
}

/** A User as its JSON text. */
function userOut(record: ScimUserRecord, ctx: AppContext, base: string, attributes?: SCIMMY.Types.Filter): string {
  const now = ctx.clock.now();
  // Without a projection the body is written directly (userJsonText); scimmy projects when asked to.
  if (attributes === undefined) return userJsonText(record, now, `${base}/Users`);
  const resource = userResource(record, now);
  return JSON.stringify(scimmy(() => new SCIMMY.Schemas.User(resource, 'out', `${base}/Users`, attributes)));
}

/** A Group as its JSON text. */
function groupOut(record: ScimGroupRecord, base: string, attributes?: SCIMMY.Types.Filter): string {
  return JSON.stringify(scimmy(() => new SCIMMY.Schemas.Group(groupResource(record, base), 'out', `${base}/Groups`, attributes)));
}

/** A request's User through scimmy's schema (types, required userName), as plain JSON plus the write-only password. */
function userIn(body: unknown): Json {
  const instance = scimmy(() => new SCIMMY.Schemas.User(normaliseResource(body, SCIMMY.Schemas.User.definition) as Json, 'in'));
  const password = (instance as unknown as { password?: unknown }).password;
  return { ...plain(instance), ...(typeof password === 'string' ? { password } : {}) };
}

function groupIn(body: unknown): Json {
  return plain(scimmy(() => new SCIMMY.Schemas.Group(normaliseResource(body, SCIMMY.Schemas.Group.definition) as Json, 'in')));
}

async function listUsers(c: Context, ctx: AppContext, deps: ServerDeps, base: string): Promise<Response> {
  const q = ctx.store.read;
  const query = c.req.query();
  const page = paging(query, deps);
  const attributes = projection(c, 'User', query);
  const filter = filterOf(query);
  const now = ctx.clock.now();
  if (filter === undefined) {
    const { ids, total } = await q.scimAccountPage({ offset: page.startIndex - 1, limit: page.count });
    const records = await readScimUsers(q, ids);
    return listResponse(records.map((r) => userOut(r, ctx, base, attributes)), total, page);
  }
  const matches: ScimUserRecord[] = [];
  const keep = (records: readonly ScimUserRecord[]): void => {
    for (const r of records) if (matchesFilter(filter, userResource(r, now))) matches.push(r);
  };
  const candidates = await candidateIds(q, filter);
  if (candidates === 'all') {
    for (let offset = 0; ; offset += SCAN_PAGE) {
      const { ids } = await q.scimAccountPage({ offset, limit: SCAN_PAGE });
      keep(await readScimUsers(q, ids));
      if (ids.length < SCAN_PAGE) break;
    }
  } else {
    keep(await readScimUsers(q, candidates));
  }
  const shown = matches.slice(page.startIndex - 1, page.startIndex - 1 + page.count);
  return listResponse(shown.map((r) => userOut(r, ctx, base, attributes)), matches.length, page);
}

async function listGroups(c: Context, ctx: AppContext, deps: ServerDeps, base: string): Promise<Response> {
  const query = c.req.query();
  const page = paging(query, deps);
  const attributes = projection(c, 'Group', query);
  const filter = filterOf(query);
  const all = await readScimGroups(ctx.store.read);
  const matches = filter === undefined ? all : all.filter((g) => matchesFilter(filter, groupResource(g, base)));
  const shown = matches.slice(page.startIndex - 1, page.startIndex - 1 + page.count);
  return listResponse(shown.map((g) => groupOut(g, base, attributes)), matches.length, page);
}

/**
 * `holds` is Roster's to set, and described as read-only; scimmy is told it
 * is mutable (scim-setup's ComputedList), so a PATCH that would change it is
 * refused here, as scimmy refuses one on the other read-only attributes.
 */
function keepHolds(before: Json, after: Json): void {
  const holds = (resource: Json): string => {
    const ext = resource[ROSTER_USER_SCHEMA];
    const list = typeof ext === 'object' && ext !== null ? (ext as Json).holds : undefined;
    return JSON.stringify((Array.isArray(list) ? list.map(String) : []).sort());
  };
  if (holds(before) !== holds(after)) throw new SCIMMY.Types.Error(400, 'mutability', `Attribute 'holds' is read-only: holds are placed and lifted in Roster (active=false places freeze:scim)`);
}

/** The request's id (hono/request-id, installed by createServer); tests may mount these routes without it. */
function requestIdOf(c: Context): string {
  const id: unknown = c.get('requestId');
  return typeof id === 'string' ? id : 'unknown';
}

/** Answers made with the request's id already among their headers: withRequestId need not open their headers (a Headers object per answer). */
const stamped = new WeakSet<Response>();

/** A SCIM JSON answer that names its request from the start (the hot path: GET by id). */
function scimTextOf(c: Context, text: string): Response {
  const id = requestIdOf(c);
  if (id === 'unknown') return scimText(text);
  const response = scimText(text, 200, { 'x-request-id': id });
  stamped.add(response);
  return response;
}

/** Every SCIM answer names its request, as the log does: a response object made here does not get the header the middleware sets. */
function withRequestId(response: Response, c: Context): Response {
  if (stamped.has(response)) return response;
  const id = requestIdOf(c);
  if (id !== 'unknown' && !response.headers.has('x-request-id')) response.headers.set('X-Request-Id', id);
  return response;
}

/**
 * RFC 7644 §3.5.2: a successful PATCH answers 200 with the resource (subject
 * to `attributes`), which Okta requires, or may answer 204. The resource is
 * the answer, except to a client that sends plain JSON, accepts no SCIM
 * media type and asks for no attributes: that is how Microsoft's SCIM test
 * collection calls, and Microsoft's reference implementation, which it
 * checks against, answers such a request with 204. Okta and Entra ID send
 * application/scim+json (RFC 7644 §3.8).
 */
function patchAnswer(c: Context, attributes: SCIMMY.Types.Filter | undefined, resource: () => string): Response {
  const plainJson = /^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '') && !/application\/scim\+json/i.test(c.req.header('accept') ?? '');
  return plainJson && attributes === undefined ? new Response(null, { status: 204 }) : scimText(resource());
}

/**
 * SCIM 2.0 under /scim/v2 (RFC 7643, 7644; DESIGN.md §5): Users and Groups
 * with filters, paging and PATCH (scimmy parses and applies them), and the
 * discovery endpoints. Only admin and scim tokens get in; every error is a
 * SCIM Error. PATCH answers 200 with the resource (patchAnswer says when 204).
 */
export function mountScimRoutes(app: Hono, deps: ServerDeps, gate: RequestGate): void {
  configureScimmy(deps.config.server.pageSize.max);
  const maxSize = deps.config.server.maxBodyBytes;
  const limit = bodyLimit({ maxSize, onError: (c) => withRequestId(scimErrorResponse(413, `the request body is over ${maxSize} bytes`), c) });
  // The URL's origin, parsed once per scheme and Host header seen (a few), not once per answer; bounded, as clients choose the Host header.
  const origins = new Map<string, string>();
  const baseOf = (c: Context): string => {
    const url = c.req.url;
    const path = url.indexOf('/', url.indexOf('//') + 2);
    const prefix = path < 0 ? url : url.slice(0, path);
    let origin = origins.get(prefix);
    if (origin === undefined) {
      origin = new URL(url).origin;
      if (origins.size >= 64) origins.clear();
      origins.set(prefix, origin);
    }
    return `${origin}${SCIM_BASE}`;
  };

  type Handler = (c: Context, ctx: AppContext) => Promise<Response>;
  const guarded =
    (handler: Handler) =>
    async (c: Context): Promise<Response> => {
      try {
        const auth = await authenticateRequest(deps, gate, c.req.header('authorization'), SCIM_CLIENTS);
        if (!auth.ok) {
          deps.log.info(`refused ${c.req.method} ${c.req.path}: ${auth.error.code}`);
          return withRequestId(scimErrorFrom(auth.error, deps.log, requestIdOf(c), auth.headers), c);
        }
        return withRequestId(await handler(c, requestContext(deps, auth.principal)), c);
      } catch (e) {
        return withRequestId(scimErrorFrom(e, deps.log, requestIdOf(c)), c);
      }
    };
  const discovery =
    (read: (c: Context) => Promise<unknown>) =>
    async (c: Context): Promise<Response> => {
      try {
        return withRequestId(scimJson(locatedAt(await read(c), new URL(c.req.url).origin)), c);
      } catch (e) {
        return withRequestId(scimErrorFrom(e, deps.log, requestIdOf(c)), c);
      }
    };

  // Discovery is public (RFC 7644 §4): it says what the server supports, nothing about anyone.
  const config = discovery(async () => new SCIMMY.Resources.ServiceProviderConfig().read());
  app.get(`${SCIM_BASE}/ServiceProviderConfig`, config);
  // The Microsoft SCIM test collection asks for it by this older name.
  app.get(`${SCIM_BASE}/serviceConfiguration`, config);
  app.get(`${SCIM_BASE}/ResourceTypes`, discovery(async () => new SCIMMY.Resources.ResourceType().read()));
  app.get(`${SCIM_BASE}/ResourceTypes/:id`, discovery(async (c) => new SCIMMY.Resources.ResourceType(c.req.param('id') ?? '').read()));
  app.get(`${SCIM_BASE}/Schemas`, discovery(async () => new SCIMMY.Resources.Schema().read()));
  app.get(`${SCIM_BASE}/Schemas/:id`, discovery(async (c) => new SCIMMY.Resources.Schema(c.req.param('id') ?? '').read()));

  app.get(`${SCIM_BASE}/Users`, guarded((c, ctx) => listUsers(c, ctx, deps, baseOf(c))));
  app.post(
    `${SCIM_BASE}/Users`,
    limit,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'User');
      const input = userInputFrom(userIn(await readJson(c)));
      const { record } = await createScimUser(ctx, input);
      const base = baseOf(c);
      return scimText(userOut(record, ctx, base, attributes), 201, { location: `${base}/Users/${record.account.id}` });
    }),
  );
  app.get(
    `${SCIM_BASE}/Users/:id`,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'User');
      const id = idOf(c);
      const record = id === undefined ? undefined : await readScimUser(ctx.store.read, id);
      if (record === undefined) return notFound('User', c);
      return scimTextOf(c, userOut(record, ctx, baseOf(c), attributes));
    }),
  );
  app.put(
    `${SCIM_BASE}/Users/:id`,
    limit,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'User');
      const id = idOf(c);
      if (id === undefined) return notFound('User', c);
      const input = userInputFrom(userIn(await readJson(c)));
      return scimText(userOut(await replaceScimUser(ctx, id, input), ctx, baseOf(c), attributes));
    }),
  );
  app.patch(
    `${SCIM_BASE}/Users/:id`,
    limit,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'User');
      const id = idOf(c);
      const record = id === undefined ? undefined : await readScimUser(ctx.store.read, id);
      if (id === undefined || record === undefined) return notFound('User', c);
      const body = normalisePatch(await readJson(c), SCIMMY.Schemas.User.definition);
      const base = baseOf(c);
      const resource = userResource(record, ctx.clock.now());
      const current = scimmy(() => new SCIMMY.Schemas.User(resource, 'out', `${base}/Users`));
      // unknown: scimmy types apply() as always giving the resource, but it gives undefined when the patch changes nothing.
      const patched: unknown = await scimmyAsync(() => scimmy(() => new SCIMMY.Messages.PatchOp(body as PatchRequest)).apply(current));
      if (patched !== undefined) keepHolds(resource, plain(patched));
      const after = patched === undefined ? record : await replaceScimUser(ctx, id, userInputFrom(userIn(plain(patched))));
      return patchAnswer(c, attributes, () => userOut(after, ctx, base, attributes));
    }),
  );
  app.delete(
    `${SCIM_BASE}/Users/:id`,
    guarded(async (c, ctx) => {
      const id = idOf(c);
      if (id === undefined) return notFound('User', c);
      await deleteScimUser(ctx, id);
      return new Response(null, { status: 204 });
    }),
  );

  app.get(`${SCIM_BASE}/Groups`, guarded((c, ctx) => listGroups(c, ctx, deps, baseOf(c))));
  app.post(
    `${SCIM_BASE}/Groups`,
    limit,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'Group');
      const record = await createScimGroup(ctx, groupInputFrom(groupIn(await readJson(c))));
      const base = baseOf(c);
      return scimText(groupOut(record, base, attributes), 201, { location: `${base}/Groups/${record.group.gid}` });
    }),
  );
  app.get(
    `${SCIM_BASE}/Groups/:id`,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'Group');
      const id = idOf(c);
      const record = id === undefined ? undefined : await readScimGroup(ctx.store.read, id);
      if (record === undefined) return notFound('Group', c);
      return scimText(groupOut(record, baseOf(c), attributes));
    }),
  );
  app.put(
    `${SCIM_BASE}/Groups/:id`,
    limit,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'Group');
      const id = idOf(c);
      if (id === undefined) return notFound('Group', c);
      const record = await replaceScimGroup(ctx, id, groupInputFrom(groupIn(await readJson(c))));
      return scimText(groupOut(record, baseOf(c), attributes));
    }),
  );
  app.patch(
    `${SCIM_BASE}/Groups/:id`,
    limit,
    guarded(async (c, ctx) => {
      const attributes = projection(c, 'Group');
      const id = idOf(c);
      const record = id === undefined ? undefined : await readScimGroup(ctx.store.read, id);
      if (id === undefined || record === undefined) return notFound('Group', c);
      const body = normalisePatch(await readJson(c), SCIMMY.Schemas.Group.definition);
      const base = baseOf(c);
      const current = scimmy(() => new SCIMMY.Schemas.Group(groupResource(record, base), 'out', `${base}/Groups`));
      // unknown: scimmy types apply() as always giving the resource, but it gives undefined when the patch changes nothing.
      const patched: unknown = await scimmyAsync(() => scimmy(() => new SCIMMY.Messages.PatchOp(body as PatchRequest)).apply(current));
      const after = patched === undefined ? record : await replaceScimGroup(ctx, id, groupInputFrom(groupIn(plain(patched))));
      return patchAnswer(c, attributes, () => groupOut(after, base, attributes));
    }),
  );
  app.delete(
    `${SCIM_BASE}/Groups/:id`,
    guarded(async (c, ctx) => {
      const id = idOf(c);
      if (id === undefined) return notFound('Group', c);
      await deleteScimGroup(ctx, id);
      return new Response(null, { status: 204 });
    }),
  );

  app.all(`${SCIM_BASE}/*`, (c) => withRequestId(scimErrorResponse(404, `no SCIM endpoint ${c.req.method} ${c.req.path}`), c));
}
