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

/** The core attributes userResource sets itself, in its order; what the IdP sent under these names is replaced (userInputFrom keeps them out anyway). */
const OWN = ['id', 'externalId', 'userName', 'active', 'name', 'displayName', 'emails', 'meta', ROSTER_USER_SCHEMA];
/** Extensions in the order they are declared (scim-setup.ts), as scimmy lists them in `schemas`; other URNs after them. */
const EXTENSION_ORDER = [ROSTER_USER_SCHEMA, ENTERPRISE_USER_SCHEMA];

const OWN_SET = new Set(OWN);

/** The JSON text of one of userResource's own attributes (id and meta are written apart); undefined for an externalId Roster has none of. */
function ownText(record: ScimUserRecord, attributes: Json, key: string, now: Date): string | undefined {
  const { account, person, scim } = record;
  switch (key) {
    case 'externalId':
      return scim?.externalId === null || scim?.externalId === undefined ? undefined : JSON.stringify(scim.externalId);
    case 'userName':
      return JSON.stringify(scimUserName(record));
    case 'active':
      return scimActive(account) ? 'true' : 'false';
    case 'name': {
      const sentName = asObject(attributes.name) ?? {};
      return JSON.stringify({ ...sentName, givenName: sentName.givenName ?? person?.firstName, familyName: sentName.familyName ?? person?.lastName });
    }
    case 'displayName':
      return JSON.stringify(attributes.displayName ?? account.gecos);
    case 'emails':
      return JSON.stringify(attributes.emails ?? (person === undefined ? [] : Object.entries(person.emails).map(([role, value], i) => ({ value, type: role.toLowerCase(), primary: i === 0 }))));
    case ROSTER_USER_SCHEMA:
      return rosterExtensionText(record, now);
    default:
      return undefined;
  }
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

function extensionRank(urn: string): number {
  return EXTENSION_ORDER.indexOf(urn) + 1 || 99;
}

/** The Roster extension of userResource, as its JSON text. */
function rosterExtensionText(record: ScimUserRecord, now: Date): string {
  const { account, person } = record;
  const holds = effectiveHolds(account, now);
  let text = `{"username":${JSON.stringify(account.username)},"accountType":${JSON.stringify(account.type)},"uidNumber":${JSON.stringify(account.uid)},"gidNumber":${JSON.stringify(account.gid)}`;
  text += `,"homeDirectory":${JSON.stringify(account.home)},"loginShell":${JSON.stringify(account.shell)},"state":${JSON.stringify(accountState(account, now))}`;
  text += `,"holds":${JSON.stringify(holds.map((h) => `${h.kind}:${h.reason}`))}`;
  if (account.expiresAt !== null) text += `,"expiresAt":${JSON.stringify(account.expiresAt)}`;
  if (account.purgeAt !== null) text += `,"purgeAt":${JSON.stringify(account.purgeAt)}`;
  text += `,"personId":${JSON.stringify(account.personId)}`;
  if (person !== undefined) text += `,"roles":${JSON.stringify(person.roles)},"classes":${JSON.stringify(person.classes)},"campuses":${JSON.stringify(person.campuses)},"majors":${JSON.stringify(person.majors)}`;
  return `${text}}`;
}

/**
 * The response body of a User without attribute projection, as its JSON
 * text: what scimmy's output coercion of userResource gives (a test holds
 * them equal), written without building either, for the requests an IdP
 * makes most (GET by id, `userName eq` lookups; issue 17: SCIM GET by id
 * at 5,000 requests/s). What the IdP sent was coerced by scimmy on the way
 * in, so it is already in schema form.
 *
 * The order of the members is the one the body always had: schemas, id,
 * externalId and meta first, then userResource's: what the IdP sent in
 * the order it was stored (names that are array indices first, as in any
 * object), then Roster's own attributes that were not sent, in OWN's
 * order; an attribute sent under one of Roster's names takes Roster's
 * value in the sent one's place. Undefined values are left out, as
 * JSON.stringify leaves them.
 */
export function userJsonText(record: ScimUserRecord, now: Date, usersBase: string): string {
  const { account, person, scim } = record;
  const attributes = scim?.attributes ?? {};
  const id = String(account.id);
  // userResource's keys: what the IdP sent, then its own it did not send (externalId only when there is one).
  const keys = Object.keys(attributes);
  for (const k of OWN) if (!Object.hasOwn(attributes, k) && (k !== 'externalId' || (scim?.externalId ?? null) !== null)) keys.push(k);
  let rest = '';
  // Names that are array indices ("7") come before every other in an object's JSON, whatever the order they were set in.
  let indices = '';
  const extensions: string[] = [];
  let externalId: string | undefined;
  // schemas come first; a `schemas` the IdP sent (userInputFrom keeps it out) would take their place.
  let schemas: string | undefined;
  for (const k of keys) {
    if (k === 'id' || k === 'meta') continue;
    if (k === 'schemas') {
      schemas = JSON.stringify(attributes.schemas);
      continue;
    }
    // A value the IdP sent under one of the own names is kept only where userResource keeps it (externalId without one of Roster's).
    const text = OWN_SET.has(k) ? (ownText(record, attributes, k, now) ?? (k === 'externalId' ? JSON.stringify(attributes[k]) : undefined)) : JSON.stringify(attributes[k]);
    if (text === undefined) continue;
    if (k === 'externalId') {
      externalId = text;
      continue;
    }
    if (k.startsWith('urn:')) extensions.push(k);
    if (ARRAY_INDEX.test(k) && Number(k) < 2 ** 32 - 1) indices += `${JSON.stringify(k)}:${text},`;
    else rest += `,${JSON.stringify(k)}:${text}`;
  }
  extensions.sort((a, b) => extensionRank(a) - extensionRank(b));
  const meta = `{"resourceType":"User","created":${JSON.stringify(account.createdAt)},"lastModified":${JSON.stringify(later(account.updatedAt, scim?.updatedAt, person?.updatedAt))},"location":${JSON.stringify(`${usersBase}/${id}`)}}`;
  return `{${indices}"schemas":${schemas ?? JSON.stringify([CORE_USER_SCHEMA, ...extensions])},"id":${JSON.stringify(id)}${externalId === undefined ? '' : `,"externalId":${externalId}`},"meta":${meta}${rest}}`;
}
