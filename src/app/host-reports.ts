import { desiredHostOf, hostResources, projectHost } from '../desired/project-host.js';
import type { DesiredHost } from '../desired/desired-host.js';
import { targetRegistry } from '../targets/registry.js';
import { RosterError } from '../domain/errors.js';
import { assignmentRest, digestsOf, restDigest, revisionFrom, type EntrySums, type HostDelta } from '../desired/host-delta.js';
import { IncrementalProjection, projectionClass, type HostRevision } from '../desired/incremental-projection.js';
import type { HostReport } from '../store/queries/host-report-queries.js';
import type { AppContext } from './app-context.js';
import { recordApplyEntry, type AppliedChange, type ApplySummary } from './changelog.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * What agents pull and push (DESIGN.md §5 "Agent"): a host's desired state
 * with a revision, and reports of what they applied.
 */

export function requireHost(ctx: AppContext, host: string): void {
  if (ctx.config.hosts[host] === undefined) throw new RosterError('not_found', `no host "${printable(host)}" in roster.yaml`);
}

/** A host's revision now (see IncrementalProjection): what an agent compares with the one it has. */
export type DesiredRevision = HostRevision;

/** Per store and configuration (one per server process): the incremental projection of every host. */
const projections = new WeakMap<object, WeakMap<object, IncrementalProjection>>();

function projectionOf(ctx: AppContext): IncrementalProjection {
  let perConfig = projections.get(ctx.store);
  if (perConfig === undefined) projections.set(ctx.store, (perConfig = new WeakMap()));
  let projection = perConfig.get(ctx.config);
  if (projection === undefined) {
    const config = ctx.config;
    const store = ctx.store;
    projection = new IncrementalProjection(store.read, config, targetRegistry, (host) => ({ targets: config.hosts[host]?.targets ?? {}, breaker: config.breaker }), {
      prune: (seq) => store.transaction((tx) => tx.pruneDesiredFeed(seq)),
    });
    perConfig.set(ctx.config, projection);
  }
  return projection;
}

/**
 * The revision of `host`'s assignment now: a digest of the desired state
 * without its projection time, the settings of its targets and the breaker
 * (see host-delta.ts), so an agent that already has it is answered "not
 * modified". It changes exactly when what the agent receives does,
 * including changes that come from the clock alone (a retirement day
 * falling due), and costs what changed since the last request (DESIGN.md
 * §10 "O(changed)"): the change feed and the holds index say which
 * accounts, groups and resources to project again.
 */
export async function desiredRevision(ctx: AppContext, host: string): Promise<DesiredRevision> {
  requireHost(ctx, host);
  return projectionOf(ctx).revision(host, ctx.clock.now());
}

/**
 * Builds each projection class once, through one of its hosts, so the
 * agents' first requests after the server starts find it built (at
 * 1,000,000 accounts a class costs minutes of CPU to build). Returns how
 * many classes were built.
 */
export async function warmDesiredStates(ctx: AppContext): Promise<number> {
  const seen = new Set<string>();
  for (const host of Object.keys(ctx.config.hosts)) {
    const key = projectionClass(ctx.config, host);
    if (seen.has(key)) continue;
    seen.add(key);
    await desiredRevision(ctx, host);
  }
  return seen.size;
}

/** What changed since `base`, when this server still has it; null means "send the whole state". */
export async function desiredDelta(ctx: AppContext, host: string, current: DesiredRevision, base: string): Promise<HostDelta | null> {
  return projectionOf(ctx).delta(host, base, current);
}

/**
 * The accounts, groups and purged accounts of a projection class, from the
 * last full projection of one of its hosts, with their sums and each
 * entry made into bytes once, as the NDJSON lines agents read (a whole
 * state as JSON is cut from them): a thousand hosts of one class fetching
 * their whole state after a restart cost one projection and no encoding.
 * The bytes live outside the JavaScript heap, which the collector never
 * walks.
 */
interface ClassPart {
  readonly stamp: string | undefined;
  readonly removed: DesiredHost['removed'];
  readonly sums: EntrySums;
  /** `{"account":…}\n` lines, PIECE to a buffer; the same for groups. */
  readonly accounts: EncodedLines;
  readonly groups: EncodedLines;
}

