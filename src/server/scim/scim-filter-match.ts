/**
 * Evaluates a SCIM filter, as scimmy parses it (RFC 7644 §3.4.2.2), against
 * a resource. scimmy's own `match` compares strings case-sensitively; SCIM
 * attributes are case-insensitive unless declared caseExact (RFC 7643
 * §2.2), and IdPs rely on it (`userName eq "Jane.Doe@Example.edu"`), so
 * Roster evaluates the parsed expression itself.
 *
 * scimmy's form: an array of alternatives (OR); each is an object of
 * attribute → condition (AND), where a condition is a nested object (a
 * sub-attribute or a value filter on a multi-valued attribute), an
 * expression `[op, value]` or `['not', op, value]`, or a list of them.
 */

export type ParsedFilter = ReadonlyArray<Readonly<Record<string, unknown>>>;

/** Attributes compared exactly (RFC 7643: id and externalId are caseExact). */
const CASE_EXACT = new Set(['id', 'externalid']);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function lookup(value: unknown, attr: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  // An extension attribute by its full name: `urn:…:roster:2.0:User:username`.
  const urn = /^(urn:.+):([^:]+)$/i.exec(attr);
  if (urn?.[1] !== undefined && urn[2] !== undefined && lookup(value, urn[1]) !== undefined) return lookup(lookup(value, urn[1]), urn[2]);
  const key = Object.keys(value).find((k) => k.toLowerCase() === attr.toLowerCase());
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

function isExpression(c: unknown): c is readonly unknown[] {
  return Array.isArray(c) && typeof c[0] === 'string';
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

/**
 * A value compared as text: String() of it, as it always was. A string is
 * itself; an object or array attribute becomes '[object Object]' or its
 * elements joined by commas, which no filter value is meant to match.
 */
function filterText(value: unknown): string {
  return String(value);
}

function compare(actual: unknown, op: string, expected: unknown, exact: boolean): boolean {
  if (op === 'pr') return present(actual);
  if (op === 'np') return !present(actual);
  if (actual === undefined || actual === null) return op === 'eq' ? expected === null : op === 'ne' ? expected !== null : false;
  if (typeof actual === 'boolean') {
    const want = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected === true;
    return op === 'eq' ? actual === want : op === 'ne' ? actual !== want : false;
  }
  if (typeof actual === 'number') {
    const want = Number(expected);
    if (Number.isNaN(want)) return false;
    switch (op) {
      case 'eq': return actual === want;
      case 'ne': return actual !== want;
      case 'gt': return actual > want;
      case 'ge': return actual >= want;
      case 'lt': return actual < want;
      case 'le': return actual <= want;
      default: return false;
    }
  }
  const a = filterText(actual);
  const e = expected === null ? '' : filterText(expected);
  if (['gt', 'ge', 'lt', 'le'].includes(op) && ISO_DATE.test(a) && !Number.isNaN(Date.parse(e))) {
    const d = Date.parse(a) - Date.parse(e);
    return op === 'gt' ? d > 0 : op === 'ge' ? d >= 0 : op === 'lt' ? d < 0 : d <= 0;
  }
  const x = exact ? a : a.toLowerCase();
  const y = exact ? e : e.toLowerCase();
  switch (op) {
    case 'eq': return x === y;
    case 'ne': return x !== y;
    case 'co': return x.includes(y);
    case 'sw': return x.startsWith(y);
    case 'ew': return x.endsWith(y);
    case 'gt': return x > y;
    case 'ge': return x >= y;
    case 'lt': return x < y;
    case 'le': return x <= y;
    default: return false;
  }
}

function holds(actual: unknown, expression: readonly unknown[], exact: boolean): boolean {
  const negate = String(expression[0]).toLowerCase() === 'not';
  const [op, expected] = negate ? expression.slice(1) : expression;
  const result = compare(actual, String(op).toLowerCase(), expected, exact);
  return negate ? !result : result;
}

function satisfies(actual: unknown, condition: unknown, attr: string): boolean {
  const exact = CASE_EXACT.has(attr.toLowerCase());
  if (isExpression(condition)) {
    // A multi-valued attribute matches when one of its values does.
    return Array.isArray(actual) ? actual.some((v) => holds(v, condition, exact)) || (actual.length === 0 && holds(undefined, condition, exact)) : holds(actual, condition, exact);
  }
  if (Array.isArray(condition)) return condition.every((c) => satisfies(actual, c, attr));
  if (typeof condition === 'object' && condition !== null) {
    const sub = condition as Readonly<Record<string, unknown>>;
    // A value filter on a multi-valued complex attribute: one value must satisfy all of it.
    if (Array.isArray(actual)) return actual.some((v) => matchesAll(sub, v));
    return matchesAll(sub, actual);
  }
  return false;
}

function matchesAll(conditions: Readonly<Record<string, unknown>>, value: unknown): boolean {
  return Object.entries(conditions).every(([attr, c]) => satisfies(lookup(value, attr), c, attr));
}

export function matchesFilter(filter: ParsedFilter, resource: Readonly<Record<string, unknown>>): boolean {
  return filter.some((alternative) => matchesAll(alternative, resource));
}
