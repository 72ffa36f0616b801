import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../app/app-context.js';
import type { RosterConfig } from '../config/config-schema.js';
import type { Clock } from '../domain/clock.js';
import { errorMessage } from '../domain/errors.js';
import { JOB_NAMES } from '../jobs/job-names.js';
import type { JobResult, Store } from '../store/store.js';

/** What the gauges read at scrape time. */
export interface MetricsSource {
  readonly store: Store;
  readonly config: RosterConfig;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Outcome counts of one target in one agent report. */
export interface TargetOutcomes {
  readonly target: string;
  readonly ok: number;
  readonly failed: number;
  readonly skipped: number;
}

const FINISHED: readonly JobResult[] = ['ok', 'partial', 'failed', 'refused', 'interrupted'];

/**
 * The Prometheus metrics of one `roster serve` (GET /metrics). Each server
 * has its own registry, never prom-client's global one, so several servers
 * in one process (tests) keep their counts apart.
 *
 * Counters count what this process saw (requests, agent reports, refusals,
 * the jobs its scheduler ran); Prometheus adds them up across servers.
 * Gauges of state (when each host last reported, the outbox, each job's
 * last run) are read from the store at scrape time, so every server gives
 * the same answer, including for runs started by `roster jobs run` from cron.
 *
 * Every label value comes from a bounded set: route patterns, not paths;
 * hosts and targets of roster.yaml; fixed result names.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #latency: Histogram<'method' | 'route' | 'status'>;
  readonly #jobRuns: Counter<'job' | 'result'>;
  readonly #reports: Counter<'host' | 'result'>;
  readonly #outcomes: Counter<'host' | 'target' | 'status'>;
  readonly #refusals: Counter<'operation' | 'host'>;
  readonly #source: MetricsSource;
  #processMetrics = false;

  constructor(source: MetricsSource) {
    this.#source = source;
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'roster_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.#latency = new Histogram({ name: 'roster_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.#jobRuns = new Counter({ name: 'roster_job_runs_total', help: "Scheduled job runs by this server's scheduler, by job and result", labelNames: ['job', 'result'], registers });
    this.#reports = new Counter({ name: 'roster_agent_reports_total', help: 'Reports received from agents, by host and result (ok; failed: some change failed; error: nothing applied, e.g. the circuit breaker or a target unavailable)', labelNames: ['host', 'result'], registers });
    this.#outcomes = new Counter({ name: 'roster_agent_apply_outcomes_total', help: 'Changes agents reported applying, by host, target and status (ok, failed, skipped)', labelNames: ['host', 'target', 'status'], registers });
    this.#refusals = new Counter({ name: 'roster_breaker_refusals_total', help: 'Runs the circuit breaker refused, by operation (apply on a host by its agent, purge, sync) and host', labelNames: ['operation', 'host'], registers });

    this.#storeGauge({ name: 'roster_host_last_report_age_seconds', help: "Seconds since each host's agent last reported (hosts that never reported are absent)", labelNames: ['host'] }, async (set) => {
      const now = this.#source.clock.now().getTime();
      for (const r of await this.#reportedHosts()) set({ host: r.host }, Math.max(0, (now - Date.parse(r.receivedAt)) / 1000));
    });
    this.#storeGauge({ name: 'roster_host_last_report_ok', help: "1 when each host's last report was clean, 0 when something failed or nothing was applied", labelNames: ['host'] }, async (set) => {
      for (const r of await this.#reportedHosts()) set({ host: r.host }, r.ok ? 1 : 0);
    });
    this.#storeGauge({ name: 'roster_outbox_messages', help: 'Notifications in the outbox by status; queued is the backlog waiting to be sent', labelNames: ['status'] }, async (set) => {
      for (const [status, n] of Object.entries(await this.#source.store.read.countMessages())) set({ status }, n);
    });
    this.#storeGauge({ name: 'roster_job_last_finished_timestamp_seconds', help: 'When each job last finished (run by any server or by roster jobs run), labelled with its result', labelNames: ['job', 'result'] }, async (set) => {
      const jobs = [...JOB_NAMES, ...Object.keys(this.#source.config.sources).map((s) => `sync:${s}`)];
      const runs = await Promise.all(jobs.map((job) => this.#source.store.read.listJobRuns({ job, results: FINISHED, limit: 1 })));
      for (const [run] of runs) if (run?.finishedAt != null) set({ job: run.job, result: run.result }, Date.parse(run.finishedAt) / 1000);
    });
  }

  /** Hosts of roster.yaml with a report (a host since removed from roster.yaml is left out). */
  async #reportedHosts(): Promise<Array<{ readonly host: string; readonly receivedAt: string; readonly ok: boolean }>> {
    return (await this.#source.store.read.latestHostReports()).filter((r) => this.#source.config.hosts[r.host] !== undefined);
  }

  /** A gauge filled from the store at each scrape; a failed read leaves it empty for that scrape (and is logged) rather than failing the whole answer. */
  #storeGauge<L extends string>(config: { readonly name: string; readonly help: string; readonly labelNames: readonly L[] }, fill: (set: (labels: Record<L, string>, value: number) => void) => Promise<void>): void {
    const log = this.#source.log;
    // Registered in this.registry, and read only through it.
    new Gauge<L>({
      ...config,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          await fill((labels, value) => this.set(labels, value));
        } catch (e) {
          log.warn(`metrics: cannot read ${config.name}: ${errorMessage(e)}`);
        }
      },
    });
  }

  /** Node's own process metrics (CPU, memory, event loop); for the process that serves, not for in-process test servers. */
  collectProcessMetrics(): void {
    if (this.#processMetrics) return;
    this.#processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  requestFinished(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.#requests.inc(labels);
    this.#latency.observe(labels, seconds);
  }

  jobFinished(job: string, result: string): void {
    this.#jobRuns.inc({ job, result });
    if (result === 'refused') this.breakerRefused(job.startsWith('sync:') ? 'sync' : job, '');
  }

  /**
   * A report stored for `host` (a host of roster.yaml): its result and its
   * outcome counts per target. Target names the host does not enable are
   * counted as `other`, so an agent cannot grow the label set.
   */
  agentReported(host: string, report: { readonly result: 'ok' | 'failed' | 'error'; readonly targets: readonly TargetOutcomes[]; readonly errorCode: string | null }): void {
    this.#reports.inc({ host, result: report.result });
    const enabled = this.#source.config.hosts[host]?.targets ?? {};
    for (const t of report.targets) {
      const target = Object.hasOwn(enabled, t.target) ? t.target : 'other';
      for (const status of ['ok', 'failed', 'skipped'] as const) if (t[status] > 0) this.#outcomes.inc({ host, target, status }, t[status]);
    }
    if (report.errorCode === 'mass_change') this.breakerRefused('apply', host);
  }

  breakerRefused(operation: string, host: string): void {
    this.#refusals.inc({ operation, host });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