interface EncodedLines {
  readonly count: number;
  readonly pieces: readonly Buffer[];
  /** The length of the `{"account":` each line starts with, before the entry's JSON (and `}\n` after it). */
  readonly prefix: number;
}

const SUFFIX = '}\n'.length;

function encodeLines(kind: 'account' | 'group', entries: readonly object[]): EncodedLines {
  const prefix = `{"${kind}":`;
  const pieces: Buffer[] = [];
  for (let i = 0; i < entries.length; i += PIECE) {
    pieces.push(Buffer.from(entries.slice(i, i + PIECE).map((e) => `${prefix}${JSON.stringify(e)}}\n`).join(''), 'utf8'));
  }
  return { count: entries.length, pieces, prefix: prefix.length };
}

/** Per projection: the class parts kept, and those being made (their stamp, and when they are done), by class. */
interface ClassParts {
  readonly kept: Map<string, ClassPart>;
  readonly making: Map<string, { readonly stamp: string | undefined; readonly done: Promise<void> }>;
}

const classParts = new WeakMap<IncrementalProjection, ClassParts>();

function classPartsOf(projection: IncrementalProjection): ClassParts {
  let parts = classParts.get(projection);
  if (parts === undefined) classParts.set(projection, (parts = { kept: new Map(), making: new Map() }));
  return parts;
}

/**
 * The class part of `host` at `current`, by the full projection, and
 * whether it is the class's state under `stamp` (to be kept): nothing
 * written to the feed while it was made, the class at that feed position,
 * `stamp` unchanged, and `current.at` among the instants the class holds
 * for (no hold starting between the class's last step and it). The
 * projection then is the class's state (the property test), so its sums
 * are the class's. Else every entry is digested and the part is served
 * once, not kept.
 */
async function classPart(
  ctx: AppContext,
  projection: IncrementalProjection,
  host: string,
  current: DesiredRevision,
  stamp: string | undefined,
  targets: Readonly<Record<string, unknown>>,
): Promise<{ readonly part: ClassPart; readonly same: boolean }> {
  const before = await ctx.store.read.desiredFeedHead();
  const desired = await projectHost(ctx.store.read, ctx.config, host, new Date(current.at), targetRegistry);
  const after = await ctx.store.read.desiredFeedHead();
  const known = projection.classSnapshot(host);
  const same =
    known !== undefined &&
    before === after &&
    after === known.seq &&
    projection.classStamp(host) === stamp &&
    known.since <= current.at &&
    (known.nextDue === null || current.at < known.nextDue);
  const sums = same ? known.sums : digestsOf({ desired, targets, breaker: ctx.config.breaker }).sums;
  return { part: { stamp, removed: desired.removed, sums, accounts: encodeLines('account', desired.accounts), groups: encodeLines('group', desired.groups) }, same };
}

/** How a whole state is sent: one JSON document, or NDJSON (a line for the rest, one per account and group, one with the counts), which an agent stores as it reads. */
export type WholeStateFormat = 'json' | 'ndjson';

/** Entries per piece of a streamed body. */
const PIECE = 1_000;

/**
 * The whole assignment for `current` (an agent without a state, or too far
 * behind) and the revision it names, as a stream: at 1,000,000 accounts the
 * state is larger than the longest string a JavaScript engine holds, so it
 * is never made into one. The class part comes from the full projection at
 * the revision's time (kept while the class is unchanged), the host's
 * resources and settings around it.
 */
