import { writeFile } from 'node:fs/promises';
import { Attribute, Change as LdapModification, EqualityFilter, OrFilter, type Client } from 'ldapts';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { archivedFile, archiveResourceFile } from '../resource-archive.js';
import type { Change, ChangeResult, TargetContext } from '../target.js';
import { isAssertionFailure, markerAssertion } from './ldap-assertion.js';
import { ENTRY_KIND, LDAP, type LdapChangeData } from './ldap-change.js';
import type { LdapConfig } from './ldap-config.js';
import { sameDn } from './ldap-dn.js';
import { groupDn } from './ldap-entry.js';
import { addValuesLdif, entryLdif } from './ldap-ldif.js';
import { parseGroupMarker } from './ldap-marker.js';
import { toObserved } from './ldap-observe.js';
import { valuesOf } from './ldap-observed.js';
import { openLdapSession, type LdapSession } from './ldap-session.js';

interface ApplyEnv {
  readonly ctx: TargetContext;
  readonly config: LdapConfig;
  readonly client: Client;
  readonly archive: { readonly enabled: boolean; readonly dir: string };
  readonly host: string;
}

/** An LDAP result as a sentence that names the entry. */
function ldapMessage(e: unknown, dn: string): string {
  if (isAssertionFailure(e)) return `${dn} is no longer Roster's (its marker changed since the plan); not touching it`;
  const code = (e as { code?: unknown }).code;
  if (code === 68) return `${dn} appeared since the plan (entry already exists); not touching it`;
  if (code === 32) return `${dn} no longer exists`;
  return `${dn}: ${errorMessage(e)}`;
}

/** The account's entry, its user-private group (when Roster's) and its memberships, as one LDIF text. */
async function accountLdif(env: ApplyEnv, data: Extract<LdapChangeData, { kind: 'archive' }>): Promise<string> {
  const { client, config } = env;
  const own = await client.search(data.dn, { scope: 'base', filter: new EqualityFilter({ attribute: 'description', value: data.marker }), attributes: ['*', 'pwdAccountLockedTime'] });
  const entry = own.searchEntries[0];
  if (entry === undefined) throw new RosterError('conflict', `${data.dn} is no longer Roster's or is gone; not archiving it`);
  const parts = [entryLdif(toObserved(entry))];
  const upgDn = groupDn(data.username, config);
  const groups = await client.search(config.groupsDn, {
    scope: 'sub',
    filter: new OrFilter({ filters: [new EqualityFilter({ attribute: 'memberUid', value: data.username }), new EqualityFilter({ attribute: 'member', value: data.dn }), new EqualityFilter({ attribute: 'cn', value: data.username })] }),
    attributes: ['*'],
  });
  for (const g of groups.searchEntries.map(toObserved)) {
    const m = parseGroupMarker(valuesOf(g, 'description'));
    if (sameDn(g.dn, upgDn) && m?.host === env.host && m.group === data.username) {
      parts.push(entryLdif(g));
      continue;
    }
    if (valuesOf(g, 'memberUid').includes(data.username)) parts.push(addValuesLdif(g.dn, 'memberUid', [data.username]));
    if (valuesOf(g, 'member').some((v) => sameDn(v, data.dn))) parts.push(addValuesLdif(g.dn, 'member', [data.dn]));
  }
  return `# ${data.username} (UID ${data.archiveOwner.uid}) on ${env.host}, archived by Roster before its purge\n${parts.join('\n')}`;
}

async function applyOne(env: ApplyEnv, data: LdapChangeData): Promise<unknown> {
  const { client } = env;
  switch (data.kind) {
    case 'refuse':
      throw new RosterError('conflict', data.problem);
    case 'add':
      await client.add(data.dn, Object.entries(data.attributes).map(([type, values]) => new Attribute({ type, values: [...values] })));
      return { dn: data.dn };
    case 'modify': {
      const changes = data.modifications.map((m) => new LdapModification({ operation: m.operation, modification: new Attribute({ type: m.type, values: [...m.values] }) }));
      await client.modify(data.dn, changes, markerAssertion(data.marker));
      return { dn: data.dn, modified: data.modifications.map((m) => m.type) };
    }
    case 'archive': {
      const text = await accountLdif(env, data);
      const done = await archiveResourceFile({
        root: env.ctx.root,
        archiveDir: env.archive.dir,
        target: LDAP,
        host: env.host,
        owner: data.archiveOwner,
        kind: ENTRY_KIND,
        name: data.username,
        ext: 'ldif',
        now: env.ctx.clock.now(),
        write: (file) => writeFile(file, text, { flag: 'wx', mode: 0o600 }),
      });
      return { dn: data.dn, manifest: done.manifest, file: done.file.file, sha256: done.file.sha256, bytes: done.file.bytes, reused: done.reused };
    }
    case 'delete': {
      // Belt and braces: never delete an entry whose LDIF the manifest does not list.
      if (data.archiveOwner !== null && data.username !== null && (await archivedFile(env.ctx.root, env.archive.dir, LDAP, data.archiveOwner, ENTRY_KIND, data.username)) === null) {
        throw new RosterError('conflict', `the LDIF of ${data.dn} is not in the archive; not deleting it`);
      }
      await client.del(data.dn, markerAssertion(data.marker));
      return { dn: data.dn };
    }
  }
}

/**
 * Applies the plan's changes in order over one bound connection; one result
 * per change, never a throw (DESIGN.md §9.4). Once a change of an account
 * fails, that account's destructive changes are skipped (no delete after a
 * failed archive).
 */
export async function applyLdap(ctx: TargetContext, config: LdapConfig, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]> {
  let session: LdapSession;
  try {
    session = await openLdapSession(ctx.root, config);
  } catch (e) {
    const error = errorMessage(e);
    return changes.map((change) => ({ change, ok: false, error }));
  }
  const env: ApplyEnv = { ctx, config, client: session.client, archive: archiveSettings(config, desired.purge), host: desired.host };
  const failed = new Set<string>();
  const results: ChangeResult[] = [];
  try {
    for (const change of changes) {
      const data = change.data as LdapChangeData;
      try {
        if (change.destructive && change.account !== undefined && failed.has(change.account)) throw new RosterError('conflict', `skipped: an earlier change for ${change.account} failed`);
        const detail = await applyOne(env, data);
        results.push({ change, ok: true, detail });
      } catch (e) {
        if (change.account !== undefined) failed.add(change.account);
        results.push({ change, ok: false, error: e instanceof RosterError ? e.message : ldapMessage(e, 'dn' in data ? data.dn : change.subject) });
      }
    }
  } finally {
    await session.close();
  }
  return results;
}
