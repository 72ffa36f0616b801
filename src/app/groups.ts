import { RosterError } from '../domain/errors.js';
import { validateUsername } from '../domain/usernames.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AuditWrites, Group, GroupQueries } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * Returns the group, creating it in the store when roster.yaml declares it
 * (with its configured GID, or the next free one). Groups nobody declared are
 * an error: a typo in a type's groups must not invent a group.
 */
export async function ensureGroup(tx: GroupQueries & AuditWrites, ctx: AppContext, name: string): Promise<Group> {
  const existing = await tx.getGroup(name);
  if (existing !== undefined) return existing;
  const declared = ctx.config.groups.find((g) => g.name === name);
  if (declared === undefined) {
    throw new RosterError('bad_input', `group ${printable(name)} does not exist; add it with \`roster group add\` or declare it under groups: in roster.yaml`, [{ where: 'group', message: `unknown group ${printable(name)}` }]);
  }
  const group: Group = {
    name,
    gid: declared.gid ?? (await tx.allocateGid(ctx.config.gids)),
    description: declared.description ?? '',
    members: [],
    createdAt: ctx.clock.now().toISOString(),
  };
  await tx.insertGroup(group);
  await audit(tx, ctx, { action: 'group.add', target: `group:${name}`, before: null, after: { name, gid: group.gid } });
  return group;
}

export interface AddGroupInput {
  readonly name: string;
  readonly gid?: number | undefined;
  readonly description?: string | undefined;
}

export async function addGroup(ctx: AppContext, input: AddGroupInput, options: MutationOptions = {}): Promise<Group> {
  const problem = validateUsername(input.name, { ...ctx.config.usernames, reserved: [] });
  if (problem !== null) throw new RosterError('bad_input', `group name "${printable(input.name)}" ${problem}`, [{ where: 'name', message: problem }]);
  if (input.gid !== undefined && (!Number.isInteger(input.gid) || input.gid < 1 || input.gid > 4294967294)) {
    throw new RosterError('bad_input', `--gid ${input.gid} is not a valid GID`, [{ where: 'gid', message: 'must be an integer from 1 to 4294967294' }]);
  }
  return mutate(ctx, options, async (tx) => {
    if (await tx.nameTaken(input.name)) throw new RosterError('conflict', `the name ${input.name} is already a user, group or reservation`);
    if (input.gid !== undefined && (await tx.getGroupByGid(input.gid)) !== undefined) throw new RosterError('conflict', `GID ${input.gid} is already used`);
    const group: Group = {
      name: input.name,
      gid: input.gid ?? (await tx.allocateGid(ctx.config.gids)),
      description: input.description ?? '',
      members: [],
      createdAt: ctx.clock.now().toISOString(),
    };
    await tx.insertGroup(group);
    await audit(tx, ctx, { action: 'group.add', target: `group:${group.name}`, before: null, after: { name: group.name, gid: group.gid } });
    return group;
  });
}

export interface GroupView extends Group {
  /** Usernames of live accounts with this as a supplementary group, plus explicit members. */
  readonly memberAccounts: readonly string[];
}

export async function showGroup(ctx: AppContext, name: string): Promise<GroupView> {
  const group = await ctx.store.read.getGroup(name);
  if (group === undefined) throw new RosterError('not_found', `no group ${printable(name)}`);
  const members = new Set(group.members);
  for await (const page of keysetPages({ limit: 1000, page: (afterId: number | undefined, limit) => ctx.store.read.listAccounts({ afterId: afterId ?? 0, limit }), keyOf: (a) => a.id })) {
    for (const a of page) if (a.groups.includes(name)) members.add(a.username);
  }
  return { ...group, memberAccounts: [...members].sort() };
}
