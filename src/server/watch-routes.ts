import * as z from 'zod';
import { watchReportSchema } from '../agent/watch/watch-report-schema.js';
import { requireHost } from '../app/host-reports.js';
import { recordWatchReport } from '../app/watch-reports.js';
import type { ServerConfig } from '../config/config-schema.js';
import { watchSettingsSchema, type WatchSettings } from '../config/watch-settings.js';
import type { StoredWatchReport } from '../store/store.js';
import { route, type ApiRoute } from './api-route.js';
import { HOST_READERS, HOST_REPORTERS, READERS } from './permissions.js';

const hostParams = z.strictObject({ host: z.string().max(64) });
const iso = z.string().meta({ format: 'date-time' });

export const storedWatchReportSchema = z.object({
  id: z.int().meta({ description: "the server's id (pages go by it)" }),
  host: z.string(),
  reportId: z.string().meta({ description: "the host's id of the report: `roster watch diff ID` on the host shows its diffs" }),
  madeAt: iso,
  receivedAt: iso,
  actor: z.string().meta({ description: 'who sent it: the host\'s agent token, or the admin who ran roster watch on the server\'s machine' }),
  files: z.int().min(0),
  unexplained: z.int().min(0).meta({ description: 'changed files that no changelog entry, apt run or Roster apply explains' }),
  packages: z.int().min(0),
  report: watchReportSchema,
});

function view(r: StoredWatchReport): z.infer<typeof storedWatchReportSchema> {
  return { ...r, report: watchReportSchema.parse(r.report) };
}

function pageQuery(server: ServerConfig) {
  return {
    before: z.coerce.number().int().min(1).optional().meta({ description: 'reports stored before this id' }),
    limit: z.coerce.number().int().min(1).max(server.pageSize.max).default(Math.min(20, server.pageSize.max)),
  };
}

/**
 * Change reports of `roster watch` (seed GlobeNet): a host's agent sends
 * them, readers list them. Reports name files, packages and changelog
 * entries only; the schema has no room for content, so no diff reaches the
 * server. A host's agent also reads the host's watch settings here.
 */
export function watchRoutes(server: ServerConfig): ApiRoute[] {
  return [
    route({
      method: 'post',
      path: '/hosts/{host}/watch-reports',
      operationId: 'reportHostWatch',
      summary: "A host's change report (roster watch): files, packages and changelog entries since its last report, unexplained changes flagged; mailed to notify.adminAddress. The same report sent again is answered with the one kept",
      tag: 'hosts',
      roles: HOST_REPORTERS,
      hostParam: 'host',
      params: hostParams,
      body: watchReportSchema,
      // A dist-upgrade changes thousands of files: more than an ordinary request body.
      maxBodyBytes: (config) => Math.max(config.server.maxBodyBytes, config.server.maxUploadBytes),
      status: 201,
      response: storedWatchReportSchema.extend({ created: z.boolean().meta({ description: 'false: the host had sent this report before; nothing new was stored or mailed' }) }),
      async handler({ ctx, params, body }) {
        const r = await recordWatchReport(ctx, params.host, body);
        return { ...view(r.stored), created: r.created };
      },
    }),
    route({
      method: 'get',
      path: '/hosts/{host}/watch-reports',
      operationId: 'listHostWatchReports',
      summary: "A host's change reports, newest first",
      tag: 'hosts',
      roles: READERS,
      params: hostParams,
      query: z.strictObject(pageQuery(server)),
      response: z.object({ items: z.array(storedWatchReportSchema) }),
      async handler({ ctx, params, query }) {
        requireHost(ctx, params.host);
        const items = await ctx.store.read.listWatchReports({ host: params.host, limit: query.limit, ...(query.before === undefined ? {} : { beforeId: query.before }) });
        return { items: items.map(view) };
      },
    }),
    route({
      method: 'get',
      path: '/watch-reports',
      operationId: 'listWatchReports',
      summary: "Every host's change reports, newest first",
      tag: 'hosts',
      roles: READERS,
      query: z.strictObject({ host: z.string().max(64).optional(), ...pageQuery(server) }),
      response: z.object({ items: z.array(storedWatchReportSchema) }),
      async handler({ ctx, query }) {
        const items = await ctx.store.read.listWatchReports({ ...(query.host === undefined ? {} : { host: query.host }), limit: query.limit, ...(query.before === undefined ? {} : { beforeId: query.before }) });
        return { items: items.map(view) };
      },
    }),
    route({
      method: 'get',
      path: '/hosts/{host}/watch-settings',
      operationId: 'getHostWatchSettings',
      summary: "The host's watch settings (hosts.<h>.watch of roster.yaml); null when watching is off for it",
      tag: 'hosts',
      roles: HOST_READERS,
      hostParam: 'host',
      params: hostParams,
      response: z.object({ host: z.string(), settings: watchSettingsSchema.nullable() }),
      handler({ ctx, params }) {
        requireHost(ctx, params.host);
        const settings = ctx.config.hosts[params.host]?.watch;
        return Promise.resolve({ host: params.host, settings: settings === undefined ? null : (settings as WatchSettings) });
      },
    }),
  ];
}
