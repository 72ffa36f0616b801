import type { AuditEntry, AuditWrites, Queries } from '../store/store.js';
import type { AppContext, MutationOptions } from './app-context.js';

class DryRunRollback<T> {
  constructor(readonly value: T) {}
}

/**
 * Runs a change in one store transaction. A dry run executes exactly the same
 * code and then rolls back, so what it prints is what a real run would do.
 */
export async function mutate<T>(
  ctx: AppContext,
  options: MutationOptions,
  fn: (tx: Queries) => Promise<T>,
): Promise<T> {
  if (options.tx !== undefined) return fn(options.tx);
  try {
    return await ctx.store.transaction(async (tx) => {
      const result = await fn(tx);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- not an error: it carries the result out of the transaction to roll it back, and is caught just below
      if (options.dryRun === true) throw new DryRunRollback(result);
      return result;
    });
  } catch (e) {
    if (e instanceof DryRunRollback) return e.value as T;
    throw e;
  }
}

/** Appends one audit record for a change, in the change's own transaction. */
export async function audit(
  tx: AuditWrites,
  ctx: AppContext,
  entry: Omit<AuditEntry, 'at' | 'actor' | 'result'> & { readonly result?: AuditEntry['result'] },
): Promise<void> {
  await tx.appendAudit({
    at: ctx.clock.now().toISOString(),
    actor: ctx.actor,
    result: 'ok',
    ...entry,
  });
}
