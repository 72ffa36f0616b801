import type { Modification } from './ldap-change.js';
import { normaliseDn } from './ldap-dn.js';

/**
 * The least a modify must say to turn the observed values of one attribute
 * into the desired ones: nothing when they are equal; `add` or `delete` of
 * the whole attribute when one side is empty; `replace` for a single value;
 * for a multi-valued attribute (authorizedService, memberUid, member,
 * objectClass) `add` and `delete` of just the values that differ, so a
 * concurrent change to another value is not undone.
 */

/** How two values of an attribute compare: member DNs as DNs, everything else exactly. */
export function valueKey(type: string): (value: string) => string {
  return type.toLowerCase() === 'member' ? normaliseDn : (v) => v;
}

export function diffValues(type: string, desired: readonly string[], observed: readonly string[], multi: boolean): Modification[] {
  const key = valueKey(type);
  const want = new Set(desired.map(key));
  const have = new Set(observed.map(key));
  const missing = desired.filter((v) => !have.has(key(v)));
  const extra = observed.filter((v) => !want.has(key(v)));
  if (missing.length === 0 && extra.length === 0) return [];
  if (desired.length === 0) return [{ operation: 'delete', type, values: [] }];
  if (observed.length === 0) return [{ operation: 'add', type, values: desired }];
  if (!multi) return [{ operation: 'replace', type, values: desired }];
  return [...(extra.length === 0 ? [] : [{ operation: 'delete' as const, type, values: extra }]), ...(missing.length === 0 ? [] : [{ operation: 'add' as const, type, values: missing }])];
}

/** The object classes to add (Roster never removes one: an admin's extra class carries attributes Roster does not manage). */
export function missingClasses(desired: readonly string[], observed: readonly string[]): Modification[] {
  const have = new Set(observed.map((c) => c.toLowerCase()));
  const missing = desired.filter((c) => !have.has(c.toLowerCase()));
  return missing.length === 0 ? [] : [{ operation: 'add', type: 'objectClass', values: missing }];
}
