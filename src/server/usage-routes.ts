import * as z from 'zod';
import { requireHost } from '../app/host-reports.js';
import { listUsage, recordUsage } from '../app/usage.js';
import type { AnyTarget } from '../targets/registry.js';
import { route, type ApiRoute } from './api-route.js';
import { HOST_REPORTERS, READERS } from './permissions.js';

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
const hostParams = z.strictObject({ host: z.string().max(64) });

/** What an agent measured on its host: each target's figures (the agent runs the targets' `usage` after a whole-host turn). */
export const hostUsageBody = z.strictObject({
  measuredAt: z.iso.datetime({ offset: true }).meta({ description: 'when the agent measured' }),
  targets: z
    .array(
      z.strictObject({
        target: z.string().min(1).max(64),
        items: z
          .array(z.strictObject({ account: z.string().min(1).max(64), subject: z.string().min(1).max(1024), bytes: z.int().min(0) }))
          .max(1_000_000),
      }),
    )
    .max(64),
});

export const usageOutcomeSchema = z.object({
  host: z.string(),
  target: z.string(),
  ok: z.boolean().meta({ description: "stored, replacing the host and target's earlier figures; or refused, and the earlier figures stay" }),
  figures: z.int().min(0),
  error: z.string().optional(),
  unknownAccounts: z.array(z.string()).optional().meta({ description: 'accounts measured that the store has no live account for: left out' }),
});

/**
 * Usage per member (seed SoftwareArchitecturePlans 3.5: charge members for
 * what daemons store for them): what the targets last measured of an
 * account on each host, which readers may read and each host's agent
 * reports. `targets` decides which targets may report figures.
 */
export function usageRoutes(targets: readonly AnyTarget[]): ApiRoute[] {
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
    route({
      method: 'post',
      path: '/hosts/{host}/usage',
      operationId: 'reportHostUsage',
      summary: "An agent reports what the targets of its host measured; each target's figures replace its earlier ones on that host",
      tag: 'hosts',
      roles: HOST_REPORTERS,
      hostParam: 'host',
      params: hostParams,
      body: hostUsageBody,
      // A host of many accounts reports a few figures each: more than an ordinary request body.
      maxBodyBytes: (config) => Math.max(config.server.maxBodyBytes, config.server.maxUploadBytes),
      response: z.object({ items: z.array(usageOutcomeSchema) }),
      async handler({ ctx, params, body }) {
        requireHost(ctx, params.host);
        const sections = ctx.config.hosts[params.host]?.targets ?? {};
        const enabled = new Set(targets.filter((t) => t.usage !== undefined && Object.hasOwn(sections, t.name)).map((t) => t.name));
        const outcomes = await recordUsage(ctx, params.host, body.measuredAt, body.targets, enabled);
        return { items: outcomes.map(({ unknownAccounts, ...o }) => ({ ...o, ...(unknownAccounts === undefined ? {} : { unknownAccounts: [...unknownAccounts] }) })) };
      },
    }),
  ];
}
