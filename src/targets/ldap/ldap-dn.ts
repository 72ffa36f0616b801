/**
 * Distinguished names Roster builds (RFC 4514): every value that goes into
 * an RDN is escaped here, whatever its source (usernames are restricted, but
 * group names and the configured bases are not Roster's to trust). Filters
 * need no such text: they are built as ldapts filter objects and sent as BER,
 * so a value is never parsed as filter syntax.
 */

/** Characters that must be escaped anywhere in an RDN value (RFC 4514 §2.4), plus `=` which some parsers mistake for a separator. */
const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';', '=']);

/** A value with nothing to escape (the common case, tested first). */
const PLAIN = /^(?![# ])[^,+"\\<>;=\u0000-\u001f\u007f]*(?<! )$/;

/** An attribute value escaped for use in an RDN: `\,` for the specials, `\#` / `\ ` at the start, `\ ` at the end, `\00` for NUL and other control bytes as hex. */
export function escapeRdnValue(value: string): string {
  if (PLAIN.test(value)) return value;
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

/** One attribute type and value of an RDN, the value unescaped. */
export interface Ava {
  readonly type: string;
  readonly value: string;
}

/**
 * Parses a DN in RFC 4514 string form into its RDNs (each a list of
 * attribute-value pairs joined by `+`), unescaping `\c` and `\XX` (UTF-8
 * bytes) in values and dropping the unescaped spaces around separators.
 * Servers answer a DN in their own escaping (slapd writes `\3D` or `=`
 * where Roster wrote `\=`), so DNs are compared by value, not by text.
 */
export function parseDn(dn: string): Ava[][] {
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let i = 0;
  const n = dn.length;
  while (i < n) {
    while (i < n && dn[i] === ' ') i++;
    let type = '';
    while (i < n && dn[i] !== '=') type += dn.charAt(i++);
    i++;
    while (i < n && dn[i] === ' ') i++;
    const bytes: number[] = [];
    let value = '';
    let trailing = 0;
    const flush = (): void => {
      if (bytes.length > 0) value += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    };
    while (i < n && dn[i] !== ',' && dn[i] !== '+') {
      const c = dn[i] as string;
      if (c === '\\') {
        const hex = dn.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 3;
        } else {
          flush();
          value += dn[i + 1] ?? '';
          i += 2;
        }
        trailing = 0;
      } else {
        flush();
        value += c;
        trailing = c === ' ' ? trailing + 1 : 0;
        i++;
      }
    }
    flush();
    rdn.push({ type: type.trim(), value: trailing > 0 ? value.slice(0, -trailing) : value });
    const sep = dn[i];
    i++;
    if (sep !== '+') {
      rdns.push(rdn);
      rdn = [];
    }
  }
  if (rdn.length > 0) rdns.push(rdn);
  return rdns;
}

/** A DN in one canonical text: types and values lower-cased (uid, cn, ou and dc compare case-insensitively), AVAs of an RDN sorted, values escaped Roster's way. */
export function normaliseDn(dn: string): string {
  // The common case (no escapes, no multi-valued RDN) without the parser: a whole host reads 100,000 DNs.
  if (!dn.includes('\\') && !dn.includes('+')) {
    return dn
      .split(',')
      .map((rdn) => {
        const eq = rdn.indexOf('=');
        return `${rdn.slice(0, eq).trim().toLowerCase()}=${escapeRdnValue(rdn.slice(eq + 1).trim().toLowerCase())}`;
      })
      .join(',');
  }
  return parseDn(dn)
    .map((rdn) =>
      rdn
        .map((a) => `${a.type.toLowerCase()}=${escapeRdnValue(a.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** Whether two DNs name the same entry. */
export function sameDn(a: string, b: string): boolean {
  return normaliseDn(a) === normaliseDn(b);
}

/** Whether `dn` is directly or indirectly under `base`. */
export function isUnder(dn: string, base: string): boolean {
  const d = normaliseDn(dn);
  const b = normaliseDn(base);
  return d.endsWith(`,${b}`);
}
