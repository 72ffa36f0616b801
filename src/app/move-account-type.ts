import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { accountSummary } from './account-view.js';
import { eligibilityRefusal, requireLiveAccount, requireType } from './accounts.js';
import { ensureGroup } from './groups.js';
import { audit, mutate } from './mutate.js';
import { requirePerson } from './people.js';
import { printable } from './person-input.js';

export interface MoveTypeInput {
  /** The account type to move to (roster.yaml `types`). */
  readonly type: string;
  /** Move even if the person does not meet the new type's eligibility (audited, as `account create --skip-eligibility`). */
  readonly skipEligibility?: boolean | undefined;
}

export interface MoveTypeResult {
  readonly account: Account;
  readonly changed: boolean;
}

/**
 * Moves a live account to another account type (a member becomes staff):
 * the type decides the hosts the account lives on and logs into, its groups,
 * services and dues, so the username, UID, home, password and holds stay and
 * only what the type gives changes. The old type's groups the new type does
 * not give are left, the new type's joined (other memberships stay); the
 * shell follows the type when the account had the old type's shell (a shell
 * an admin chose stays). The person must be eligible for the new type unless
 * `skipEligibility` (recorded in the audit record). Types of another
 * authentication kind are refused: a crypt password does not become a
 * Kerberos principal. Hosts the account leaves remove its entries on their
 * next apply, hosts it joins create them.
 */
export async function moveAccountType(ctx: AppContext, username: string, input: MoveTypeInput, options: MutationOptions = {}): Promise<MoveTypeResult> {
  const known = Object.keys(ctx.config.types);
  if (ctx.config.types[input.type] === undefined) {
    throw new RosterError('bad_input', `no account type "${printable(input.type)}" (known: ${known.join(', ')})`, [{ where: 'type', message: `unknown account type (known: ${known.join(', ')})` }]);
  }
  const next = requireType(ctx.config, input.type);
  return mutate(ctx, options, async (tx) => {
    const before = await requireLiveAccount(tx, username);
    if (before.type === input.type) {
      throw new RosterError('bad_input', `${username} is already a ${input.type} account`, [{ where: 'type', message: `is the account's type already` }]);
    }
    const old = requireType(ctx.config, before.type);
    if (authKind(old.auth) !== authKind(next.auth)) {
      throw new RosterError('conflict', `${username} cannot move from ${before.type} (${authKind(old.auth)} authentication) to ${input.type} (${authKind(next.auth)}): create a ${input.type} account instead`, [{ where: 'type', message: 'another authentication kind' }]);
    }
    if (input.skipEligibility !== true) {
      const refusal = eligibilityRefusal(await requirePerson(tx, before.personId), input.type, next);
      if (refusal !== null) throw refusal;
    }
    const groups = new Set(before.groups.filter((g) => !old.groups.includes(g) || next.groups.includes(g)));
    for (const g of next.groups) {
      await ensureGroup(tx, ctx, g);
      groups.add(g);
    }
    const after: Account = {
      ...before,
      type: input.type,
      shell: before.shell === old.shell ? next.shell : before.shell,
      groups: [...groups].sort(),
      updatedAt: ctx.clock.now().toISOString(),
    };
    await tx.updateAccount(before.id, { type: after.type, shell: after.shell, groups: after.groups, updatedAt: after.updatedAt });
    await audit(tx, ctx, {
      action: 'account.type',
      target: `account:${username}`,
      before: accountSummary(before),
      after: { ...accountSummary(after), ...(input.skipEligibility === true ? { skipEligibility: true } : {}) },
    });
    return { account: after, changed: true };
  });
}

function authKind(auth: ReturnType<typeof requireType>['auth']): string {
  return typeof auth === 'object' ? 'literal' : auth;
}