export async function desiredState(ctx: AppContext, host: string, current: DesiredRevision, format: WholeStateFormat = 'json'): Promise<{ readonly revision: string; readonly body: ReadableStream<Uint8Array> }> {
  const projection = projectionOf(ctx);
  const stamp = projection.classStamp(host);
  const { kept: keptParts, making } = classPartsOf(projection);
  const key = projectionClass(ctx.config, host);
  const at = new Date(current.at);
  const targets = (ctx.config.hosts[host]?.targets ?? {}) as Readonly<Record<string, unknown>>;
  const breaker = ctx.config.breaker;
  // Whole states of one class asked for at once (the agents' first turns after a restart) wait for one projection.
  const other = making.get(key);
  if (other !== undefined && other.stamp === stamp) await other.done;
  let part = keptParts.get(key);
  if (part === undefined || stamp === undefined || part.stamp !== stamp) {
    const made = classPart(ctx, projection, host, current, stamp, targets);
    const mine = { stamp, done: made.then(() => undefined, () => undefined) };
    making.set(key, mine);
    try {
      const { part: projected, same } = await made;
      if (same) keptParts.set(key, projected);
      part = projected;
    } finally {
      if (making.get(key) === mine) making.delete(key);
    }
  }
  const resources = await hostResources(ctx.store.read, ctx.config, host, targetRegistry);
  const rest = desiredHostOf(ctx.config, host, at, { accounts: [], groups: [], removed: [...part.removed], ...(resources === undefined ? {} : { resources }) });
  const { at: _at, accounts: _accounts, groups: _groups, ...kept } = rest;
  const revision = revisionFrom(restDigest(assignmentRest({ desired: rest, targets, breaker })), part.sums);
  const head = { revision, targets, breaker, desired: { ...kept, at: rest.at } };
  return { revision, body: byteStream(format === 'ndjson' ? ndjsonPieces(head, part) : jsonPieces(head, part)) };
}

function* ndjsonPieces(head: { readonly revision: string; readonly desired: object; readonly targets: object; readonly breaker: object }, part: ClassPart): Generator<Uint8Array> {
  yield Buffer.from(`${JSON.stringify(head)}\n`);
  yield* part.accounts.pieces;
  yield* part.groups.pieces;
  yield Buffer.from(`${JSON.stringify({ end: { accounts: part.accounts.count, groups: part.groups.count } })}\n`);
}

/** The assignment as one JSON document (what `GET …/desired` answers without NDJSON), written piece by piece. */
function* jsonPieces(head: { readonly revision: string; readonly desired: object; readonly targets: object; readonly breaker: object }, part: ClassPart): Generator<Uint8Array> {
  const slot = (name: string): string => JSON.stringify(`\u0000${name}`);
  const shell = JSON.stringify({ ...head, desired: { ...head.desired, accounts: '\u0000accounts', groups: '\u0000groups' } });
  const a = shell.indexOf(slot('accounts'));
  const g = shell.indexOf(slot('groups'));
  const [first, second] = a < g ? (['accounts', 'groups'] as const) : (['groups', 'accounts'] as const);
  const [i, j] = a < g ? [a, g] : [g, a];
  yield Buffer.from(shell.slice(0, i));
  yield* list(part[first]);
  yield Buffer.from(shell.slice(i + slot(first).length, j));
  yield* list(part[second]);
  yield Buffer.from(shell.slice(j + slot(second).length));
}

const COMMA = Buffer.from(',');

/** The entries of NDJSON lines as a JSON array: each line without its wrapper, commas between. */
function* list(lines: EncodedLines): Generator<Uint8Array> {
  yield Buffer.from('[');
  for (const [n, piece] of lines.pieces.entries()) {
    const parts: Buffer[] = [];
    for (let start = 0; start < piece.length; ) {
      const end = piece.indexOf(10, start);
      if (parts.length > 0 || n > 0) parts.push(COMMA);
      parts.push(piece.subarray(start + lines.prefix, end + 1 - SUFFIX));
      start = end + 1;
    }
    yield Buffer.concat(parts);
  }
  yield Buffer.from(']');
}

function byteStream(pieces: Generator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
  });
}

export interface HostReportInput {
  /** The agent's own id for the report, made when the report was: the same report sent again is stored once. */
  readonly id?: string | undefined;
  /** When the agent applied (ISO 8601, by the host's clock); its apply's changelog entry is dated by it. */
  readonly at?: string | undefined;
  readonly revision: string | null;
  readonly ok: boolean;
  readonly report: Readonly<Record<string, unknown>>;
  /** Counts for the audit record (applied, failed, …). */
  readonly counts: Readonly<Record<string, number>>;
  /** What the apply changed (recurring changes left out), for its changelog entry; none when absent or 0. */
  readonly applied?: Pick<ApplySummary, 'root' | 'applied' | 'changes'>;
}

