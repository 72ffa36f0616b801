import { createHash } from 'node:crypto';
import { changelogAuthorLabel, normaliseChangelogText } from '../domain/changelog-text.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import type { ChangelogEntry, ChangelogReads, ChangelogSource, Queries } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { printable } from './person-input.js';

/**
 * The changelog of interventions per host (seed GlobeNet: "a changelog per
 * machine — time, who, what — so information spreads without meetings").
 * Admins add entries from the CLI or the API; Roster's own applies add one
 * each; entries an admin appends by hand to the host's `/root/changelog`
 * arrive from its agent. `roster watch` reads them to tell explained changes
 * from unexplained ones, and the public status page shows the public ones.
 */

/** The longest text of one entry, in characters. */
export const MAX_CHANGELOG_TEXT = 4000;
/** The longest author of a hand-written entry. */
export const MAX_CHANGELOG_AUTHOR = 64;
/** The author of the entries Roster's own applies add. */
export const ROSTER_AUTHOR = 'roster';

export interface ChangelogInput {
  readonly host: string;
  readonly text: string;
  readonly public?: boolean;
}

/** `host` must be in roster.yaml; the refusal lists the hosts that are. */
export function requireChangelogHost(ctx: Pick<AppContext, 'config'>, host: string, where = 'host'): void {
  if (Object.hasOwn(ctx.config.hosts, host)) return;
  const known = Object.keys(ctx.config.hosts).sort();
  const listed = known.length === 0 ? 'roster.yaml declares no hosts' : `the hosts are ${known.join(', ')}`;
  throw new RosterError('not_found', `no host "${printable(host)}" in roster.yaml; ${listed}`, [{ where, message: 'not a host in roster.yaml' }]);
}

/**
 * The text as stored (normaliseChangelogText: so it reads and round-trips
 * the same in `/root/changelog`), checked: 1 to 4000 characters, no control
 * character but the line feed.
 */
export function changelogText(text: string, where = 'text'): string {
  const clean = normaliseChangelogText(text);
  const issue = (message: string): RosterError => new RosterError('bad_input', `${where}: ${message}`, [{ where, message }]);
  if (clean.trim() === '') throw issue('say what was done (the text is empty)');
  if (clean.length > MAX_CHANGELOG_TEXT) throw issue(`at most ${MAX_CHANGELOG_TEXT} characters, not ${clean.length}`);
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.exec(clean);
  if (bad !== null) {
    const line = clean.slice(0, bad.index).split('\n').length;
    throw issue(`a control character (${printable(bad[0])}) on line ${line}; only line breaks may be in the text`);
  }
  return clean;
}

/** A hand-written author (the line of a `/root/changelog` entry): a name without control characters or line breaks. */
export function changelogAuthor(author: string, where = 'author'): string {
  const clean = author.trim();
  const issue = (message: string): RosterError => new RosterError('bad_input', `${where}: ${message}`, [{ where, message }]);
  if (clean === '') throw issue('say who did it (the author is empty)');
  if (clean.length > MAX_CHANGELOG_AUTHOR) throw issue(`at most ${MAX_CHANGELOG_AUTHOR} characters`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(clean)) throw issue('no control characters');
  return clean;
}

/**
 * Who an entry is by, from the actor: the invoking person for the CLI
 * (`cli:alice`, where alice is SUDO_USER or the login user), the token for
 * the API (`token:3(admin)`), the actor as it is otherwise.
 */
export function authorOf(actor: string): string {
  return actor.startsWith('cli:') && actor.length > 4 ? actor.slice(4) : actor;
}

function sourceOf(actor: string): Extract<ChangelogSource, 'cli' | 'api'> {
  return actor.startsWith('cli:') ? 'cli' : 'api';
}

/** Stores an entry with its audit record (an apply's entry has none of its own: the apply's records are its audit). */
async function store(tx: Queries, ctx: AppContext, entry: Omit<ChangelogEntry, 'id'>): Promise<ChangelogEntry> {
  const added = await tx.addChangelogEntry({ ...entry, createdAt: ctx.clock.now().toISOString() });
  if (entry.source === 'apply') return added;
  await audit(tx, ctx, {
    action: 'changelog.add',
    target: `host:${entry.host}`,
    before: null,
    after: { id: added.id, at: added.at, author: added.author, source: added.source, public: added.public, ...(added.ref === null ? {} : { ref: added.ref }), text: added.text },
  });
  return added;
}

