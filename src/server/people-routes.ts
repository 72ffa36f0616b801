import * as z from 'zod';
import { suggestUsernames } from '../app/accounts.js';
import { ledgerStatement, recordLedger } from '../app/billing-run.js';
import { addPerson, personView, requirePerson, updatePerson } from '../app/people.js';
import type { ServerConfig } from '../config/config-schema.js';
import { route, type ApiRoute } from './api-route.js';
import { ledgerBody, ledgerResult, ledgerSchema, newPersonBody, pageOf, pageQuery, personPatchBody, personSchema, personWithAccountsSchema } from './api-schemas.js';
import { READERS, WRITERS } from './permissions.js';
import { withoutUndefined } from './without-undefined.js';

const idParams = z.strictObject({ id: z.string().max(128) });

/** People: the roster sources' records (DESIGN.md §3), with their ledgers. */
export function peopleRoutes(server: ServerConfig): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/people',
      operationId: 'listPeople',
      summary: 'List people in id order, optionally of one source',
      tag: 'people',
      roles: READERS,
      query: z.strictObject({ source: z.string().max(32).optional(), ...pageQuery(server.pageSize.default, server.pageSize.max) }),
      response: pageOf(personSchema),
      async handler({ ctx, query }) {
        const page = await ctx.store.read.listPeople({ ...(query.source === undefined ? {} : { source: query.source }), ...(query.after === undefined ? {} : { afterId: query.after }), limit: query.limit + 1 });
        const items = page.slice(0, query.limit);
        return { items: items.map(personView) as Array<z.infer<typeof personSchema>>, next: page.length > query.limit ? (items.at(-1)?.id ?? null) : null };
      },
    }),
    route({
      method: 'post',
      path: '/people',
      operationId: 'addPerson',
      summary: 'Add a person by hand (source "manual" unless given)',
      tag: 'people',
      roles: WRITERS,
      body: newPersonBody,
      status: 201,
      response: personSchema,
      async handler({ ctx, body }) {
        const { dryRun, ...input } = body;
        return personView(await addPerson(ctx, withoutUndefined(input), { dryRun })) as z.infer<typeof personSchema>;
      },
    }),
    route({
      method: 'get',
      path: '/people/{id}',
      operationId: 'getPerson',
      summary: 'A person and the usernames of their accounts',
      tag: 'people',
      roles: READERS,
      params: idParams,
      response: personWithAccountsSchema,
      async handler({ ctx, params }) {
        const p = await requirePerson(ctx.store.read, params.id);
        const accounts = await ctx.store.read.listAccounts({ personId: p.id, includePurged: true });
        return { ...(personView(p) as z.infer<typeof personSchema>), accounts: accounts.map((a) => a.username) };
      },
    }),
    route({
      method: 'patch',
      path: '/people/{id}',
      operationId: 'updatePerson',
      summary: 'Change fields of a person; missing fields keep their value',
      tag: 'people',
      roles: WRITERS,
      params: idParams,
      body: personPatchBody,
      response: personSchema.extend({ changed: z.boolean(), dryRun: z.boolean() }),
      async handler({ ctx, params, body }) {
        const { dryRun, ...patch } = body;
        const r = await updatePerson(ctx, params.id, withoutUndefined(patch), { dryRun });
        return { ...(personView(r.person) as z.infer<typeof personSchema>), changed: r.changed, dryRun };
      },
    }),
    route({
      method: 'get',
      path: '/people/{id}/username-suggestions',
      operationId: 'suggestUsernames',
      summary: 'Eight free usernames for a person and account type, made from their names, best first',
      tag: 'people',
      roles: READERS,
      params: idParams,
      query: z.strictObject({ type: z.string().max(64) }),
      response: z.object({ suggestions: z.array(z.string()) }),
      async handler({ ctx, params, query }) {
        return { suggestions: await suggestUsernames(ctx, params.id, query.type) };
      },
    }),
    route({
      method: 'get',
      path: '/people/{id}/ledger',
      operationId: 'getLedger',
      summary: 'The ledger, balance and run-out date of a person',
      tag: 'ledger',
      roles: READERS,
      params: idParams,
      response: ledgerSchema,
      async handler({ ctx, params }) {
        return ledgerStatement(ctx, params.id);
      },
    }),
    route({
      method: 'post',
      path: '/people/{id}/ledger',
      operationId: 'recordLedger',
      summary: 'Record a charge or a payment; a payment may lift a billing freeze',
      tag: 'ledger',
      roles: WRITERS,
      params: idParams,
      body: ledgerBody,
      status: 201,
      response: ledgerResult,
      async handler({ ctx, params, body }) {
        const r = await recordLedger(ctx, params.id, body.kind, body.amount, body.note, { dryRun: body.dryRun });
        return { ...r, dryRun: body.dryRun };
      },
    }),
  ];
}
