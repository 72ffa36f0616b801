import { EqualityFilter, OrFilter, SubstringFilter, type Client, type Entry, type Filter } from 'ldapts';
import type { DesiredHost } from '../../desired/desired-host.js';
import type { TargetContext } from '../target.js';
import type { LdapConfig } from './ldap-config.js';
import { USER_ATTRIBUTES } from './ldap-entry.js';
import type { LdapObserved, ObservedEntry } from './ldap-observed.js';
import { openLdapSession } from './ldap-session.js';

export const USER_READ = ['objectClass', ...USER_ATTRIBUTES, 'pwdAccountLockedTime'];
export const GROUP_READ = ['objectClass', 'cn', 'gidNumber', 'memberUid', 'member', 'description'];
/** A whole-host read is paged: a directory of 100,000 accounts is not one answer. */
const PAGE_SIZE = 1000;

const eq = (attribute: string, value: string): Filter => new EqualityFilter({ attribute, value });
/** Roster's marker, whatever it names: a substring filter on the description's first word. */
const marked = (): Filter => new SubstringFilter({ attribute: 'description', initial: 'roster ' });

/** An ldapts entry as plain data, attribute names lower-cased, values as text. */
export function toObserved(e: Entry): ObservedEntry {
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(e)) {
    if (name === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    attributes[name.toLowerCase()] = list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
  }
  return { dn: e.dn, attributes };
}

async function search(client: Client, base: string, filter: Filter, attributes: readonly string[], paged: boolean): Promise<ObservedEntry[]> {
  const options = { scope: 'sub' as const, filter, attributes: [...attributes] };
  if (!paged) return (await client.search(base, options)).searchEntries.map(toObserved);
  const found: ObservedEntry[] = [];
  for await (const page of client.searchPaginated(base, { ...options, paged: { pageSize: PAGE_SIZE } })) found.push(...page.searchEntries.map(toObserved));
  return found;
}

/**
 * Reads the entries the plan needs. A scoped state asks for its accounts
 * alone, `(|(uid=a)(uidNumber=1001)…)` under usersDn and its groups'
 * `(|(cn=g)(gidNumber=…)…)` under groupsDn: a freeze among 100,000 entries
 * reads a handful. The whole host reads every account and group entry
 * (paged), to find Roster's entries no longer desired and every collision.
 */
export async function readLdap(client: Client, config: LdapConfig, desired: DesiredHost): Promise<LdapObserved> {
  if (desired.scope !== undefined) {
    const people = [...desired.accounts.map((a) => ({ username: a.username, uid: a.uid })), ...desired.removed.map((r) => ({ username: r.username, uid: r.uid }))];
    const userFilters = people.flatMap((p) => [eq('uid', p.username), eq('uidNumber', String(p.uid))]);
    const groupFilters = desired.groups.flatMap((g) => [eq('cn', g.name), ...(config.groups === 'posixGroup' ? [eq('gidNumber', String(g.gid))] : [])]);
    const users = userFilters.length === 0 ? [] : await search(client, config.usersDn, new OrFilter({ filters: userFilters }), USER_READ, false);
    const groups = groupFilters.length === 0 ? [] : await search(client, config.groupsDn, new OrFilter({ filters: groupFilters }), GROUP_READ, false);
    return { users, groups };
  }
  const users = await search(client, config.usersDn, new OrFilter({ filters: [eq('objectClass', 'posixAccount'), marked()] }), USER_READ, true);
  const groups = await search(client, config.groupsDn, new OrFilter({ filters: [eq('objectClass', 'posixGroup'), eq('objectClass', 'groupOfNames'), marked()] }), GROUP_READ, true);
  return { users, groups };
}

export async function observeLdap(ctx: TargetContext, config: LdapConfig, desired: DesiredHost): Promise<LdapObserved> {
  const session = await openLdapSession(ctx.root, config);
  try {
    return await readLdap(session.client, config, desired);
  } finally {
    await session.close();
  }
}
