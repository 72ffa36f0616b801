import type { WatchSettings } from '../../config/watch-settings.js';
import type { Clock } from '../../domain/clock.js';
import { asRosterError, errorMessage, type RosterError } from '../../domain/errors.js';
import { deliverWatchReports } from './deliver-watch-reports.js';
import { aroundApply, lockedTurn, undeliveredReports, type WatchLog } from './host-watch.js';
import type { WatchChangelogEntry, WatchReport } from './watch-report.js';
import { readKeptWatchSettings, writeKeptWatchSettings } from './watch-settings-file.js';
import type { ChangeCause } from './watch-store.js';
import type { TurnResult, WatchContext } from './watch-turn.js';

/** What the agent needs of the server for watching (src/agent/server-client.ts). */
export interface AgentWatchClient {
  watchSettings(): Promise<WatchSettings | null>;
  watchReport(report: WatchReport): Promise<void>;
}

/** What a watch turn of the agent did. */
export interface AgentWatchResult {
  readonly outcome: TurnResult['outcome'] | 'busy';
  /** The report made this turn. */
  readonly report: string | null;
  /** Reports the server took this turn, and those still kept for it. */
  readonly sent: number;
  readonly waiting: number;
  /** Why the server did not take them (or the settings), when it did not. */
  readonly error: RosterError | null;
}

export interface AgentWatchOptions {
  readonly root: string;
  readonly host: string;
  readonly clock: Clock;
  readonly log: WatchLog;
  readonly changelog: () => Promise<readonly WatchChangelogEntry[]>;
}

/**
 * `roster watch` as part of the agent (seed GlobeNet): the host's watch
 * settings come from the server (`hosts.<h>.watch`) and are kept on disk,
 * so watching goes on while the server is down and a `roster watch` timer
 * on the host uses them too; a watch turn every few minutes; a turn right
 * before and right after every apply that changes something, so the report
 * says which files Roster changed; reports kept on disk until the server
 * takes them. Watching is off while the host's roster.yaml entry has no
 * `watch`. Nothing here ever stops the agent: failures are logged.
 */
export class AgentWatch {
  readonly #o: AgentWatchOptions;
  #settings: WatchSettings | null;
  /** The settings were asked of the server since this process started. */
  #fetched = false;

  constructor(options: AgentWatchOptions) {
    this.#o = options;
    const kept = readKeptWatchSettings(options.root);
    this.#settings = kept !== null && kept.host === options.host ? kept.settings : null;
  }

  /** The settings in force; null while watching is off. */
  get settings(): WatchSettings | null {
    return this.#settings;
  }

  #context(settings: WatchSettings): WatchContext {
    return { root: this.#o.root, host: this.#o.host, settings, clock: this.#o.clock, changelog: this.#o.changelog };
  }

  /** Asks the server for the settings; kept on disk when they changed. Unreachable: the kept ones stay. */
  async refresh(client: AgentWatchClient): Promise<RosterError | null> {
    try {
      const settings = await client.watchSettings();
      if (JSON.stringify(settings) !== JSON.stringify(this.#settings) || readKeptWatchSettings(this.#o.root) === null) {
        await writeKeptWatchSettings(this.#o.root, { host: this.#o.host, settings, fetchedAt: this.#o.clock.now().toISOString() });
      }
      this.#settings = settings;
      this.#fetched = true;
      return null;
    } catch (e) {
      return asRosterError(e);
    }
  }

  /** Before the first apply of this process: the settings, so that even that apply is watched. */
  async prepare(client: AgentWatchClient): Promise<void> {
    if (this.#fetched) return;
    const error = await this.refresh(client);
    if (error !== null) this.#o.log.warn(`watch: the server did not give the watch settings (${error.message}); using those kept on disk`);
  }

  /** Runs an apply that has changes between two watch turns (see aroundApply); just the apply while watching is off. */
  async around<T>(apply: () => Promise<T>, cause: (result: T | undefined) => ChangeCause): Promise<T> {
    const settings = this.#settings;
    if (settings === null) return apply();
    return aroundApply(this.#context(settings), this.#o.log, cause, apply);
  }

  /**
   * One watch turn, then the kept reports to the server (`client` null:
   * it was not reached this turn, they wait). Null while watching is off
   * and nothing waits to be sent.
   */
  async turn(client: AgentWatchClient | null): Promise<AgentWatchResult | null> {
    let error: RosterError | null = client === null ? null : await this.refresh(client);
    const settings = this.#settings;
    let outcome: AgentWatchResult['outcome'] | null = null;
    let report: string | null = null;
    if (settings !== null) {
      try {
        const r = await lockedTurn(this.#context(settings));
        outcome = r.outcome;
        if (r.outcome !== 'busy') {
          report = r.report?.id ?? null;
          for (const p of r.problems.slice(0, 5)) this.#o.log.warn(`watch: ${p.path}: ${p.message}`);
        }
      } catch (e) {
        this.#o.log.warn(`watch: the turn failed: ${errorMessage(e)}`);
      }
    }
    let sent = 0;
    if (client !== null && error === null) {
      const d = await deliverWatchReports(this.#o.root, (r) => client.watchReport(r), this.#o.log).catch((e: unknown) => ({ sent: 0, error: asRosterError(e) }));
      sent = d.sent;
      error = d.error;
    }
    let waiting = 0;
    try {
      waiting = undeliveredReports(this.#o.root).length;
    } catch (e) {
      this.#o.log.warn(`watch: the reports kept on the host cannot be read: ${errorMessage(e)}`);
    }
    if (outcome === null && sent === 0 && waiting === 0) return null;
    return { outcome: outcome ?? 'unchanged', report, sent, waiting, error };
  }
}
