import type { ServiceSource } from '../config/known-services.js';
import { stateRank } from '../domain/component-state.js';
import { addDaysToDate, calendarDate } from '../domain/zoned-time.js';
import type { HostReport } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { statusComponents } from './status-components.js';
import { reportFaults, staleAfterMs } from './status-snapshot.js';

/**
 * What the agents' calls and reports say is written down as it happens, so
 * the status page's history holds the worst state of each day even when
 * nobody looked at the page that day (the page itself only reads).
 */

/** A call moves the stored time on at most this often per host and server process: a poll is not a write each time. */
const TOUCH_EVERY_MS = 30_000;

/** Per store (one per server process): the last call time written per host. */
const written = new WeakMap<object, Map<string, number>>();

function writtenFor(ctx: AppContext): Map<string, number> {
  let m = written.get(ctx.store);
  if (m === undefined) written.set(ctx.store, (m = new Map<string, number>()));
  return m;
}

const DEGRADED = stateRank('degraded');

/** Days (in timeZone) from `fromIso` to `toIso`, inclusive, at most `max` of the latest. */
function daysBetweenInstants(ctx: AppContext, fromIso: string, toIso: string, max: number): string[] {
  const tz = ctx.config.timeZone;
  const last = calendarDate(new Date(toIso), tz);
  let day = calendarDate(new Date(fromIso), tz);
  const floor = addDaysToDate(last, -(max - 1));
  if (day < floor) day = floor;
  const out: string[] = [];
  for (; day <= last; day = addDaysToDate(day, 1)) out.push(day);
  return out;
}

/**
 * A host's agent called (asked for its desired state, or reported). When
 * it had been silent longer than the page allows, the days of the silence
 * are recorded as degraded for the host. Hosts roster serve applies itself
 * have no agent: nothing to note.
 */
export async function noteAgentContact(ctx: AppContext, host: string): Promise<void> {
  const hostConfig = ctx.config.hosts[host];
  if (hostConfig === undefined || hostConfig.appliedBy === 'server') return;
  const now = ctx.clock.now();
  const cache = writtenFor(ctx);
  const cached = cache.get(host);
  const staleMs = staleAfterMs(ctx);
  if (cached !== undefined && now.getTime() - cached < TOUCH_EVERY_MS && now.getTime() >= cached) return;
  await ctx.store.transaction(async (tx) => {
    // Read again in the transaction: another server process may have heard from the agent meanwhile.
    const previous = (await tx.getStatusContact(host))?.lastSeenAt;
    if (previous !== undefined && now.getTime() - new Date(previous).getTime() > staleMs) {
      const from = new Date(new Date(previous).getTime() + staleMs).toISOString();
      for (const day of daysBetweenInstants(ctx, from, now.toISOString(), ctx.config.status.historyDays)) await tx.raiseStatusDay(host, day, DEGRADED);
    }
    await tx.touchStatusContact(host, now.toISOString());
  });
  cache.set(host, now.getTime());
}

/**
 * A host's agent reported an apply (`report`, just stored). A failed
 * report makes today degraded for what failed (the host, or the services
 * whose targets failed); when the report before it had failed, the days
 * from then to now were degraded too, which the page could not know
 * without a look on each of them.
 */
export async function noteHostReport(ctx: AppContext, host: string, report: HostReport, targets: readonly ServiceSource[]): Promise<void> {
  await noteAgentContact(ctx, host);
  const components = statusComponents(ctx.config, targets).filter((c) => c.host === host);
  if (components.length === 0) return;
  // Newest first: this report, then the one before it.
  const [, previous] = await ctx.store.read.listHostReports({ host, beforeId: report.id + 1, limit: 2 });
  const marks: Array<{ readonly from: string; readonly faults: ReturnType<typeof reportFaults> }> = [];
  if (previous !== undefined && !previous.ok) marks.push({ from: previous.receivedAt, faults: reportFaults(previous, components) });
  if (!report.ok) marks.push({ from: report.receivedAt, faults: reportFaults(report, components) });
  if (marks.length === 0) return;
  const now = ctx.clock.now().toISOString();
  await ctx.store.transaction(async (tx) => {
    for (const { from, faults } of marks) {
      const ids = [...(faults.host ? [host] : []), ...faults.services];
      for (const day of daysBetweenInstants(ctx, from, now, ctx.config.status.historyDays)) for (const id of ids) await tx.raiseStatusDay(id, day, DEGRADED);
    }
  });
}
