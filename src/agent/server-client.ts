import * as z from 'zod';
import { errorMessage, RosterError } from '../domain/errors.js';
import { hostAssignmentSchema, type HostAssignment } from '../desired/desired-host-schema.js';
import { hostDeltaSchema, type HostDelta } from '../desired/host-delta.js';
import type { TargetUsage } from '../reconcile/host-usage.js';
import { watchSettingsSchema, type WatchSettings } from '../config/watch-settings.js';
import type { WatchReport } from './watch/watch-report.js';
import { NDJSON_TYPE, readWholeStateStream, type WholeStateStream } from './whole-state-stream.js';

/** An abort signal that fires `ms` after the last `touch` (a body read while it makes progress, stopped when it stalls). */
function idleTimeout(ms: number): { readonly signal: AbortSignal; readonly touch: () => void; readonly clear: () => void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const clear = (): void => clearTimeout(timer);
  const touch = (): void => {
    clear();
    timer = setTimeout(() => controller.abort(new Error(`no data from the server for ${ms} ms`)), ms);
    timer.unref();
  };
  touch();
  return { signal: controller.signal, touch, clear };
}

/** The same entries, with `done` called once they are read or given up. */
async function* clearedAfter<T>(entries: AsyncIterable<T>, done: () => void): AsyncGenerator<T> {
  try {
    yield* entries;
  } finally {
    done();
  }
}

export interface ServerClientOptions {
  /** Base URL of `roster serve`, e.g. https://roster.example.org */
  readonly server: string;
  readonly token: string;
  readonly host: string;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export type DesiredAnswer = (
  | { readonly changed: false; readonly revision: string }
  | { readonly changed: true; readonly assignment: HostAssignment }
  /** Only what changed since the revision the agent named (`?delta=1`). */
  | { readonly changed: true; readonly delta: HostDelta }
  /** The whole state as NDJSON (asked with `stream`), its entries still to read: for AgentStateFile.replaceStreamed. */
  | { readonly changed: true; readonly stream: WholeStateStream }
) & {
  /** The id of the host's newest changelog entry, when the server says (`X-Roster-Changelog-Head`): the agent fetches entries only when it moved. */
  readonly changelogHead?: number;
};

/** The server's answer header naming the host's newest changelog entry. */
export const CHANGELOG_HEAD_HEADER = 'x-roster-changelog-head';

/** One entry of the host's changelog as the server sends it. */
export const hostChangelogRecordSchema = z.object({
  id: z.int().min(1),
  at: z.string(),
  author: z.string(),
  text: z.string(),
  source: z.string(),
  public: z.boolean(),
});
export type HostChangelogRecord = z.infer<typeof hostChangelogRecordSchema>;

/**
 * The agent's side of `/api/v1/hosts/{host}/…` (DESIGN.md §5): pull the
 * desired state by revision (an unchanged host gets a bodiless 304), push
 * reports and measured usage. Every failure is a RosterError: `unavailable` when the server
 * cannot be reached or answers 5xx (worth retrying later), `unauthorized`,
 * `forbidden` or `not_found` when the token or host is wrong (not fixed by
 * retrying), `bad_input` when an answer does not check.
 */
export class ServerClient {
  readonly #options: ServerClientOptions;
  readonly #base: URL;

