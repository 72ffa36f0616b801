import SCIMMY from 'scimmy';

/**
 * scimmy's schemas, resource types and service provider configuration for
 * Roster (DESIGN.md §5 "SCIM mapping"). scimmy keeps these in module
 * state, so they are declared once per process, whatever the number of
 * servers made (tests make many).
 */

export const SCIM_BASE = '/scim/v2';
export const ROSTER_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:roster:2.0:User';
export const ROSTER_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:extension:roster:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

const { Attribute, SchemaDefinition } = SCIMMY.Types;

/**
 * The Roster extension of User: what the account is on Unix hosts. Only
 * `username` and `accountType` may be given, at creation; the person
 * fields apply to people SCIM owns; the rest is read-only and ignored on
 * input. (`holds` is declared mutable because scimmy cannot re-set an
 * immutable multi-valued attribute on output; its content is still Roster's.)
 */
const rosterUser = new SchemaDefinition('RosterUser', ROSTER_USER_SCHEMA, 'Roster account on Unix hosts', [
  new Attribute('string', 'username', { mutable: 'immutable', caseExact: true, description: 'Unix username: derived from userName unless given at creation' }),
  new Attribute('string', 'accountType', { mutable: 'immutable', caseExact: true, description: 'Roster account type (default: scim.accountType in roster.yaml)' }),
  new Attribute('integer', 'uidNumber', { mutable: false }),
  new Attribute('integer', 'gidNumber', { mutable: false }),
  new Attribute('string', 'homeDirectory', { mutable: false, caseExact: true }),
  new Attribute('string', 'loginShell', { mutable: false, caseExact: true }),
  new Attribute('string', 'state', { mutable: false, canonicalValues: ['pending', 'active', 'disabled', 'purged'] }),
  new Attribute('string', 'holds', { multiValued: true, description: 'holds in force, as kind:reason (freeze:billing, retired:admin); read-only' }),
  new Attribute('dateTime', 'expiresAt', { mutable: false }),
  new Attribute('dateTime', 'purgeAt', { mutable: false }),
  new Attribute('string', 'personId', { mutable: false, caseExact: true }),
  new Attribute('string', 'roles', { multiValued: true, description: 'person roles (STUDENT, STAFF, MEMBER, …)' }),
  new Attribute('string', 'classes', { multiValued: true }),
  new Attribute('string', 'campuses', { multiValued: true }),
  new Attribute('string', 'majors', { multiValued: true }),
]);

const rosterGroup = new SchemaDefinition('RosterGroup', ROSTER_GROUP_SCHEMA, 'Roster group on Unix hosts', [
  new Attribute('string', 'groupName', { mutable: 'immutable', caseExact: true, description: 'Unix group name: derived from displayName unless given at creation' }),
  new Attribute('integer', 'gidNumber', { mutable: false }),
]);

let configured = false;

/**
 * scimmy's typings declare `extend(Schema instance | Attribute[])`; the
 * implementation (types.js Schema.extend) takes a SchemaDefinition or a
 * Schema class, which is what its documentation shows.
 */
type Extend = (this: unknown, extension: unknown, required?: boolean) => void;
function extend(schema: { readonly extend: unknown }, extension: unknown): void {
  (schema.extend as Extend).call(schema, extension, false);
}

export function configureScimmy(maxResults: number): void {
  if (configured) return;
  extend(SCIMMY.Schemas.User, rosterUser);
  extend(SCIMMY.Schemas.User, SCIMMY.Schemas.EnterpriseUser);
  extend(SCIMMY.Schemas.Group, rosterGroup);
  // Declaration order is the order of /ResourceTypes: Users first.
  SCIMMY.Resources.declare(SCIMMY.Resources.User);
  SCIMMY.Resources.declare(SCIMMY.Resources.Group);
  for (const r of [SCIMMY.Resources.User, SCIMMY.Resources.Group, SCIMMY.Resources.Schema, SCIMMY.Resources.ResourceType, SCIMMY.Resources.ServiceProviderConfig]) r.basepath(SCIM_BASE);
  SCIMMY.Config.set({
    patch: { supported: true },
    filter: { supported: true, maxResults },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer token', description: 'a Roster API token of role scim (roster token create --role scim)', primary: true }],
  });
  configured = true;
}
