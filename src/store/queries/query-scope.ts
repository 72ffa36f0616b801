import type { Kysely } from 'kysely';
import { RosterError } from '../../domain/errors.js';
import type { RosterDatabase } from '../database-schema.js';

export type StoreDialect = 'sqlite' | 'postgres';

/**
 * What every concept's queries run on: one connection (or transaction) and
 * whether it may write. A `writable: false` scope (`store.read`) refuses
 * every write: a change made outside `transaction` would escape the
 * serialisation that UID allocation and the audit chain depend on.
 */
export interface QueryScope {
  readonly db: Kysely<RosterDatabase>;
  readonly dialect: StoreDialect;
  /** Throws unless the scope is a write transaction; `method` names the refused call. */
  mustWrite(method: string): void;
}

export function queryScope(db: Kysely<RosterDatabase>, options: { readonly dialect: StoreDialect; readonly writable: boolean }): QueryScope {
  return {
    db,
    dialect: options.dialect,
    mustWrite(method: string): void {
      if (!options.writable) throw new RosterError('internal', `${method} changes the database and must run inside store.transaction, not on store.read`);
    },
  };
}
