import { errorMessage, RosterError } from '../domain/errors.js';

/** The driver's error code: better-sqlite3 `SQLITE_…`, pg SQLSTATE, or a Node errno such as `ECONNREFUSED`. */
function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { readonly code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Text naming the violated constraint: PostgreSQL reports its name, SQLite only the columns or index in its message. */
function constraintText(e: unknown): string {
  const constraint = typeof e === 'object' && e !== null && 'constraint' in e ? (e as { readonly constraint: unknown }).constraint : undefined;
  return `${typeof constraint === 'string' ? constraint : ''} ${errorMessage(e)}`;
}

/** The constraint text when `e` is a unique or primary-key violation, else undefined. */
export function uniqueViolation(e: unknown): string | undefined {
  const code = codeOf(e);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? constraintText(e) : undefined;
}

export function isForeignKeyViolation(e: unknown): boolean {
  const code = codeOf(e);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * True for failures that mean "the database cannot be used right now" rather
 * than "this statement is wrong": refused or dropped connections, a missing
 * database, bad credentials, a server shutting down, an unopenable or
 * corrupt SQLite file, a full disk.
 */
export function isUnavailable(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== undefined) {
    if (UNREACHABLE_ERRNO.has(code)) return true;
    // SQLSTATE classes 08 (connection), 28 (authorization), 3D (no such database), 53 (resources), 57P (shutdown).
    if (/^(08|28|3D|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-4]$/.test(code)) return true;
    if (/^SQLITE_(CANTOPEN|NOTADB|CORRUPT|FULL|IOERR|PERM|READONLY)/.test(code)) return true;
  }
  // pg reports a dropped or timed-out connection without a code.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(errorMessage(e));
}

/** True when the write lock could not be had in time: SQLite BUSY after busy_timeout, PostgreSQL lock_timeout or a deadlock. */
export function isLockTimeout(e: unknown): boolean {
  const code = codeOf(e);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED' || code === '55P03' || code === '40P01');
}

/**
 * Driver errors in the error catalogue's terms (DESIGN.md §9.5): callers see
 * `lock_timeout` (exit 75, worth retrying) and `unavailable` (exit 69), never
 * a raw SQLITE_BUSY. RosterErrors and anything unrecognised pass through.
 */
export function mapStoreError(e: unknown, where: string): unknown {
  if (e instanceof RosterError) return e;
  if (isLockTimeout(e)) {
    return new RosterError('lock_timeout', `${where}: the database stayed locked by another writer (${errorMessage(e)}); try again`);
  }
  if (isUnavailable(e)) return new RosterError('unavailable', `${where}: ${errorMessage(e)}`);
  return e;
}

/**
 * `target` with every method's failures passed through mapStoreError, so
 * code inside and outside transactions sees catalogue errors, not driver ones.
 */
export function withStoreErrors<T extends object>(target: T, where: string): T {
  // Each method's wrapper is made once and kept (beside the method it wraps):
  // store.read is asked for a method on every request, and a new closure per call cost more than the wrapping.
  const wrappers = new Map<PropertyKey, { readonly method: unknown; readonly wrapper: unknown }>();
  return new Proxy(target, {
    get(t, property) {
      const value: unknown = Reflect.get(t, property);
      if (typeof value !== 'function') return value;
      const kept = wrappers.get(property);
      if (kept?.method === value) return kept.wrapper;
      const wrapper = (...args: unknown[]): unknown => {
        try {
          const result: unknown = Reflect.apply(value, t, args);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- mapStoreError hands back what the driver rejected with when it knows no better error
          return result instanceof Promise ? result.catch((e: unknown) => Promise.reject(mapStoreError(e, `${where}.${String(property)}`))) : result;
        } catch (e) {
          throw mapStoreError(e, `${where}.${String(property)}`);
        }
      };
      wrappers.set(property, { method: value, wrapper });
      return wrapper;
    },
  });
}
