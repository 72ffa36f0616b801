import { resolve } from 'node:path';
import type { AppContext } from '../app/app-context.js';
import type { LoadedConfig } from '../config/load-config.js';
import { errorMessage } from '../domain/errors.js';
import { deliverOutbox, type DeliveryDeps, type DeliveryReport } from '../notify/deliver-outbox.js';
import { loadTemplates } from '../notify/templates.js';

/** The mail transport and templates roster.yaml configures; relative paths are relative to it. */
export async function deliveryDeps(loaded: LoadedConfig): Promise<DeliveryDeps> {
  const notify = loaded.config.notify;
  const templatesDir = notify.templatesDir === undefined ? undefined : resolve(loaded.dir, notify.templatesDir);
  // nodemailer loads only for commands that send.
  const { createMailer } = await import('../notify/mailer.js');
  return { mailer: await createMailer(notify, loaded.dir), templates: await loadTemplates(templatesDir) };
}

/**
 * The newest outbox id before a command runs, so that afterwards only what
 * the command itself queued is sent (a read command never sends, and older
 * messages wait for their retry time and the notify job). Null without a
 * transport: then nothing is sent at all.
 */
export async function outboxMark(ctx: AppContext, loaded: LoadedConfig): Promise<number | null> {
  if (loaded.config.notify.transport === 'none') return null;
  return (await ctx.store.read.listMessages({ limit: 1 }))[0]?.id ?? 0;
}

/**
 * After a command's changes have committed, sends what they queued (retire →
 * retirement notice, ledger pay → unfrozen, …). Only when a transport is
 * configured; a mail problem is a warning on stderr, never the command's
 * failure: the change is done, and the notify job retries the message.
 */
export async function deliverQueued(ctx: AppContext, loaded: LoadedConfig, mark: number | null): Promise<DeliveryReport | null> {
  if (mark === null || loaded.config.notify.transport === 'none') return null;
  let deps: DeliveryDeps | undefined;
  try {
    deps = await deliveryDeps(loaded);
    const report = await deliverOutbox(ctx, deps, { afterId: mark });
    for (const e of report.errors) ctx.log.warn(`notification #${e.id} (${e.kind}) to ${e.to} not sent: ${e.error}; it is retried later`);
    return report;
  } catch (e) {
    ctx.log.warn(`notifications not sent: ${errorMessage(e)}; they stay queued`);
    return null;
  } finally {
    deps?.mailer?.close();
  }
}
