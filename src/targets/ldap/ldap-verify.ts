import { EqualityFilter, OrFilter, PresenceFilter, type Client } from 'ldapts';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage } from '../../domain/errors.js';
import type { ChangeResult, TargetContext, VerifyFailure } from '../target.js';
import type { LdapChangeData, Modification } from './ldap-change.js';
import type { LdapConfig } from './ldap-config.js';
import { valueKey } from './ldap-diff.js';
import { normaliseDn } from './ldap-dn.js';
import { GROUP_READ, toObserved, USER_READ } from './ldap-observe.js';
import { valuesOf, type ObservedEntry } from './ldap-observed.js';
import { openLdapSession } from './ldap-session.js';

/** Above this many entries to check, one paged read of both bases beats a read per entry (a first load of thousands). */
const READ_EACH_UP_TO = 50;

type Written = Extract<LdapChangeData, { kind: 'add' | 'modify' | 'delete' }>;

/** What is wrong with the entry now, given what the change wrote; null when it took effect. */
export function mismatch(data: Written, entry: ObservedEntry | undefined): string | null {
  if (data.kind === 'delete') return entry === undefined ? null : `${data.dn} is still there after its delete`;
  if (entry === undefined) return `${data.dn} is not there after the ${data.kind}`;
  const mods: readonly Modification[] = data.kind === 'add' ? Object.entries(data.attributes).map(([type, values]) => ({ operation: 'replace' as const, type, values })) : data.modifications;
  for (const m of mods) {
    const key = valueKey(m.type);
    const now = new Set(valuesOf(entry, m.type).map(key));
    const wrote = m.values.map(key);
    // objectClass reads back with the superclasses slapd adds; only what was written must be there.
    const exact = m.operation === 'replace' && m.type.toLowerCase() !== 'objectclass';
    if (m.operation === 'delete' && m.values.length === 0 && now.size > 0) return `${data.dn}: ${m.type} is still there after it was deleted`;
    if (m.operation === 'delete' && wrote.some((v) => now.has(v))) return `${data.dn}: ${m.type} still has ${JSON.stringify(m.values.filter((v) => now.has(key(v))))} after it was deleted`;
    if (m.operation !== 'delete' && wrote.some((v) => !now.has(v))) return `${data.dn}: ${m.type} reads back as ${JSON.stringify(valuesOf(entry, m.type))}, not ${JSON.stringify(m.values)}`;
    if (exact && now.size !== new Set(wrote).size) return `${data.dn}: ${m.type} reads back as ${JSON.stringify(valuesOf(entry, m.type))}, not ${JSON.stringify(m.values)}`;
  }
  return null;
}

async function readEach(client: Client, dns: readonly string[]): Promise<Map<string, ObservedEntry>> {
  const found = new Map<string, ObservedEntry>();
  for (const dn of dns) {
    try {
      const r = await client.search(dn, { scope: 'base', filter: new PresenceFilter({ attribute: 'objectClass' }), attributes: [...new Set([...USER_READ, ...GROUP_READ])] });
      for (const e of r.searchEntries) found.set(normaliseDn(e.dn), toObserved(e));
    } catch (e) {
      if ((e as { code?: unknown }).code !== 32) throw e;
    }
  }
  return found;
}

async function readAll(client: Client, config: LdapConfig): Promise<Map<string, ObservedEntry>> {
  const found = new Map<string, ObservedEntry>();
  const any = new OrFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'posixAccount' }), new EqualityFilter({ attribute: 'objectClass', value: 'posixGroup' }), new EqualityFilter({ attribute: 'objectClass', value: 'groupOfNames' })] });
  for (const [base, attributes] of [[config.usersDn, USER_READ], [config.groupsDn, GROUP_READ]] as const) {
    for await (const page of client.searchPaginated(base, { scope: 'sub', filter: any, attributes: [...attributes], paged: { pageSize: 1000 } })) {
      for (const e of page.searchEntries) found.set(normaliseDn(e.dn), toObserved(e));
    }
  }
  return found;
}

/**
 * Reads back every entry the apply wrote and compares the attributes it
 * wrote (an add's every value, a modify's added, replaced and deleted
 * values) and that a deleted entry is gone: a server that answered success
 * but did not store it (a replica, an overlay rewriting values) is found.
 */
export async function verifyLdap(ctx: TargetContext, config: LdapConfig, results: readonly ChangeResult[], _desired: DesiredHost): Promise<readonly VerifyFailure[]> {
  const written = results.filter((r) => {
    const k = (r.change.data as LdapChangeData).kind;
    return k === 'add' || k === 'modify' || k === 'delete';
  });
  if (written.length === 0) return [];
  const session = await openLdapSession(ctx.root, config);
  try {
    const dns = written.map((r) => (r.change.data as Written).dn);
    const entries = dns.length <= READ_EACH_UP_TO ? await readEach(session.client, dns) : await readAll(session.client, config);
    const failures: VerifyFailure[] = [];
    for (const r of written) {
      const data = r.change.data as Written;
      const problem = mismatch(data, entries.get(normaliseDn(data.dn)));
      if (problem !== null) failures.push({ change: r.change, error: problem });
    }
    return failures;
  } catch (e) {
    return written.map((r) => ({ change: r.change, error: `could not read ${(r.change.data as Written).dn} back: ${errorMessage(e)}` }));
  } finally {
    await session.close();
  }
}
