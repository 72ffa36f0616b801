import * as z from 'zod';
import { listAccountPage } from '../app/account-list.js';
import { accountView, type AccountView } from '../app/account-view.js';
import { createAccount, modifyAccount, requireAccount, setPassword } from '../app/accounts.js';
import { addGroup, showGroup } from '../app/groups.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount, type LifecycleResult } from '../app/lifecycle-actions.js';
import type { AppContext } from '../app/app-context.js';
import type { ServerConfig } from '../config/config-schema.js';
import { RosterError } from '../domain/errors.js';
import { route, type ApiRoute } from './api-route.js';
import {
  ACCOUNT_STATES,
  accountSchema,
  freezeBody,
  groupSchema,
  groupViewSchema,
  lifecycleResult,
  modifyAccountBody,
  newAccountBody,
  newGroupBody,
  pageOf,
  pageQuery,
  passwordBody,
  retireBody,
  unfreezeBody,
} from './api-schemas.js';
import { READERS, WRITERS } from './permissions.js';
import { withoutUndefined } from './without-undefined.js';

const usernameParams = z.strictObject({ username: z.string().max(64) });

/** The response shape of an account view (its lists copied out of the readonly view). */
export function accountOut(v: AccountView): z.infer<typeof accountSchema> {
  return { ...v, holds: v.holds.map((h) => ({ ...h })), groups: [...v.groups] };
}

function lifecycle(ctx: AppContext, r: LifecycleResult, dryRun: boolean): z.infer<typeof lifecycleResult> {
  return { account: accountOut(accountView(r.account, ctx.clock.now())), changed: r.changed, dryRun, purged: r.purged === true };
}

