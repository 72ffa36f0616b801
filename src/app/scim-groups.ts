import { RosterError } from '../domain/errors.js';
import type { RosterConfig } from '../config/config-schema.js';
import { MAX_USERNAME_LENGTH, validateUsername } from '../domain/usernames.js';
import type { ScimGroup } from '../store/queries/scim-queries.js';
import type { AccountReads, AuditWrites, Group, GroupReads, GroupWrites, PeopleReads, ScimReads } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { addGroup } from './groups.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';
import { readScimUser, unixNameFrom } from './scim-users.js';

/**
 * SCIM Groups (DESIGN.md §5): a SCIM Group is a Roster group, identified by
 * its GID (never reused); its members are accounts, named by their SCIM ids.
 * SCIM manages a group's explicit members; membership that account types
 * give is roster.yaml's business and is not shown or changed here. The Unix
 * group name is derived from `displayName` once, at creation, like the
 * username of a SCIM User.
 */

export interface ScimGroupInput {
  readonly displayName: string;
  readonly externalId: string | null;
  /** SCIM members: account ids, with the display names the IdP gave them. */
  readonly members: ReadonlyArray<{ readonly value: string; readonly display?: string | undefined }>;
  /** Roster extension, creation only: the Unix group name wanted. */
  readonly groupName?: string | undefined;
}

export interface ScimGroupMember {
  readonly accountId: number;
  readonly username: string;
  /** As the IdP last sent it, if it did. */
  readonly display: string | undefined;
}

export interface ScimGroupRecord {
  readonly group: Group;
  readonly scim: ScimGroup | undefined;
  readonly members: readonly ScimGroupMember[];
}

export function scimDisplayName(record: ScimGroupRecord): string {
  return record.scim?.displayName ?? record.group.name;
}

function displayNames(scim: ScimGroup | undefined): Map<string, string> {
  const sent = scim?.attributes.members;
  const out = new Map<string, string>();
  if (!Array.isArray(sent)) return out;
  for (const m of sent as unknown[]) {
    if (typeof m !== 'object' || m === null) continue;
    const { value, display } = m as { value?: unknown; display?: unknown };
    if (typeof value === 'string' && typeof display === 'string') out.set(value, display);
  }
  return out;
}

async function membersOf(q: AccountReads, group: Group, scim: ScimGroup | undefined): Promise<ScimGroupMember[]> {
  const shown = displayNames(scim);
  const out: ScimGroupMember[] = [];
  for (const username of group.members) {
    const account = await q.getAccount(username);
    if (account !== undefined && account.purgedAt === null) out.push({ accountId: account.id, username, display: shown.get(String(account.id)) });
  }
  return out;
}

export async function readScimGroup(q: GroupReads & ScimReads & AccountReads, gid: number): Promise<ScimGroupRecord | undefined> {
  const group = await q.getGroupByGid(gid);
  if (group === undefined) return undefined;
  const [scim] = await q.getScimGroups([group.name]);
  return { group, scim, members: await membersOf(q, group, scim) };
}

/** Every group, in name order; the list is small (groups, not accounts). */
export async function readScimGroups(q: GroupReads & ScimReads & AccountReads): Promise<ScimGroupRecord[]> {
  const groups = await q.listGroups();
  const scims = new Map((await q.getScimGroups(groups.map((g) => g.name))).map((s) => [s.groupName, s]));
  const out: ScimGroupRecord[] = [];
  for (const group of groups) out.push({ group, scim: scims.get(group.name), members: await membersOf(q, group, scims.get(group.name)) });
  return out;
}

/**
 * The Unix group name a display name suggests, by the rule usernames follow
 * (unixNameFrom), shortened to fit a name; one that would start with a digit
 * (a display name that is a UUID or a number) gets a leading 'g', since a
 * name starts with a letter. Null when nothing acceptable is left.
 */
export function groupNameFromDisplayName(displayName: string, usernames: RosterConfig['usernames']): string | null {
  const folded = unixNameFrom(displayName, usernames);
  const name = fitName(/^[0-9]/.test(folded) ? `g${folded}` : folded);
  return name !== '' && validateUsername(name, { ...usernames, reserved: [] }) === null ? name : null;
}

/** A name cut to the length limit without a dangling separator, with room for a suffix. */
function fitName(name: string, suffix = ''): string {
  return `${name.slice(0, MAX_USERNAME_LENGTH - suffix.length).replace(/[.-]+$/, '')}${suffix}`;
}

/** Members given as account ids that SCIM shows; the rest are reported, not added (a group holds accounts only). */
async function resolveMembers(q: AccountReads & ScimReads & PeopleReads, members: ScimGroupInput['members']): Promise<{ usernames: string[]; ignored: string[]; sent: Array<{ value: string; display?: string }> }> {
  const usernames = new Set<string>();
  const ignored: string[] = [];
  const sent: Array<{ value: string; display?: string }> = [];
  for (const m of members) {
    const id = /^[1-9][0-9]{0,15}$/.test(m.value) ? Number(m.value) : undefined;
    const record = id === undefined ? undefined : await readScimUser(q, id);
    if (record === undefined) {
      ignored.push(m.value);
    } else {
      usernames.add(record.account.username);
      sent.push(m.display === undefined ? { value: m.value } : { value: m.value, display: m.display });
    }
  }
  return { usernames: [...usernames].sort(), ignored, sent };
}