/** The outcomes of a report as an agent sends them (src/agent/agent-cycle.ts): some listed, all counted in `totals`. */
export interface ReportedOutcomes {
  readonly outcomes: ReadonlyArray<{ readonly target: string; readonly action: string; readonly subject: string; readonly summary?: string | undefined; readonly status: string; readonly recurring?: unknown }>;
  readonly totals?: { readonly ok: number; readonly recurring?: number | undefined } | undefined;
}

/**
 * The changes a report says were applied, recurring ones (onEnsure hooks,
 * which run at every apply) left out: counted from the totals where the
 * agent lists only some outcomes, named from those it lists.
 */
export function appliedChanges(report: ReportedOutcomes): { readonly applied: number; readonly changes: readonly AppliedChange[] } {
  const done = report.outcomes.filter((o) => o.status === 'ok');
  const listedRecurring = done.filter((o) => o.recurring === true).length;
  const changes = done.filter((o) => o.recurring !== true).map((o) => ({ target: o.target, summary: o.summary ?? `${o.action} ${o.subject}` }));
  const applied = report.totals === undefined ? changes.length : Math.max(changes.length, report.totals.ok - (report.totals.recurring ?? listedRecurring));
  return { applied, changes };
}

/** How many of a host's latest reports a report sent again is looked for among (an agent keeps at most 20 waiting). */
const RESENT_WINDOW = 50;

/**
 * When an apply's entry says it was made: the time the agent reports, but
 * never after the server's now (a host clock ahead) nor before the host's
 * previous report was received (a host clock behind: that report already
 * told of an earlier apply).
 */
function applyTime(at: string | undefined, now: Date, previous: HostReport | undefined): string {
  const reported = at === undefined ? Number.NaN : new Date(at).getTime();
  if (Number.isNaN(reported)) return now.toISOString();
  const floor = previous === undefined ? Number.NEGATIVE_INFINITY : new Date(previous.receivedAt).getTime();
  return new Date(Math.max(Math.min(reported, now.getTime()), floor)).toISOString();
}

/**
 * Stores an agent's report, and for an apply that changed something, its
 * changelog entry (seed GlobeNet: Roster's own interventions are logged
 * like anyone's), in the same transaction, dated by the apply. A report
 * with the agent's id that is already stored (sent again after its answer
 * was lost) is not stored again (`created: false`), and its entry, kept
 * under `report:<id>`, is never added twice.
 */
export async function recordHostReport(ctx: AppContext, host: string, input: HostReportInput): Promise<{ readonly report: HostReport; readonly created: boolean }> {
  requireHost(ctx, host);
  return mutate(ctx, {}, async (tx) => {
    const latest = await tx.listHostReports({ host, limit: input.id === undefined ? 1 : RESENT_WINDOW });
    const known = input.id === undefined ? undefined : latest.find((l) => l.report.id === input.id);
    if (known !== undefined) return { report: known, created: false };
    const now = ctx.clock.now();
    const r = await tx.insertHostReport({ host, receivedAt: now.toISOString(), actor: ctx.actor, revision: input.revision, ok: input.ok, report: input.report });
    const ref = input.id === undefined ? `report:${r.id}` : `report:${input.id}`;
    const applied = input.applied === undefined || (input.id !== undefined && (await tx.findChangelogByRef(host, 'apply', ref)) !== undefined) ? undefined : input.applied;
    const at = applyTime(input.at, now, latest[0]);
    const entry = applied === undefined ? null : await recordApplyEntry(tx, ctx, { host, revision: input.revision, ...applied, ref, at });
    await audit(tx, ctx, {
      action: 'host.report',
      target: `host:${host}`,
      before: null,
      after: { report: r.id, revision: input.revision, ok: input.ok, ...input.counts, ...(entry === null ? {} : { changelog: entry.id }) },
      result: input.ok ? 'ok' : 'failed',
    });
    return { report: r, created: true };
  });
}
