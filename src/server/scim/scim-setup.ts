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
 * A multi-valued attribute Roster computes. scimmy checks mutability by
 * identity, so a list declared read-only could not even be set on output
 * (a new array is never the old one); it is declared mutable for scimmy and
 * described as readOnly (RFC 7643 §7), which is what it is: Roster ignores
 * it on input (RFC 7644 §3.5.1).
 */
class ComputedList extends Attribute {
  constructor(name: string, description: string) {
    super('string', name, { multiValued: true, description });
  }
  override toJSON(): ReturnType<InstanceType<typeof Attribute>['toJSON']> {
    return { ...super.toJSON(), mutability: 'readOnly' };
  }
}

/**
 * The Roster extension of User: what the account is on Unix hosts. Only
 * `username` and `accountType` may be given, at creation; the person
 * fields apply to people SCIM owns (a change asked for anyone else's is
 * refused); the rest Roster computes: read-only, and ignored on input.
 */
const rosterUser = new SchemaDefinition('RosterUser', ROSTER_USER_SCHEMA, 'Roster account on Unix hosts', [
  new Attribute('string', 'username', { mutable: 'immutable', caseExact: true, description: 'Unix username: derived from userName unless given at creation' }),
  new Attribute('string', 'accountType', { mutable: 'immutable', caseExact: true, description: 'Roster account type (default: scim.accountType in roster.yaml)' }),
  new Attribute('integer', 'uidNumber', { mutable: false }),
  new Attribute('integer', 'gidNumber', { mutable: false }),
  new Attribute('string', 'homeDirectory', { mutable: false, caseExact: true }),
  new Attribute('string', 'loginShell', { mutable: false, caseExact: true }),
  new Attribute('string', 'state', { mutable: false, canonicalValues: ['pending', 'active', 'disabled', 'purged'] }),
  new ComputedList('holds', 'holds in force, as kind:reason (freeze:billing, retired:admin)'),
  new Attribute('dateTime', 'expiresAt', { mutable: false }),
  new Attribute('dateTime', 'purgeAt', { mutable: false }),
  new Attribute('string', 'personId', { mutable: false, caseExact: true }),
  new Attribute('string', 'roles', { multiValued: true, description: 'person roles (STUDENT, STAFF, MEMBER, …), for a person that came from SCIM' }),
  new Attribute('string', 'classes', { multiValued: true, description: 'person classes, for a person that came from SCIM' }),
  new Attribute('string', 'campuses', { multiValued: true, description: 'person campuses, for a person that came from SCIM' }),
  new Attribute('string', 'majors', { multiValued: true, description: 'person majors, for a person that came from SCIM' }),
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

/**
 * RFC 7643 §7 gives the `type` of `roles`, `entitlements` and
 * `x509Certificates` no canonical values ("a label indicating the
 * attribute's function"); scimmy declares an empty list of them, which
 * refuses every type (Entra ID sends `WindowsAzureActiveDirectoryRole`).
 */
function acceptAnyType(definition: { attribute(name: string): unknown }, attributes: readonly string[]): void {
  for (const name of attributes) {
    const type = definition.attribute(`${name}.type`) as InstanceType<typeof Attribute>;
    type.config.canonicalValues = false;
  }
}

export function configureScimmy(maxResults: number): void {
  if (configured) return;
  extend(SCIMMY.Schemas.User, rosterUser);
  extend(SCIMMY.Schemas.User, SCIMMY.Schemas.EnterpriseUser);
  extend(SCIMMY.Schemas.Group, rosterGroup);
  acceptAnyType(SCIMMY.Schemas.User.definition, ['roles', 'entitlements', 'x509Certificates']);
  // Declaration order is the order of /ResourceTypes: Users first. The names
  // are given: scimmy otherwise takes the class's name, which bundling renames
  // (User2), and /ResourceTypes/User would name nothing.
  SCIMMY.Resources.declare(SCIMMY.Resources.User, 'User');
  SCIMMY.Resources.declare(SCIMMY.Resources.Group, 'Group');
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
