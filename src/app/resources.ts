import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { AccountReads, Resource, ResourceReads } from '../store/store.js';
import type { AnyTarget } from '../targets/registry.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * Owned resources (a database, a mailing list, a vhost): each belongs to one
 * account and lives on one host, where the target that declares its kind
 * manages it. The targets are passed in, so the core names none of them: a
 * kind is whatever an enabled target of the host declares.
 */

/**
 * Letters, digits, `.`, `_` and `-`, starting with a letter or digit, at
 * most 253 (a host name's limit): fits database, list and vhost names alike.
 * A kind may declare its own rule instead (a list's address).
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export interface ResourceView {
  readonly id: number;
  /** The owning account's username. */
  readonly user: string;
  readonly kind: string;
  readonly name: string;
  readonly host: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AddResourceInput {
  readonly user: string;
  readonly kind: string;
  readonly name: string;
  readonly host: string;
  /** Checked (and completed with its defaults) by the kind's settings schema. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface ResourceFilter {
  readonly user?: string | undefined;
  readonly kind?: string | undefined;
}

/** A stored resource as the use cases show it, with its owner's username. */
export function resourceView(r: Resource, username: string): ResourceView {
  return { id: r.id, user: username, kind: r.kind, name: r.name, host: r.host, settings: r.settings, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

/** What the audit log keeps of a resource. */
function summaryOf(view: ResourceView): Record<string, unknown> {
  return { id: view.id, user: view.user, kind: view.kind, name: view.name, host: view.host, settings: view.settings };
}

function auditTarget(r: Pick<Resource, 'kind' | 'host' | 'name'>): string {
  return `resource:${r.host}/${r.kind}/${r.name}`;
}

/** The kinds the targets declare, name → the targets declaring it. */
function kindsOf(targets: readonly AnyTarget[]): Map<string, AnyTarget[]> {
  const kinds = new Map<string, AnyTarget[]>();
  for (const t of targets) for (const kind of Object.keys(t.resourceKinds)) kinds.set(kind, [...(kinds.get(kind) ?? []), t]);
  return kinds;
}

function knownList(names: Iterable<string>): string {
  const list = [...names].sort();
  return list.length === 0 ? 'none' : list.join(', ');
}

function refuse(code: 'bad_input' | 'not_found' | 'conflict', field: string, message: string): RosterError {
  return new RosterError(code, `${field}: ${message}`, [{ where: field, message }]);
}

/** The settings the kind's target accepts on the host, as its schema makes them; or a bad_input error naming the field at fault. */
function checkedSettings(ctx: AppContext, targets: readonly AnyTarget[], input: AddResourceInput): Record<string, unknown> {
  const declaring = kindsOf(targets).get(input.kind);
  if (declaring === undefined) throw refuse('bad_input', 'kind', `unknown resource kind "${printable(input.kind)}" (kinds: ${knownList(kindsOf(targets).keys())})`);
  const host = ctx.config.hosts[input.host];
  if (host === undefined) throw refuse('bad_input', 'host', `host "${printable(input.host)}" is not declared under hosts in roster.yaml (declared: ${knownList(Object.keys(ctx.config.hosts))})`);
  const managing = declaring.find((t) => Object.hasOwn(host.targets, t.name));
  if (managing === undefined) {
    const enabled = Object.keys(host.targets);
    throw refuse('bad_input', 'host', `no target enabled on host ${input.host} manages ${input.kind} resources (enabled: ${knownList(enabled)}; ${input.kind} is managed by ${knownList(declaring.map((t) => t.name))})`);
  }
  const kind = managing.resourceKinds[input.kind];
  if (kind?.name === undefined) {
    if (!NAME.test(input.name)) throw refuse('bad_input', 'name', `"${printable(input.name)}" is not a resource name (letters, digits, . _ -, starting with a letter or digit, at most 253)`);
  } else {
    const named = kind.name.safeParse(input.name);
    if (!named.success) throw refuse('bad_input', 'name', `"${printable(input.name)}" is not a ${input.kind} name: ${named.error.issues.map((i) => i.message).join('; ')}`);
  }
  const parsed = kind?.settings.safeParse(input.settings ?? {});
  if (parsed !== undefined && !parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ where: ['settings', ...i.path.map(String)].join('.'), message: i.message }));
    throw new RosterError('bad_input', `the settings of a ${input.kind} are refused: ${issues.map((i) => `${i.where}: ${i.message}`).join('; ')}`, issues);
  }
  const data: unknown = parsed?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw refuse('bad_input', 'settings', `the settings of a ${input.kind} must be an object of key/value pairs`);
  return data as Record<string, unknown>;
}

