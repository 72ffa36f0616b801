/**
 * JSON with object keys sorted at every depth, so the same value always gives
 * the same text whatever order its keys were built in: the audit chain's
 * hashes and the agents' revision digests depend on it.
 *
 * It is exactly `JSON.stringify` of the value with each object's keys
 * re-inserted in sorted order: `toJSON` is honoured (Dates), `undefined`,
 * functions and symbols are dropped from objects and become null in arrays,
 * non-finite numbers become null, and, as JavaScript enumerates them,
 * array-index keys ("0", "10") come first in numeric order. So a value and
 * its JSON round trip canonicalise identically, and records hashed before
 * this function existed still verify. Written as one walk rather than a
 * stringify–parse–sort–stringify round trip: it runs for every audit record
 * and every account of every host's desired state.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '') ?? 'null';
}

function write(input: unknown, key: string): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      // JSON.stringify's own TypeError: a bigint has no JSON form.
      return JSON.stringify(value);
    default:
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    return `[${items.map((v, i) => write(v, String(i)) ?? 'null').join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of orderedKeys(Object.keys(record))) {
    const text = write(record[k], k);
    if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/** Array-index keys (0 … 2³² − 2) ascending by number, then the rest sorted: the order an object built in sorted order enumerates. */
function orderedKeys(keys: readonly string[]): string[] {
  const indexes: string[] = [];
  const names: string[] = [];
  for (const k of keys) (isArrayIndex(k) ? indexes : names).push(k);
  indexes.sort((a, b) => Number(a) - Number(b));
  names.sort();
  return indexes.length === 0 ? names : [...indexes, ...names];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) <= 4_294_967_294;
}
