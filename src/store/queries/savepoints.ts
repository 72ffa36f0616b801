import { sql } from 'kysely';
import type { QueryScope } from './query-scope.js';

export interface Savepoints {
  /**
   * Runs `fn` in a savepoint of the current write transaction: a throw undoes
   * only `fn`'s writes and is re-thrown, so a batch can report per-item
   * results and commit the rest (DESIGN.md §9.4).
   */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

export function savepoints(s: QueryScope): Savepoints {
  let count = 0;
  return {
    async savepoint<T>(fn: () => Promise<T>): Promise<T> {
      s.mustWrite('savepoint');
      const name = `roster_sp${++count}`;
      await sql.raw(`savepoint ${name}`).execute(s.db);
      try {
        const result = await fn();
        await sql.raw(`release savepoint ${name}`).execute(s.db);
        return result;
      } catch (e) {
        // PostgreSQL keeps the transaction usable after ROLLBACK TO; the release drops the savepoint itself.
        await sql.raw(`rollback to savepoint ${name}`).execute(s.db);
        await sql.raw(`release savepoint ${name}`).execute(s.db);
        throw e;
      }
    },
  };
}
