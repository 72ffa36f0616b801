import * as z from 'zod';
import { listUsage } from '../app/usage.js';
import { route, type ApiRoute } from './api-route.js';
import { READERS } from './permissions.js';

const iso = z.string().meta({ format: 'date-time' });

export const usageSchema = z.object({
  user: z.string().meta({ description: "the account's username" }),
  host: z.string(),
  target: z.string().meta({ description: 'the target that measured it' }),
  subject: z.string().meta({ description: "what was measured, in the target's words: `home:/home/alice`, `postgres-database:alice_blog`" }),
  bytes: z.int().min(0),
  measuredAt: iso,
});

const usernameParams = z.strictObject({ username: z.string().max(64) });

/**
 * Usage per member (seed SoftwareArchitecturePlans 3.5: charge members for
 * what daemons store for them): what the targets last measured of an
 * account on each host. Readers may read it.
 */
export function usageRoutes(): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/accounts/{username}/usage',
      operationId: 'getAccountUsage',
      summary: "What an account uses of the services on each host (home, databases, lists …), as the targets last measured it, in bytes",
      tag: 'accounts',
      roles: READERS,
      params: usernameParams,
      response: z.object({ items: z.array(usageSchema) }),
      async handler({ ctx, params }) {
        return { items: await listUsage(ctx.store.read, { user: params.username }) };
      },
    }),
  ];
}
