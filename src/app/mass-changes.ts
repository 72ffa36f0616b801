import { randomBytes } from 'node:crypto';
import { RosterError } from '../domain/errors.js';
import type { MassChange, MassChangeSummary } from '../store/queries/mass-change-queries.js';
import type { AppContext } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * Mass changes through the API (DESIGN.md §3 "Circuit breaker": "via the
 * API: approved by a second admin"). A run the breaker refuses is recorded
 * with what it was asked to do; a second admin token approves it; the run
 * is then repeated with the approval's id and proceeds, once, if it is
 * still the same run (same action and parameters, no more accounts
 * affected than approved).
 */

/** An approval is for a decision made now, not a standing permission. */
const VALID_FOR_MS = 24 * 60 * 60 * 1000;

export interface MassChangeRequest {
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly summary: MassChangeSummary;
  /** The token that asked, so that it cannot approve its own request. */
  readonly tokenId: number | null;
}

export async function requestMassChange(ctx: AppContext, request: MassChangeRequest): Promise<MassChange> {
  const now = ctx.clock.now();
  const change = {
    id: randomBytes(12).toString('base64url'),
    action: request.action,
    params: request.params,
    summary: request.summary,
    requestedBy: ctx.actor,
    requestedToken: request.tokenId,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + VALID_FOR_MS).toISOString(),
  };
  await mutate(ctx, {}, async (tx) => {
    await tx.insertMassChange(change);
    await audit(tx, ctx, { action: 'mass-change.request', target: `mass-change:${change.id}`, before: null, after: { action: change.action, params: change.params, ...change.summary } });
  });
  return { ...change, approvedBy: null, approvedToken: null, approvedAt: null, result: null };
}

export async function requireMassChange(ctx: AppContext, id: string): Promise<MassChange> {
  const change = await ctx.store.read.getMassChange(id);
  if (change === undefined) throw new RosterError('not_found', `no mass change ${printable(id)}`);
  return change;
}

/** The second admin's approval. The requesting token may not approve, and an approval is given once. */
export async function approveMassChange(ctx: AppContext, id: string, approver: { readonly tokenId: number | null }): Promise<MassChange> {
  return mutate(ctx, {}, async (tx) => {
    const change = await tx.getMassChange(id);
    if (change === undefined) throw new RosterError('not_found', `no mass change ${printable(id)}`);
    const now = ctx.clock.now().toISOString();
    if (change.expiresAt <= now) throw new RosterError('conflict', `mass change ${id} expired at ${change.expiresAt}; run it again to ask anew`);
    if (change.approvedAt !== null) throw new RosterError('conflict', `mass change ${id} was already approved by ${change.approvedBy ?? '?'}`);
    if (change.requestedBy === ctx.actor || (approver.tokenId !== null && change.requestedToken === approver.tokenId)) {
      throw new RosterError('conflict', `mass change ${id} needs the approval of a second admin, not of ${ctx.actor} who asked for it`);
    }
    await tx.approveMassChange(id, { approvedBy: ctx.actor, approvedToken: approver.tokenId, approvedAt: now });
    await audit(tx, ctx, { action: 'mass-change.approve', target: `mass-change:${id}`, before: { requestedBy: change.requestedBy }, after: { approvedBy: ctx.actor, action: change.action, ...change.summary } });
    return { ...change, approvedBy: ctx.actor, approvedToken: approver.tokenId, approvedAt: now };
  });
}

/**
 * Claims approval `id` for this very run, before it starts: approved, not
 * expired, not used yet, same action and parameters, and no more accounts
 * affected than were approved. The claim is made under the write lock, so
 * two runs racing with one approval cannot both proceed.
 */
export async function claimApproval(ctx: AppContext, id: string, run: { readonly action: string; readonly params: Readonly<Record<string, unknown>>; readonly affected: number }): Promise<MassChange> {
  return mutate(ctx, {}, async (tx) => {
    const change = await tx.getMassChange(id);
    if (change === undefined) throw new RosterError('not_found', `no mass change ${printable(id)}`);
    const now = ctx.clock.now().toISOString();
    if (change.approvedAt === null) throw new RosterError('conflict', `mass change ${id} is not approved yet: a second admin must POST its approval`);
    if (change.expiresAt <= now) throw new RosterError('conflict', `mass change ${id} expired at ${change.expiresAt}`);
    if (change.result !== null) throw new RosterError('conflict', `mass change ${id} was already used`);
    if (change.action !== run.action || JSON.stringify(change.params) !== JSON.stringify(run.params)) {
      throw new RosterError('conflict', `mass change ${id} approves ${change.action} with other parameters, not this run`);
    }
    if (run.affected > change.summary.affected) {
      throw new RosterError('conflict', `this run would now affect ${run.affected} accounts, more than the ${change.summary.affected} approved in ${id}; ask again`);
    }
    await tx.setMassChangeResult(id, { status: 'running', by: ctx.actor, at: now });
    return change;
  });
}

/** Records what the approved run reported (the approval stays used either way). */
export async function recordMassChangeResult(ctx: AppContext, id: string, result: unknown): Promise<void> {
  await mutate(ctx, {}, async (tx) => {
    await tx.setMassChangeResult(id, { status: 'done', by: ctx.actor, result });
    await audit(tx, ctx, { action: 'mass-change.run', target: `mass-change:${id}`, before: null, after: { by: ctx.actor } });
  });
}