async function liveOwner(q: AccountReads, user: string): Promise<Account> {
  const account = await q.getAccount(user);
  if (account === undefined) throw refuse('not_found', 'user', `no account "${printable(user)}"`);
  if (account.purgedAt !== null) throw refuse('conflict', 'user', `${user} was purged on ${account.purgedAt}`);
  return account;
}

/**
 * `roster resource add`: a resource of a kind that a target enabled on the
 * host declares, owned by a live account, with settings the kind's schema
 * accepts. One audit record; nothing is written when anything is refused.
 */
export async function addResource(ctx: AppContext, targets: readonly AnyTarget[], input: AddResourceInput, options: MutationOptions = {}): Promise<ResourceView> {
  const settings = checkedSettings(ctx, targets, input);
  return mutate(ctx, options, async (tx) => {
    const owner = await liveOwner(tx, input.user);
    const now = ctx.clock.now().toISOString();
    const created = await tx.insertResource({ accountId: owner.id, kind: input.kind, name: input.name, host: input.host, settings, createdAt: now, updatedAt: now });
    const view = resourceView(created, owner.username);
    await audit(tx, ctx, { action: 'resource.add', target: auditTarget(created), before: null, after: summaryOf(view) });
    return view;
  });
}

/** `roster resource list`: every resource in id order, or those of one account and/or one kind. */
export async function listResources(q: ResourceReads & AccountReads, filter: ResourceFilter = {}): Promise<ResourceView[]> {
  let accountId: number | undefined;
  if (filter.user !== undefined) {
    const account = await q.getAccount(filter.user);
    if (account === undefined) throw refuse('not_found', 'user', `no account "${printable(filter.user)}"`);
    accountId = account.id;
  }
  const resources = await q.listResources({ ...(accountId === undefined ? {} : { accountId }), ...(filter.kind === undefined ? {} : { kind: filter.kind }) });
  const owners = new Map((await q.getAccountsByIds([...new Set(resources.map((r) => r.accountId))])).map((a) => [a.id, a.username]));
  return resources.map((r) => resourceView(r, owners.get(r.accountId) ?? `#${r.accountId}`));
}

async function requireResource(q: ResourceReads & AccountReads, id: number): Promise<ResourceView> {
  const resource = Number.isSafeInteger(id) && id > 0 ? await q.getResource(id) : undefined;
  if (resource === undefined) throw refuse('not_found', 'id', `no resource ${String(id)}`);
  const owner = await q.getAccountById(resource.accountId);
  return resourceView(resource, owner?.username ?? `#${resource.accountId}`);
}

/** `roster resource show`. */
export async function showResource(q: ResourceReads & AccountReads, id: number): Promise<ResourceView> {
  return requireResource(q, id);
}

/**
 * `roster resource remove`: the resource row goes; one audit record. It
 * leaves the desired state, so its target archives and removes it on the
 * host at the next apply.
 */
export async function removeResource(ctx: AppContext, id: number, options: MutationOptions = {}): Promise<ResourceView> {
  return mutate(ctx, options, async (tx) => {
    const view = await requireResource(tx, id);
    await tx.deleteResources([view.id]);
    await audit(tx, ctx, { action: 'resource.remove', target: auditTarget(view), before: summaryOf(view), after: null });
    return view;
  });
}
