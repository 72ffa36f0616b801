import { scimDisplayName, type ScimGroupInput, type ScimGroupRecord } from '../../app/scim-groups.js';
import { ROSTER_GROUP_SCHEMA } from './scim-setup.js';

type Json = Record<string, unknown>;

/** SCIM Group ⇄ Roster group (DESIGN.md §5): id is the GID, members are accounts by their SCIM ids, `$ref` their address under `base` (…/scim/v2). */
export function groupResource(record: ScimGroupRecord, base: string): Json {
  const { group, scim } = record;
  return {
    id: String(group.gid),
    displayName: scimDisplayName(record),
    ...(scim?.externalId === null || scim?.externalId === undefined ? {} : { externalId: scim.externalId }),
    members: record.members.map((m) => ({ value: String(m.accountId), display: m.display ?? m.username, $ref: `${base}/Users/${m.accountId}`, type: 'User' })),
    meta: { created: group.createdAt, lastModified: scim?.updatedAt ?? group.createdAt },
    [ROSTER_GROUP_SCHEMA]: { groupName: group.name, gidNumber: group.gid },
  };
}

function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

export function groupInputFrom(group: Json): ScimGroupInput {
  const ext = asObject(group[ROSTER_GROUP_SCHEMA]) ?? {};
  const members = (Array.isArray(group.members) ? (group.members as unknown[]) : [])
    .map(asObject)
    .filter((m): m is Json => m !== undefined && (typeof m.value === 'string' || typeof m.value === 'number'))
    .map((m) => ({ value: String(m.value), display: typeof m.display === 'string' ? m.display : undefined }));
  return {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- scimmy has checked displayName is a string or absent (''); String() keeps whatever else came as it always read
    displayName: String(group.displayName ?? ''),
    externalId: typeof group.externalId === 'string' ? group.externalId : null,
    members,
    groupName: typeof ext.groupName === 'string' ? ext.groupName : undefined,
  };
}
