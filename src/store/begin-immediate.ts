import { sql, type Kysely } from 'kysely';
import { isLockTimeout, mapStoreError } from './store-errors.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `BEGIN IMMEDIATE`, waiting up to `timeoutMs` for other processes' write
 * transactions to end.
 *
 * Not SQLite's busy_timeout: its handler backs off to one attempt every
 * 100 ms, and with several processes writing back to back the write lock is
 * almost never free at those instants, so one process can starve until it
 * times out. Retrying every millisecond or two, with jitter, gives every
 * waiter a fair chance at each gap; the wait is a timer, so the event loop
 * (and any transaction this process is finishing) keeps running meanwhile.
 */
export async function beginImmediate<DB>(conn: Kysely<DB>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sql`begin immediate`.execute(conn);
      return;
    } catch (e) {
      if (!isLockTimeout(e) || Date.now() >= deadline) throw mapStoreError(e, 'begin transaction');
    }
    await sleep(0.5 + Math.random() * 2);
  }
}
