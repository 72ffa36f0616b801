/**
 * SQL text Roster builds around names. Values go through the connector's
 * placeholders wherever the statement takes them; identifiers and the
 * patterns below cannot, so they are quoted here.
 */

/** A name inside backticks, a backtick doubled (the only character special there, whatever the SQL mode). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * The database part of a GRANT: `_` and `%` are wildcards there, so
 * `GRANT … ON alice_blog.*` would also grant `aliceXblog`, a database
 * someone else may own. Escaped with a backslash they match only
 * themselves; mysql.db stores the name in this escaped form.
 */
export function grantDatabase(name: string): string {
  return name.replace(/[\\_%]/g, (c) => `\\${c}`);
}

/** `'user'@'host'` for messages: how MariaDB writes an account. */
export function accountName(user: string, host: string): string {
  return `'${user.replaceAll("'", "\\'")}'@'${host.replaceAll("'", "\\'")}'`;
}

/**
 * `column IN (?, ?, …)` with one placeholder per value, for a scoped read.
 * An empty list is `column IN ('')`, which no user or database name matches.
 */
export function inList(column: string, values: Iterable<string>): { readonly sql: string; readonly values: readonly string[] } {
  const list = [...values];
  const bound = list.length === 0 ? [''] : list;
  return { sql: `${column} IN (${bound.map(() => '?').join(', ')})`, values: bound };
}
