import type { Selectable, Updateable } from 'kysely';
import { canonicalJson } from '../../domain/canonical-json.js';
import { RosterError } from '../../domain/errors.js';
import type { OutboxTable } from '../database-schema.js';
import type { QueryScope } from './query-scope.js';
import { IN_CHUNK, INSERT_CHUNK, pageSize, parseJsonOrText, toNumber, utc, utcOrNull } from './row-values.js';

/** queued (waiting or retrying), sent, failed (gave up), unaddressed (the person has no address). */
export type OutboxStatus = 'queued' | 'sent' | 'failed' | 'unaddressed';

const OUTBOX_STATUSES: readonly OutboxStatus[] = ['queued', 'sent', 'failed', 'unaddressed'];

export interface OutboxMessage {
  readonly id: number;
  /** Template name: billing-warning, frozen, unfrozen, retirement, purged, admin-digest, announcement, email-confirm, email-change-asked, email-changed. */
  readonly kind: string;
  readonly recipient: string | null;
  /** What the template is filled with; never secrets. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly dedupeKey: string | null;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly queuedAt: string;
  readonly nextAttemptAt: string | null;
  readonly sentAt: string | null;
  /** The subject as sent (set on delivery). */
  readonly subject: string | null;
}

export interface NewOutboxMessage {
  readonly kind: string;
  /** Null when the person has no address: recorded as `unaddressed`, never sent. */
  readonly recipient: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly dedupeKey: string | null;
  readonly queuedAt: string;
}

export type OutboxPatch = Partial<Pick<OutboxMessage, 'status' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'sentAt' | 'subject'>>;

/** The notification outbox. */
export interface OutboxReads {
  /** Queued messages whose next attempt is due at `now`, oldest first; only those with id > afterId when given. */
  dueMessages(now: string, limit: number, afterId?: number): Promise<OutboxMessage[]>;
  /** Newest first; `recipients`: only messages to one of these addresses (the portal's "messages we sent you"). */
  listMessages(filter?: { readonly status?: OutboxStatus; readonly kind?: string; readonly recipients?: readonly string[]; readonly limit?: number }): Promise<OutboxMessage[]>;
  countMessages(): Promise<Readonly<Record<OutboxStatus, number>>>;
}

export interface OutboxWrites {
  /** Queues messages; one whose dedupe key is already known is skipped. Returns how many were added. */
  enqueueMessages(messages: readonly NewOutboxMessage[]): Promise<number>;
  updateMessage(id: number, patch: OutboxPatch): Promise<void>;
}

export type OutboxQueries = OutboxReads & OutboxWrites;

export function outboxQueries(s: QueryScope): OutboxQueries {
  return {
    async enqueueMessages(messages) {
      s.mustWrite('enqueueMessages');
      let added = 0;
      for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
        const rows = messages.slice(i, i + INSERT_CHUNK).map((m) => {
          const queuedAt = utc(m.queuedAt, 'message queuedAt');
          return {
            kind: m.kind,
            recipient: m.recipient,
            data: canonicalJson(m.data),
            dedupe_key: m.dedupeKey,
            status: m.recipient === null ? 'unaddressed' : 'queued',
            attempts: 0,
            last_error: m.recipient === null ? 'no e-mail address on record' : null,
            queued_at: queuedAt,
            next_attempt_at: m.recipient === null ? null : queuedAt,
            sent_at: null,
            subject: null,
          };
        });
        // A dedupe key seen before (an interrupted job run again) adds nothing.
        const result = await s.db.insertInto('outbox').values(rows).onConflict((oc) => oc.column('dedupe_key').doNothing()).executeTakeFirst();
        added += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return added;
    },
    async dueMessages(now, limit, afterId) {
      const rows = await s.db
        .selectFrom('outbox')
        .selectAll()
        .where('status', '=', 'queued')
        .where('next_attempt_at', '<=', utc(now, 'now'))
        .$if(afterId !== undefined, (q) => q.where('id', '>', afterId ?? 0))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(pageSize(limit))
        .execute();
      return rows.map(toOutboxMessage);
    },
    async updateMessage(id, patch) {
      s.mustWrite('updateMessage');
      const set: Updateable<OutboxTable> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.attempts !== undefined) set.attempts = patch.attempts;
      if (patch.lastError !== undefined) set.last_error = patch.lastError;
      if (patch.nextAttemptAt !== undefined) set.next_attempt_at = utcOrNull(patch.nextAttemptAt, 'nextAttemptAt');
      if (patch.sentAt !== undefined) set.sent_at = utcOrNull(patch.sentAt, 'sentAt');
      if (patch.subject !== undefined) set.subject = patch.subject;
      if (Object.keys(set).length === 0) return;
      const result = await s.db.updateTable('outbox').set(set).where('id', '=', id).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new RosterError('not_found', `message #${id} does not exist`);
    },
    async listMessages(filter = {}) {
      let q = s.db.selectFrom('outbox').selectAll().orderBy('id', 'desc');
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
      if (filter.recipients !== undefined) {
        if (filter.recipients.length === 0) return [];
        q = q.where('recipient', 'in', filter.recipients.slice(0, IN_CHUNK));
      }
      if (filter.limit !== undefined) q = q.limit(pageSize(filter.limit));
      return (await q.execute()).map(toOutboxMessage);
    },
    async countMessages() {
      const rows = await s.db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('status').execute();
      const counts: Record<OutboxStatus, number> = { queued: 0, sent: 0, failed: 0, unaddressed: 0 };
      for (const r of rows) if ((OUTBOX_STATUSES as readonly string[]).includes(r.status)) counts[r.status as OutboxStatus] = Number(r.n);
      return counts;
    },
  };
}

function toOutboxMessage(r: Selectable<OutboxTable>): OutboxMessage {
  const data = parseJsonOrText(r.data);
  return {
    id: r.id,
    kind: r.kind,
    recipient: r.recipient,
    data: typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    dedupeKey: r.dedupe_key,
    status: (OUTBOX_STATUSES as readonly string[]).includes(r.status) ? (r.status as OutboxStatus) : 'failed',
    attempts: toNumber(r.attempts),
    lastError: r.last_error,
    queuedAt: r.queued_at,
    nextAttemptAt: r.next_attempt_at,
    sentAt: r.sent_at,
    subject: r.subject,
  };
}