function checkDisplayName(displayName: string): void {
  if (displayName.trim() === '' || /[\u0000-\u001f\u007f]/.test(displayName) || displayName.length > 256) {
    throw new RosterError('bad_input', `displayName "${printable(displayName)}" must be 1 to 256 characters without control characters`, [{ where: 'displayName', message: 'invalid' }]);
  }
}

async function requireGroup(tx: GroupReads & ScimReads & AccountReads, gid: number): Promise<ScimGroupRecord> {
  const record = await readScimGroup(tx, gid);
  if (record === undefined) throw new RosterError('not_found', `no SCIM group ${gid}`);
  return record;
}

/** Sets the explicit members; returns the members as sent (for their display names). */
async function setMembers(ctx: AppContext, tx: AccountReads & ScimReads & PeopleReads & GroupWrites & AuditWrites, group: Group, members: ScimGroupInput['members']): Promise<Array<{ value: string; display?: string }>> {
  const { usernames, ignored, sent } = await resolveMembers(tx, members);
  const before = [...group.members].sort();
  if (before.join('\n') === usernames.join('\n') && ignored.length === 0) return sent;
  if (before.join('\n') !== usernames.join('\n')) await tx.setGroupMembers(group.name, usernames);
  await audit(tx, ctx, { action: 'group.members', target: `group:${group.name}`, before: { members: before }, after: { members: usernames, ignored } });
  return sent;
}

/** SCIM POST /Groups: a new Roster group with the next free GID. */
export async function createScimGroup(ctx: AppContext, input: ScimGroupInput): Promise<ScimGroupRecord> {
  checkDisplayName(input.displayName);
  return mutate(ctx, {}, async (tx) => {
    let name = input.groupName;
    if (name === undefined) {
      const stem = groupNameFromDisplayName(input.displayName, ctx.config.usernames) ?? 'group';
      name = stem;
      for (let n = 2; await tx.nameTaken(name); n++) {
        if (n > 1000) throw new RosterError('conflict', `no free group name could be derived from "${printable(input.displayName)}"`);
        name = fitName(stem, `-${n}`);
      }
    }
    const group = await addGroup(ctx, { name, description: input.displayName }, { tx });
    const sent = await setMembers(ctx, tx, group, input.members);
    // The group's own creation time: meta.lastModified is never before meta.created.
    await tx.putScimGroup({ groupName: group.name, displayName: input.displayName, externalId: input.externalId, attributes: { members: sent }, createdAt: group.createdAt, updatedAt: group.createdAt });
    await audit(tx, ctx, { action: 'scim.group.create', target: `group:${group.name}`, before: null, after: { gid: group.gid, displayName: input.displayName, externalId: input.externalId } });
    return requireGroup(tx, group.gid);
  });
}

/** SCIM PUT /Groups/{id} (and PATCH, as the patched whole): display name, externalId and members; the Unix name stays. */
export async function replaceScimGroup(ctx: AppContext, gid: number, input: ScimGroupInput): Promise<ScimGroupRecord> {
  checkDisplayName(input.displayName);
  return mutate(ctx, {}, async (tx) => {
    const before = await requireGroup(tx, gid);
    if (input.groupName !== undefined && input.groupName !== before.group.name) {
      throw new RosterError('bad_input', `the Unix name of group ${before.group.name} cannot change`, [{ where: 'groupName', message: 'mutability' }], { scimType: 'mutability' });
    }
    const now = ctx.clock.now().toISOString();
    const old = { displayName: scimDisplayName(before), externalId: before.scim?.externalId ?? null };
    const sent = await setMembers(ctx, tx, before.group, input.members);
    const attributes = { members: sent };
    if (old.displayName !== input.displayName || old.externalId !== input.externalId || JSON.stringify(before.scim?.attributes) !== JSON.stringify(attributes)) {
      await tx.putScimGroup({ groupName: before.group.name, displayName: input.displayName, externalId: input.externalId, attributes, createdAt: before.scim?.createdAt ?? now, updatedAt: now });
    }
    if (old.displayName !== input.displayName || old.externalId !== input.externalId) {
      await audit(tx, ctx, { action: 'scim.group.update', target: `group:${before.group.name}`, before: old, after: { displayName: input.displayName, externalId: input.externalId } });
    }
    return requireGroup(tx, gid);
  });
}

/** SCIM DELETE /Groups/{id}. Groups roster.yaml declares or account types use are refused: the next change would bring them back. */
export async function deleteScimGroup(ctx: AppContext, gid: number): Promise<void> {
  await mutate(ctx, {}, async (tx) => {
    const { group, scim } = await requireGroup(tx, gid);
    const users = Object.entries(ctx.config.types).filter(([, t]) => t.primaryGroup === group.name || t.groups.includes(group.name)).map(([n]) => n);
    if (ctx.config.groups.some((g) => g.name === group.name) || users.length > 0) {
      throw new RosterError('conflict', `group ${group.name} is declared in roster.yaml${users.length > 0 ? ` (account types ${users.join(', ')})` : ''}; remove it there first`);
    }
    await tx.deleteGroup(group.name);
    await audit(tx, ctx, { action: 'group.delete', target: `group:${group.name}`, before: { gid: group.gid, members: group.members, displayName: scim?.displayName ?? null }, after: null });
  });
}