/** `roster changelog add` and `POST /hosts/{host}/changelog`: an intervention done now, by the actor. */
export async function addChangelogEntry(ctx: AppContext, input: ChangelogInput, options: MutationOptions = {}): Promise<ChangelogEntry> {
  requireChangelogHost(ctx, input.host);
  const text = changelogText(input.text);
  return mutate(ctx, options, (tx) =>
    store(tx, ctx, { host: input.host, at: ctx.clock.now().toISOString(), author: authorOf(ctx.actor), text, public: input.public === true, source: sourceOf(ctx.actor), ref: null }),
  );
}

/** An entry an admin wrote by hand into the host's `/root/changelog`, as its agent read it. */
export interface HostFileEntryInput {
  readonly host: string;
  /** When, as the entry's date line says it. */
  readonly at: string;
  readonly author: string;
  readonly text: string;
}

/** How far ahead of the server's clock a hand-written entry may be dated (a host's clock may be off; a year typed wrong is refused). */
const HOST_FILE_FUTURE_MS = 86_400_000;

/**
 * The ref that makes a hand-written entry idempotent: the same time, author
 * and text sent again (the agent retrying after a lost answer) is the same
 * entry. The server computes it, so no agent can claim another entry's ref.
 */
export function hostFileRef(at: string, author: string, text: string): string {
  return `sha256:${createHash('sha256').update(JSON.stringify([at, author, text])).digest('hex')}`;
}

/**
 * Stores an entry from the host's `/root/changelog` (source `host-file`).
 * Sending it again gives back the entry stored the first time, unchanged
 * (`created: false`), and so does sending an entry the file only shows
 * because the server sent it (same minute, author as shown, and text).
 */
export async function addHostFileEntry(ctx: AppContext, input: HostFileEntryInput): Promise<{ readonly entry: ChangelogEntry; readonly created: boolean }> {
  requireChangelogHost(ctx, input.host);
  const issues: ErrorIssue[] = [];
  const at = new Date(input.at);
  if (Number.isNaN(at.getTime())) issues.push({ where: 'at', message: `not an ISO 8601 time: ${printable(input.at)}` });
  else if (at.getTime() > ctx.clock.now().getTime() + HOST_FILE_FUTURE_MS) issues.push({ where: 'at', message: `${at.toISOString()} is in the future` });
  let author = '';
  let text = '';
  try {
    author = changelogAuthor(input.author);
  } catch (e) {
    issues.push(...(e as RosterError).issues);
  }
  try {
    text = changelogText(input.text);
  } catch (e) {
    issues.push(...(e as RosterError).issues);
  }
  if (issues.length > 0) throw new RosterError('bad_input', `the changelog entry is invalid: ${issues.map((i) => `${i.where}: ${i.message}`).join('; ')}`, issues);
  const iso = at.toISOString();
  const ref = hostFileRef(iso, author, text);
  return mutate(ctx, {}, async (tx) => {
    const known = await tx.findChangelogByRef(input.host, 'host-file', ref);
    if (known !== undefined) return { entry: known, created: false };
    // An entry the file shows because the server sent it (a host that lost its copy sends the file's entries back): the one stored.
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    const shown = (await tx.listChangelog({ host: input.host, since: new Date(minute).toISOString(), until: new Date(minute + 60_000).toISOString() })).find(
      (e) => e.text === text && changelogAuthorLabel(e.author, e.source) === author,
    );
    if (shown !== undefined) return { entry: shown, created: false };
    return { entry: await store(tx, ctx, { host: input.host, at: iso, author, text, public: false, source: 'host-file', ref }), created: true };
  });
}

/** One change an apply made, as the changelog entry summarises it. */
export interface AppliedChange {
  readonly target: string;
  readonly summary: string;
}

