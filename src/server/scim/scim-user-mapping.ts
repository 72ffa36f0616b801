import { effectiveHolds, accountState } from '../../domain/account.js';
import { scimActive, scimUserName, type ScimEmail, type ScimUserInput, type ScimUserRecord } from '../../app/scim-users.js';
import { ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA } from './scim-setup.js';

const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * SCIM User ⇄ Roster (DESIGN.md §5 "SCIM mapping"). Out: the account, its
 * person and what the IdP sent, with the Roster extension describing the
 * Unix account. In: what a request (after scimmy's schema coercion) asks
 * of the account.
 */

type Json = Record<string, unknown>;

/** Attributes Roster models itself; everything else the IdP sends is kept as sent. */
const MODELLED = new Set(['id', 'schemas', 'meta', 'username', 'externalid', 'active', 'password', 'groups', ROSTER_USER_SCHEMA.toLowerCase()]);

function later(...times: ReadonlyArray<string | undefined>): string {
  return times.filter((t): t is string => t !== undefined).reduce((a, b) => (a > b ? a : b));
}

function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/** The resource scimmy then coerces for output (and filters are matched against). */
export function userResource(record: ScimUserRecord, now: Date): Json {
  const { account, person, scim } = record;
  const attributes: Json = { ...(scim?.attributes ?? {}) };
  const sentName = asObject(attributes.name) ?? {};
  const emails =
    attributes.emails ??
    (person === undefined ? [] : Object.entries(person.emails).map(([role, value], i) => ({ value, type: role.toLowerCase(), primary: i === 0 })));
  return {
    ...attributes,
    id: String(account.id),
    ...(scim?.externalId === null || scim?.externalId === undefined ? {} : { externalId: scim.externalId }),
    userName: scimUserName(record),
    active: scimActive(account),
    name: { ...sentName, givenName: sentName.givenName ?? person?.firstName, familyName: sentName.familyName ?? person?.lastName },
    displayName: attributes.displayName ?? account.gecos,
    emails,
    meta: { created: account.createdAt, lastModified: later(account.updatedAt, scim?.updatedAt, person?.updatedAt) },
    [ROSTER_USER_SCHEMA]: {
      username: account.username,
      accountType: account.type,
      uidNumber: account.uid,
      gidNumber: account.gid,
      homeDirectory: account.home,
      loginShell: account.shell,
      state: accountState(account, now),
      holds: effectiveHolds(account, now).map((h) => `${h.kind}:${h.reason}`),
      ...(account.expiresAt === null ? {} : { expiresAt: account.expiresAt }),
      ...(account.purgeAt === null ? {} : { purgeAt: account.purgeAt }),
      personId: account.personId,
      ...(person === undefined ? {} : { roles: [...person.roles], classes: [...person.classes], campuses: [...person.campuses], majors: [...person.majors] }),
    },
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

/** A request's User (already coerced by scimmy: attribute names canonical, types checked) as Roster's input. */
export function userInputFrom(user: Json): ScimUserInput {
  const ext = asObject(user[ROSTER_USER_SCHEMA]) ?? {};
  const name = asObject(user.name) ?? {};
  const emails: ScimEmail[] = (Array.isArray(user.emails) ? (user.emails as unknown[]) : [])
    .map(asObject)
    .filter((e): e is Json => e !== undefined && typeof e.value === 'string')
    .map((e) => ({ value: String(e.value), type: str(e.type), primary: e.primary === true }));
  const attributes = Object.fromEntries(Object.entries(user).filter(([k]) => !MODELLED.has(k.toLowerCase())));
  return {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- scimmy has checked userName is a string or absent (''); String() keeps whatever else came as it always read
    userName: String(user.userName ?? ''),
    externalId: str(user.externalId) ?? null,
    // Absent means active (RFC 7643 leaves it to the provider; IdPs that omit it mean an active user).
    active: user.active !== false,
    givenName: str(name.givenName),
    familyName: str(name.familyName),
    displayName: str(user.displayName),
    emails,
    password: str(user.password),
    username: str(ext.username),
    accountType: str(ext.accountType),
    roles: strings(ext.roles),
    classes: strings(ext.classes),
    campuses: strings(ext.campuses),
    majors: strings(ext.majors),
    attributes,
  };
}

/**
 * The response body of a User without attribute projection, built
 * directly: the same JSON scimmy's output coercion gives (a test holds
 * them equal), at a fraction of the cost, for the requests an IdP makes
 * most (GET by id, `userName eq` lookups). What the IdP sent was coerced by
 * scimmy on the way in, so it is already in schema form.
 */
export function userJson(resource: Json, usersBase: string): Json {
  const { id, externalId, meta, ...rest } = resource;
  const m = asObject(meta) ?? {};
  // In the order the extensions are declared (scim-setup.ts), as scimmy lists them.
  const order = [ROSTER_USER_SCHEMA, ENTERPRISE_USER_SCHEMA];
  const extensions = Object.keys(rest)
    .filter((k) => k.startsWith('urn:'))
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return {
    schemas: [CORE_USER_SCHEMA, ...extensions],
    id,
    ...(externalId === undefined ? {} : { externalId }),
    meta: { resourceType: 'User', created: m.created, lastModified: m.lastModified, location: `${usersBase}/${String(id)}` },
    ...rest,
  };
}