  constructor(options: ServerClientOptions) {
    this.#options = options;
    let base: URL;
    try {
      base = new URL(options.server);
    } catch {
      throw new RosterError('usage', `--server "${options.server}" is not a URL`, [{ where: '--server', message: 'expected http(s)://host[:port]' }]);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new RosterError('usage', `--server "${options.server}" must be http or https`, [{ where: '--server', message: 'expected http(s)://host[:port]' }]);
    this.#base = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v1/hosts/${encodeURIComponent(options.host)}/`, base);
  }

  /**
   * With `delta`, a server that still knows `knownRevision` answers only
   * what changed since. With `stream`, a whole state is asked for as NDJSON
   * and returned unread but for its first line (at 1,000,000 accounts it
   * is larger than the longest string an engine holds): the caller reads
   * its entries into the state file. A server that answers JSON anyway is
   * read as before. The timeout then counts from the last chunk received,
   * not from the request: a large state takes as long as it takes to write.
   */
  async desired(knownRevision: string | null, options: { readonly delta?: boolean; readonly stream?: boolean } = {}): Promise<DesiredAnswer> {
    const headers: Record<string, string> = {};
    if (knownRevision !== null) headers['if-none-match'] = `"${knownRevision}"`;
    if (options.stream === true) headers.accept = `${NDJSON_TYPE}, application/json;q=0.9`;
    const idle = idleTimeout(this.#options.timeoutMs ?? 30_000);
    let streaming = false;
    try {
      const res = await this.#request(knownRevision !== null && options.delta === true ? 'desired?delta=1' : 'desired', { method: 'GET', headers, signal: idle.signal });
      const headText = res.headers.get(CHANGELOG_HEAD_HEADER);
      const changelogHead = headText !== null && /^\d{1,15}$/.test(headText) ? { changelogHead: Number(headText) } : {};
      if (res.status === 304 && knownRevision !== null) return { changed: false, revision: knownRevision, ...changelogHead };
      await this.#expect(res, 200);
      if (res.headers.get('content-type')?.split(';')[0]?.trim() === NDJSON_TYPE && res.body !== null) {
        const stream = await readWholeStateStream(res.body, this.#options.host, idle.touch);
        streaming = true;
        return { changed: true, stream: { ...stream, entries: clearedAfter(stream.entries, idle.clear) }, ...changelogHead };
      }
      let json: unknown;
      try {
        json = await res.json();
      } catch (e) {
        throw new RosterError('bad_input', `the server's desired state is not JSON: ${errorMessage(e)}`);
      }
      const isDelta = typeof json === 'object' && json !== null && 'base' in json;
      const parsed = isDelta ? hostDeltaSchema.safeParse(json) : hostAssignmentSchema.safeParse(json);
      if (!parsed.success) {
        throw new RosterError('bad_input', "the server's desired state does not check; nothing applied from it", parsed.error.issues.slice(0, 10).map((i) => ({ where: i.path.join('.') || 'body', message: i.message })));
      }
      if (parsed.data.desired.host !== this.#options.host) throw new RosterError('bad_input', `the server sent the desired state of host "${parsed.data.desired.host}", not "${this.#options.host}"`);
      return isDelta ? { changed: true, delta: parsed.data as HostDelta, ...changelogHead } : { changed: true, assignment: parsed.data, ...changelogHead };
    } finally {
      if (!streaming) idle.clear();
    }
  }

  /** The host's changelog entries stored after entry `afterId` (0: all), oldest first. */
  async changelog(afterId: number): Promise<HostChangelogRecord[]> {
    const res = await this.#request(`changelog?afterId=${afterId}`, { method: 'GET' });
    await this.#expect(res, 200);
    const parsed = z.object({ items: z.array(hostChangelogRecordSchema) }).safeParse(await this.#json(res, 'changelog'));
    if (!parsed.success) throw new RosterError('bad_input', "the server's changelog does not check", parsed.error.issues.slice(0, 10).map((i) => ({ where: i.path.join('.') || 'body', message: i.message })));
    return parsed.data.items;
  }

  /** An entry written by hand into the host's /root/changelog: the server keeps it once, however often it is sent. */
  async addChangelog(entry: { readonly at: string; readonly author: string; readonly text: string }): Promise<HostChangelogRecord> {
    const res = await this.#request('changelog', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'host-file', ...entry }) });
    // 201: stored now; 200: stored when it was sent before.
    if (res.status !== 200) await this.#expect(res, 201);
    const parsed = hostChangelogRecordSchema.safeParse(await this.#json(res, 'changelog entry'));
    if (!parsed.success) throw new RosterError('bad_input', "the server's answer to a changelog entry does not check");
    return parsed.data;
  }

  async #json(res: Response, what: string): Promise<unknown> {
    try {
      return await res.json();
    } catch (e) {
      throw new RosterError('bad_input', `the server's ${what} is not JSON: ${errorMessage(e)}`);
    }
  }

  async report(body: Readonly<Record<string, unknown>>): Promise<void> {
    const res = await this.#request('reports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await this.#expect(res, 201);
  }

  /** A change report of `roster watch` on the host: names and metadata only (the diffs stay on the host). */
  async watchReport(report: WatchReport): Promise<void> {
    const res = await this.#request('watch-reports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
    await this.#expect(res, 201);
  }

  /** The host's `hosts.<h>.watch` settings; null when watching is off for it. */
  async watchSettings(): Promise<WatchSettings | null> {
    const res = await this.#request('watch-settings', { method: 'GET' });
    await this.#expect(res, 200);
    const parsed = z.object({ settings: watchSettingsSchema.nullable() }).safeParse(await this.#json(res, 'watch settings'));
    if (!parsed.success) throw new RosterError('bad_input', "the server's watch settings do not check", parsed.error.issues.slice(0, 10).map((i) => ({ where: i.path.join('.') || 'body', message: i.message })));
    return parsed.data.settings;
  }

  /** What the host's targets measured (`usage`): the server stores each target's figures in place of its earlier ones. */
  async usage(body: { readonly measuredAt: string; readonly targets: readonly TargetUsage[] }): Promise<void> {
    const res = await this.#request('usage', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await this.#expect(res, 200);
  }

  async #request(path: string, init: RequestInit): Promise<Response> {
    const url = new URL(path, this.#base);
    try {
      return await (this.#options.fetch ?? fetch)(url, {
        ...init,
        headers: { accept: 'application/json', ...(init.headers as Record<string, string>), authorization: `Bearer ${this.#options.token}` },
        signal: init.signal ?? AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
        redirect: 'error',
      });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      throw new RosterError('unavailable', `cannot reach ${url.origin} (${errorMessage(e)}${cause})`);
    }
  }

  async #expect(res: Response, status: number): Promise<void> {
    if (res.status === status) return;
    const text = await res.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const problem = JSON.parse(text) as { detail?: unknown; title?: unknown };
      if (typeof problem.detail === 'string') detail = problem.detail;
      else if (typeof problem.title === 'string') detail = problem.title;
    } catch {
      // Not problem+json: the text itself.
    }
    const where = res.url || this.#base.toString();
    const message = `${where}: ${res.status} ${detail}`.trim();
    if (res.status === 401) throw new RosterError('unauthorized', `the server refused the agent token (${message})`);
    if (res.status === 403) throw new RosterError('forbidden', `the agent token may not act for host ${this.#options.host} (${message})`);
    if (res.status === 404) throw new RosterError('not_found', `the server knows no host ${this.#options.host} (${message})`);
    if (res.status === 429 || res.status >= 500) throw new RosterError('unavailable', `the server answered ${message}`);
    throw new RosterError('bad_input', `unexpected answer ${message}`);
  }
}
