/**
 * Distinguished names Roster builds (RFC 4514): every value that goes into
 * an RDN is escaped here, whatever its source (usernames are restricted, but
 * group names and the configured bases are not Roster's to trust). Filters
 * need no such text: they are built as ldapts filter objects and sent as BER,
 * so a value is never parsed as filter syntax.
 */

/** Characters that must be escaped anywhere in an RDN value (RFC 4514 §2.4), plus `=` which some parsers mistake for a separator. */
const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';', '=']);

/** An attribute value escaped for use in an RDN: `\,` for the specials, `\#` / `\ ` at the start, `\ ` at the end, `\00` for NUL and other control bytes as hex. */
export function escapeRdnValue(value: string): string {
  let out = '';
  const chars = [...value];
  chars.forEach((c, i) => {
    const code = c.codePointAt(0) ?? 0;
    if (SPECIAL.has(c)) out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else if (i === 0 && (c === '#' || c === ' ')) out += `\\${c}`;
    else if (i === chars.length - 1 && c === ' ') out += '\\ ';
    else out += c;
  });
  return out;
}

/** `attr=<escaped value>,<parent>`. */
export function childDn(attribute: string, value: string, parent: string): string {
  return `${attribute}=${escapeRdnValue(value)},${parent}`;
}

/**
 * Two DNs are the same entry when they match after lower-casing and dropping
 * the spaces around separators (slapd returns a DN as it was written; Roster
 * writes them one way, so this is enough for the DNs it compares).
 */
export function sameDn(a: string, b: string): boolean {
  return normaliseDn(a) === normaliseDn(b);
}

export function normaliseDn(dn: string): string {
  return dn.replace(/\s*(?<!\\)([,=+])\s*/g, '$1').toLowerCase();
}

/** Whether `dn` is directly or indirectly under `base`. */
export function isUnder(dn: string, base: string): boolean {
  const d = normaliseDn(dn);
  const b = normaliseDn(base);
  return d.endsWith(`,${b}`);
}
