import * as z from 'zod';
import { addResource, listResources, removeResource, showResource } from '../app/resources.js';
import type { AnyTarget } from '../targets/registry.js';
import { route, type ApiRoute } from './api-route.js';
import { READERS, WRITERS } from './permissions.js';

const iso = z.string().meta({ format: 'date-time' });

export const resourceSchema = z.object({
  id: z.int(),
  user: z.string().meta({ description: "the owning account's username" }),
  kind: z.string(),
  name: z.string(),
  host: z.string(),
  settings: z.record(z.string(), z.unknown()).meta({ description: "as the kind's settings schema accepted them" }),
  createdAt: iso,
  updatedAt: iso,
});

export const newResourceBody = z.strictObject({
  user: z.string().min(1).max(64).meta({ description: 'the username of the owning account' }),
  kind: z.string().min(1).max(64).meta({ description: 'a resource kind a target enabled on the host manages' }),
  name: z.string().min(1).max(253),
  host: z.string().min(1).max(64).meta({ description: 'a host declared in roster.yaml' }),
  settings: z.record(z.string(), z.unknown()).default(() => ({})).meta({ description: "checked by the kind's settings schema" }),
});

const idParam = z.strictObject({ id: z.coerce.number().int().min(1) });

/**
 * Owned resources (a database, a mailing list, a web site): readers list
 * and show them, writers add and remove them. `targets` decides which kinds
 * exist and which hosts manage them.
 */
export function resourceRoutes(targets: readonly AnyTarget[]): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/resources',
      operationId: 'listResources',
      summary: 'List resources in id order, those of one account and/or one kind',
      tag: 'resources',
      roles: READERS,
      query: z.strictObject({ user: z.string().max(64).optional(), kind: z.string().max(64).optional() }),
      response: z.object({ items: z.array(resourceSchema) }),
      async handler({ ctx, query }) {
        return { items: await listResources(ctx.store.read, { user: query.user, kind: query.kind }) };
      },
    }),
    route({
      method: 'post',
      path: '/resources',
      operationId: 'addResource',
      summary: "Add a resource owned by an account, on a host whose enabled targets manage its kind, with settings the kind's schema accepts",
      tag: 'resources',
      roles: WRITERS,
      body: newResourceBody,
      status: 201,
      response: resourceSchema,
      async handler({ ctx, body }) {
        return addResource(ctx, targets, body);
      },
    }),
    route({
      method: 'get',
      path: '/resources/{id}',
      operationId: 'getResource',
      summary: 'One resource with its settings',
      tag: 'resources',
      roles: READERS,
      params: idParam,
      response: resourceSchema,
      async handler({ ctx, params }) {
        return showResource(ctx.store.read, params.id);
      },
    }),
    route({
      method: 'delete',
      path: '/resources/{id}',
      operationId: 'removeResource',
      summary: 'Remove a resource (its target no longer manages it); answers with what was removed',
      tag: 'resources',
      roles: WRITERS,
      params: idParam,
      response: resourceSchema,
      async handler({ ctx, params }) {
        return removeResource(ctx, params.id);
      },
    }),
  ];
}