export interface ApplySummary {
  readonly host: string;
  /** The desired-state revision an agent applied, when it says. */
  readonly revision: string | null;
  /** The root prefix applied under; `/` is the live system. */
  readonly root: string | null;
  /** How many changes were applied (recurring ones, such as onEnsure hooks, not counted). */
  readonly applied: number;
  /** Some or all of them, in apply order. */
  readonly changes: readonly AppliedChange[];
  /** The host report it came with (`report:12`, or the agent's own id for it), if any. */
  readonly ref: string | null;
  /** When the apply was made (ISO 8601); now when absent. */
  readonly at?: string | undefined;
}

/** Changes named in an apply's entry; the rest are counted ("and 7 more"). */
const APPLY_LISTED = 5;
const APPLY_ITEM_CHARS = 80;

/** `applied revision 1a2b3c4d5e6f: 3 changes — unix: freeze alice; homes: create /home/bob; and 1 more`. */
export function applyEntryText(s: Pick<ApplySummary, 'revision' | 'root' | 'applied' | 'changes'>): string {
  const what = `${s.applied} change${s.applied === 1 ? '' : 's'}`;
  const revision = s.revision === null ? '' : ` revision ${s.revision.slice(0, 12)}`;
  const root = s.root === null || s.root === '/' ? '' : ` under root ${s.root}`;
  const head = revision === '' && root === '' ? `applied ${what}` : `applied${revision}${root}: ${what}`;
  const items = s.changes.slice(0, APPLY_LISTED).map((c) => {
    const item = `${c.target}: ${c.summary.replace(/\s+/g, ' ').trim()}`;
    return item.length > APPLY_ITEM_CHARS ? `${item.slice(0, APPLY_ITEM_CHARS - 1)}…` : item;
  });
  const more = s.applied - items.length;
  const list = [...items, ...(more > 0 && items.length > 0 ? [`and ${more} more`] : [])].join('; ');
  return printable(list === '' ? head : `${head} — ${list}`).slice(0, MAX_CHANGELOG_TEXT);
}

/**
 * Roster's own apply as an entry of its own (author `roster`, source
 * `apply`), so `roster watch` never takes what it changed for an
 * unexplained change. In the caller's transaction (the host report's, whose
 * audit record names the entry); an apply that changed nothing adds none.
 * Returns the entry, or null.
 */
export async function recordApplyEntry(tx: Queries, ctx: AppContext, s: ApplySummary): Promise<ChangelogEntry | null> {
  if (s.applied <= 0) return null;
  return store(tx, ctx, { host: s.host, at: s.at ?? ctx.clock.now().toISOString(), author: ROSTER_AUTHOR, text: applyEntryText(s), public: false, source: 'apply', ref: s.ref });
}

export interface ChangelogQuery {
  readonly host?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly publicOnly?: boolean;
  readonly afterId?: number;
  /** Keyset pages in time order: the entries after this one. */
  readonly after?: { readonly at: string; readonly id: number };
  readonly limit?: number;
  readonly order?: 'time' | 'stored';
}

/**
 * Entries by time, filtered. A host that roster.yaml no longer declares
 * may still be listed while it has entries (its history stays readable);
 * one that never had any is refused, naming the hosts there are.
 */
export async function listChangelog(ctx: Pick<AppContext, 'config'> & { readonly store: { readonly read: ChangelogReads } }, query: ChangelogQuery = {}): Promise<ChangelogEntry[]> {
  const q = ctx.store.read;
  const entries = await q.listChangelog({
    ...(query.host === undefined ? {} : { host: query.host }),
    ...(query.since === undefined ? {} : { since: query.since.toISOString() }),
    ...(query.until === undefined ? {} : { until: query.until.toISOString() }),
    ...(query.publicOnly === true ? { publicOnly: true } : {}),
    ...(query.afterId === undefined ? {} : { afterId: query.afterId }),
    ...(query.after === undefined ? {} : { after: query.after }),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.order === undefined ? {} : { order: query.order }),
  });
  if (query.host !== undefined && entries.length === 0 && !Object.hasOwn(ctx.config.hosts, query.host) && (await q.changelogHead(query.host)) === 0) requireChangelogHost(ctx, query.host);
  return entries;
}
