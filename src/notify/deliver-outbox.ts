import type { AppContext } from '../app/app-context.js';
import { errorMessage } from '../domain/errors.js';
import type { OutboxMessage } from '../store/store.js';
import type { Mailer } from './mailer.js';
import { renderMessage, type TemplateSet } from './templates.js';

/** A claimed message is not picked up by another sender for this long. */
const CLAIM_MS = 5 * 60_000;
const PAGE = 100;
const MAX_BACKOFF_MS = 6 * 60 * 60_000;

export interface DeliveryReport {
  /** The transport, or null when none is configured. */
  readonly transport: string | null;
  readonly sent: number;
  /** Failed this time and will be tried again later. */
  readonly retrying: number;
  /** Failed for the last allowed time: given up (status failed). */
  readonly gaveUp: number;
  /** Still queued after this flush (waiting for a retry, or for a transport). */
  readonly waiting: number;
  readonly errors: ReadonlyArray<{ readonly id: number; readonly to: string; readonly kind: string; readonly error: string }>;
}

export interface DeliveryDeps {
  readonly mailer: Mailer | null;
  readonly templates: TemplateSet;
}

/** Minutes to wait after the n-th failed attempt: 2, 4, 8, … up to 6 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 2 ** Math.max(1, attempts) * 60_000);
}

/**
 * Sends the queued messages that are due, after the changes that queued them
 * have committed. Messages are claimed in a transaction first (their next
 * attempt moved a few minutes ahead), so two senders — a command and
 * `roster serve` — do not both send one. Each attempt is recorded: sent,
 * retried later with back-off, or given up after `notify.maxAttempts`.
 * Nothing here throws for a mail problem: a failure to send never undoes
 * or blocks a lifecycle change.
 */
export async function deliverOutbox(ctx: AppContext, deps: DeliveryDeps, options: { readonly afterId?: number } = {}): Promise<DeliveryReport> {
  const { mailer } = deps;
  if (mailer === null) {
    const counts = await ctx.store.read.countMessages();
    return { transport: null, sent: 0, retrying: 0, gaveUp: 0, waiting: counts.queued, errors: [] };
  }
  let sent = 0;
  let retrying = 0;
  let gaveUp = 0;
  const errors: Array<{ id: number; to: string; kind: string; error: string }> = [];
  const max = ctx.config.notify.maxAttempts;
  for (;;) {
    const now = ctx.clock.now();
    const claimed = await ctx.store.transaction(async (tx) => {
      const due = await tx.dueMessages(now.toISOString(), PAGE, options.afterId);
      for (const m of due) await tx.updateMessage(m.id, { attempts: m.attempts + 1, nextAttemptAt: new Date(now.getTime() + CLAIM_MS).toISOString() });
      return due;
    });
    if (claimed.length === 0) break;
    for (const m of claimed) {
      const attempts = m.attempts + 1;
      const outcome = await sendOne(ctx, deps, mailer, m);
      await ctx.store.transaction(async (tx) => {
        if (outcome.ok) {
          await tx.updateMessage(m.id, { status: 'sent', sentAt: ctx.clock.now().toISOString(), subject: outcome.subject, lastError: null, nextAttemptAt: null });
          return;
        }
        const last = attempts >= max;
        await tx.updateMessage(m.id, {
          status: last ? 'failed' : 'queued',
          lastError: outcome.error,
          nextAttemptAt: last ? null : new Date(ctx.clock.now().getTime() + retryDelayMs(attempts)).toISOString(),
        });
      });
      if (outcome.ok) sent++;
      else {
        if (attempts >= max) gaveUp++;
        else retrying++;
        errors.push({ id: m.id, to: m.recipient ?? '', kind: m.kind, error: outcome.error });
      }
    }
    if (claimed.length < PAGE) break;
  }
  const counts = await ctx.store.read.countMessages();
  return { transport: mailer.describe, sent, retrying, gaveUp, waiting: counts.queued, errors };
}

async function sendOne(ctx: AppContext, deps: DeliveryDeps, mailer: Mailer, m: OutboxMessage): Promise<{ ok: true; subject: string } | { ok: false; error: string }> {
  try {
    if (m.recipient === null) return { ok: false, error: 'no recipient' };
    const { subject, text } = renderMessage(deps.templates, m.kind, m.data, ctx.config);
    const headers = listHeaders(m.data);
    await mailer.send({ to: m.recipient, subject, text, ...(headers === undefined ? {} : { headers }) });
    return { ok: true, subject };
  } catch (e) {
    // One line, bounded: server replies can be long and end up in reports.
    return { ok: false, error: errorMessage(e).replace(/\s+/g, ' ').slice(0, 500) };
  }
}

/**
 * A message that carries a one-click unsubscribe link in `listUnsubscribe`
 * (the status page's subscribers) says so in its header too (RFC 2369,
 * RFC 8058), so mail programs offer the button and may POST to it.
 */
function listHeaders(data: Readonly<Record<string, unknown>>): Readonly<Record<string, string>> | undefined {
  const url = data.listUnsubscribe;
  if (typeof url !== 'string' || !/^https?:\/\/[^\s<>]+$/.test(url)) return undefined;
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
