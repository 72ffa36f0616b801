import type { ObservedEntry } from './ldap-observed.js';

/**
 * LDIF (RFC 2849) for the archive: a purged account's entries as
 * `ldapadd` reads them back. A value that is not a SAFE-STRING (non-ASCII,
 * a leading space, colon or `<`, a trailing space, a line break) is written
 * base64 (`attr:: …`), so every value survives exactly.
 */

const SAFE = /^(?![ :<])[\x01-\x09\x0b\x0c\x0e-\x7f]*$/;

export function ldifLine(name: string, value: string): string {
  if (value === '' || (SAFE.test(value) && !value.endsWith(' '))) return `${name}: ${value}`;
  return `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** An entry as an add record; attributes in the order they were read. */
export function entryLdif(entry: ObservedEntry): string {
  const lines = [ldifLine('dn', entry.dn)];
  for (const [name, values] of Object.entries(entry.attributes)) for (const v of values) lines.push(ldifLine(name, v));
  return `${lines.join('\n')}\n`;
}

/** A modify record adding values to one attribute (an archived membership, replayed with ldapmodify). */
export function addValuesLdif(dn: string, type: string, values: readonly string[]): string {
  return `${[ldifLine('dn', dn), 'changetype: modify', `add: ${type}`, ...values.map((v) => ldifLine(type, v)), '-'].join('\n')}\n`;
}
