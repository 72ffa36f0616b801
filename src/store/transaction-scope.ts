import { AsyncLocalStorage } from 'node:async_hooks';
import { RosterError } from '../domain/errors.js';

/**
 * Marks the async context of a running transaction, so that starting another
 * transaction of the same store from inside it fails at once. Otherwise it
 * would wait forever: on SQLite for the one writer connection the outer
 * transaction holds, on PostgreSQL for row locks the outer one holds.
 */
export class TransactionScope {
  readonly #active = new AsyncLocalStorage<true>();

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active.getStore() === true) {
      return Promise.reject(new RosterError('internal', 'store.transaction was called inside another transaction of the same store; use the outer transaction’s queries instead'));
    }
    return this.#active.run(true, fn);
  }
}
