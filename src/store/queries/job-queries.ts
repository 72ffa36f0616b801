import type { Selectable } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { JobRunsTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { pageSize, parseJsonOrText, utc } from './row-values.js';

/** `running` until it ends; a run whose process died stays `running` until the next run marks it `interrupted`. */
export type JobResult = 'running' | 'ok' | 'partial' | 'failed' | 'refused' | 'interrupted';

const JOB_RESULTS: readonly JobResult[] = ['running', 'ok', 'partial', 'failed', 'refused', 'interrupted'];

export interface JobRun {
  readonly id: number;
  /** `purge`, `billing`, `notify`, `sync:<source>`. */
  readonly job: string;
  /** ISO 8601 UTC: the scheduled instant this run covers. */
  readonly slot: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly result: JobResult;
  /** `host:pid` of the process that ran it. */
  readonly owner: string;
  /** The actor that started it (`cli:root`, `serve`). */
  readonly startedBy: string;
  readonly forced: boolean;
  readonly counts: Readonly<Record<string, number>>;
  readonly message: string | null;
}

export type NewJobRun = Omit<JobRun, 'id' | 'finishedAt' | 'result' | 'counts' | 'message'>;

export interface JobRunEnd {
  readonly finishedAt: string;
  readonly result: Exclude<JobResult, 'running'>;
  readonly counts: Readonly<Record<string, number>>;
  readonly message: string | null;
}

/** Runs of scheduled jobs (DESIGN.md §5 scheduler). */
export interface JobReads {
  /** Newest first. */
  listJobRuns(filter?: { readonly job?: string; readonly results?: readonly JobResult[]; readonly limit?: number }): Promise<JobRun[]>;
}

export interface JobWrites {
  insertJobRun(run: NewJobRun): Promise<JobRun>;
  finishJobRun(id: number, end: JobRunEnd): Promise<void>;
}

export type JobQueries = JobReads & JobWrites;

export function jobQueries(s: QueryScope): JobQueries {
  return {
    async insertJobRun(run) {
      s.mustWrite('insertJobRun');
      const row = {
        job: run.job,
        slot: utc(run.slot, 'job slot'),
        started_at: utc(run.startedAt, 'job startedAt'),
        finished_at: null,
        result: 'running',
        owner: run.owner,
        started_by: run.startedBy,
        forced: run.forced ? 1 : 0,
        counts: '{}',
        message: null,
      };
      const { id } = await s.db.insertInto('job_runs').values(row).returning('id').executeTakeFirstOrThrow();
      return toJobRun({ ...row, id });
    },
    async finishJobRun(id, end) {
      s.mustWrite('finishJobRun');
      const result = await s.db
        .updateTable('job_runs')
        .set({ finished_at: utc(end.finishedAt, 'job finishedAt'), result: end.result, counts: JSON.stringify(end.counts), message: end.message })
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `job run #${id} does not exist`);
    },
    async listJobRuns(filter = {}) {
      let q = s.db.selectFrom('job_runs').selectAll().orderBy('id', 'desc');
      if (filter.job !== undefined) q = q.where('job', '=', filter.job);
      if (filter.results !== undefined) {
        if (filter.results.length === 0) return [];
        q = q.where('result', 'in', [...filter.results]);
      }
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return (await q.execute()).map(toJobRun);
    },
  };
}

/**
 * Deliberately lenient: a tampered row (unknown result, broken JSON) must
 * still reach verifyAudit, whose hash check reports it as edited, instead of
 * making the listing throw.
 */
function toJobRun(r: Selectable<JobRunsTable>): JobRun {
  const result = (JOB_RESULTS as readonly string[]).includes(r.result) ? (r.result as JobResult) : 'failed';
  const counts: Record<string, number> = {};
  const parsed = parseJsonOrText(r.counts);
  if (typeof parsed === 'object' && parsed !== null) for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') counts[k] = v;
  return {
    id: r.id,
    job: r.job,
    slot: r.slot,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result,
    owner: r.owner,
    startedBy: r.started_by,
    forced: r.forced !== 0,
    counts,
    message: r.message,
  };
}