/** Accounts and their lifecycle actions (DESIGN.md §3), and groups. */
export function accountRoutes(server: ServerConfig): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/accounts',
      operationId: 'listAccounts',
      summary: 'List accounts in id order, filtered by type, person or state',
      tag: 'accounts',
      roles: READERS,
      query: z.strictObject({
        type: z.string().max(64).optional(),
        personId: z.string().max(128).optional(),
        state: z.enum(ACCOUNT_STATES).optional(),
        ...pageQuery(server.pageSize.default, server.pageSize.max),
      }),
      response: pageOf(accountSchema),
      async handler({ ctx, query }) {
        const after = query.after === undefined ? undefined : Number(query.after);
        if (after !== undefined && !Number.isSafeInteger(after)) throw new RosterError('bad_input', 'after must be the `next` of a previous page', [{ where: 'query.after', message: 'not a cursor' }]);
        const page = await listAccountPage(ctx, { type: query.type, personId: query.personId, state: query.state, after, limit: query.limit });
        return { items: page.items.map(accountOut), next: page.next === null ? null : String(page.next) };
      },
    }),
    route({
      method: 'post',
      path: '/accounts',
      operationId: 'createAccount',
      summary: 'Create an account of a type for a person',
      tag: 'accounts',
      roles: WRITERS,
      body: newAccountBody,
      status: 201,
      response: accountSchema.extend({ dryRun: z.boolean() }),
      async handler({ ctx, principal, body }) {
        // Skipping eligibility is an admin's override (DESIGN.md §3), audited with the account.
        if (body.skipEligibility && principal.token.role !== 'admin') throw new RosterError('forbidden', 'only an admin token may skip eligibility');
        const { dryRun, ...input } = body;
        const a = await createAccount(ctx, withoutUndefined(input), { dryRun });
        return { ...accountOut(accountView(a, ctx.clock.now())), dryRun };
      },
    }),
    route({
      method: 'get',
      path: '/accounts/{username}',
      operationId: 'getAccount',
      summary: 'An account, its state and holds (the password hash never leaves the server)',
      tag: 'accounts',
      roles: READERS,
      params: usernameParams,
      response: accountSchema,
      async handler({ ctx, params }) {
        return accountOut(accountView(await requireAccount(ctx.store.read, params.username), ctx.clock.now()));
      },
    }),
    route({
      method: 'patch',
      path: '/accounts/{username}',
      operationId: 'modifyAccount',
      summary: 'Change shell, GECOS or supplementary groups',
      tag: 'accounts',
      roles: WRITERS,
      params: usernameParams,
      body: modifyAccountBody,
      response: lifecycleResult,
      async handler({ ctx, params, body }) {
        const { dryRun, ...input } = body;
        return lifecycle(ctx, await modifyAccount(ctx, params.username, withoutUndefined(input), { dryRun }), dryRun);
      },
    }),
    route({
      method: 'put',
      path: '/accounts/{username}/password',
      operationId: 'setPassword',
      summary: 'Set the password (checked against the type\'s policy, stored as a crypt hash)',
      tag: 'accounts',
      roles: WRITERS,
      params: usernameParams,
      body: passwordBody,
      response: z.object({ username: z.string(), changed: z.boolean(), dryRun: z.boolean() }),
      async handler({ ctx, params, body }) {
        await setPassword(ctx, params.username, body.password, { dryRun: body.dryRun });
        return { username: params.username, changed: true, dryRun: body.dryRun };
      },
    }),
    route({
      method: 'post',
      path: '/accounts/{username}/freeze',
      operationId: 'freezeAccount',
      summary: 'Add the hold freeze:<reason> (reversible; mail and portal keep working)',
      tag: 'accounts',
      roles: WRITERS,
      params: usernameParams,
      body: freezeBody,
      response: lifecycleResult,
      async handler({ ctx, params, body }) {
        return lifecycle(ctx, await freezeAccount(ctx, params.username, { reason: body.reason, note: body.note }, { dryRun: body.dryRun }), body.dryRun);
      },
    }),
    route({
      method: 'post',
      path: '/accounts/{username}/unfreeze',
      operationId: 'unfreezeAccount',
      summary: 'Lift the hold freeze:<reason> and no other',
      tag: 'accounts',
      roles: WRITERS,
      params: usernameParams,
      body: unfreezeBody,
      response: lifecycleResult,
      async handler({ ctx, params, body }) {
        return lifecycle(ctx, await unfreezeAccount(ctx, params.username, { reason: body.reason }, { dryRun: body.dryRun }), body.dryRun);
      },
    }),
    route({
      method: 'post',
      path: '/accounts/{username}/retire',
      operationId: 'retireAccount',
      summary: 'Retire with grace periods: deactivate after D days, delete after P days; P = 0 purges now',
      tag: 'accounts',
      roles: WRITERS,
      params: usernameParams,
      body: retireBody,
      response: lifecycleResult,
      async handler({ ctx, params, body }) {
        return lifecycle(ctx, await retireAccount(ctx, params.username, { deactivateAfter: body.deactivateAfter, deleteAfter: body.deleteAfter }, { dryRun: body.dryRun }), body.dryRun);
      },
    }),
    route({
      method: 'post',
      path: '/accounts/{username}/reactivate',
      operationId: 'reactivateAccount',
      summary: 'Lift the retired hold and clear the dates; freezes stay',
      tag: 'accounts',
      roles: WRITERS,
      params: usernameParams,
      body: z.strictObject({ dryRun: z.boolean().default(false) }),
      response: lifecycleResult,
      async handler({ ctx, params, body }) {
        return lifecycle(ctx, await reactivateAccount(ctx, params.username, { dryRun: body.dryRun }), body.dryRun);
      },
    }),
    route({
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List groups',
      tag: 'groups',
      roles: READERS,
      response: z.object({ items: z.array(groupSchema) }),
      async handler({ ctx }) {
        return { items: await ctx.store.read.listGroups() };
      },
    }),
    route({
      method: 'post',
      path: '/groups',
      operationId: 'addGroup',
      summary: 'Add a group (GID: the next free one in the range unless given)',
      tag: 'groups',
      roles: WRITERS,
      body: newGroupBody,
      status: 201,
      response: groupSchema,
      async handler({ ctx, body }) {
        const { dryRun, ...input } = body;
        return addGroup(ctx, input, { dryRun });
      },
    }),
    route({
      method: 'get',
      path: '/groups/{name}',
      operationId: 'getGroup',
      summary: 'A group and its members',
      tag: 'groups',
      roles: READERS,
      params: z.strictObject({ name: z.string().max(64) }),
      response: groupViewSchema,
      async handler({ ctx, params }) {
        return showGroup(ctx, params.name);
      },
    }),
  ];
}
