import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { archiveSettings } from '../archive-settings.js';
import { disabledFor } from '../disabled-for.js';
import type { Change } from '../target.js';
import { KERBEROS, KERBEROS_SERVICE, principalSubject, type KerberosChangeData } from './kerberos-change.js';
import type { KerberosConfig } from './kerberos-config.js';
import type { KerberosObserved } from './kerberos-observe.js';
import { convergeSteps, dayStart, markerOf, principalIn, type PrincipalMarker, type PrincipalWant } from './kerberos-principal.js';

function change(account: string, action: string, principal: string, summary: string, data: KerberosChangeData, destructive = false): Change {
  return { target: KERBEROS, action, subject: principalSubject(principal), account, summary, destructive, data };
}

/**
 * What the account's holds and retirement schedule want of its principal.
 * Tickets are refused only when the holds reach `kerberos` and every
 * service that authenticates with it (`keepWith`): a billing freeze keeps
 * mail and the portal, whose logins are Kerberos passwords (seed
 * MemberFreezing, HCoop), so it leaves the principal working.
 */
export function wantOf(desired: Pick<DesiredHost, 'freezeKeep' | 'timeZone'>, a: DesiredAccount, config: Pick<KerberosConfig, 'keepWith'>): PrincipalWant {
  const disabled = disabledFor(a, KERBEROS_SERVICE, desired.freezeKeep) && config.keepWith.every((s) => disabledFor(a, s, desired.freezeKeep));
  // The expiry carries a scheduled retirement to the KDC, which enforces it
  // even if Roster does not run that day. Once the account is disabled,
  // DISALLOW_ALL_TIX is the lock (kinit: "credentials have been revoked")
  // and the expiry is given back, so there is one lock to lift, not two.
  return { disabled, expire: a.expiryDay === null || disabled ? null : dayStart(a.expiryDay, desired.timeZone) };
}

function wantWords(want: PrincipalWant): string {
  const parts = [...(want.disabled ? ['tickets disallowed'] : []), ...(want.expire === null ? [] : ['expiring at the deactivation day'])];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function samePlace(m: PrincipalMarker, host: string, a: DesiredAccount): boolean {
  return m.host === host && m.owner === a.username && m.uid === a.uid;
}

/** The change for one account's principal, or null when it is as wanted. */
function planAccount(desired: DesiredHost, observed: KerberosObserved, config: KerberosConfig, a: DesiredAccount): Change | null {
  if (a.principal === null) return null;
  const where = principalIn(a.principal, config.realm);
  if ('problem' in where) {
    const problem = `account ${a.username}: ${where.problem}`;
    return change(a.username, 'refuse', a.principal, problem, { kind: 'refuse', problem });
  }
  const name = where.name;
  const marker: PrincipalMarker = { host: desired.host, owner: a.username, uid: a.uid };
  const want = wantOf(desired, a, config);
  const p = observed.principals.get(name);
  if (p === undefined) {
    return change(a.username, 'create', name, `create principal ${name} with a random key${wantWords(want)}: no password until roster account passwd`, { kind: 'create', principal: name, marker, want });
  }
  const m = markerOf(p.strings);
  if (m === null) {
    // RATS step 7: a principal that exists keeps its password; Roster takes it over as it is.
    return change(a.username, 'adopt', name, `adopt existing principal ${name} for ${a.username}, keeping its password${wantWords(want)}`, { kind: 'adopt', principal: name, marker, want });
  }
  if (!samePlace(m, desired.host, a)) {
    const problem = `account ${a.username} (UID ${a.uid}) cannot have principal ${name}: ${m.host === desired.host ? `it is Roster's for account ${m.owner} with UID ${m.uid}` : `Roster manages it for host ${m.host}, not ${desired.host}`}`;
    return change(a.username, 'refuse', name, problem, { kind: 'refuse', problem });
  }
  const steps = convergeSteps(p, want);
  if (steps.length === 0) return null;
  const action = want.disabled && steps.some((s) => s.query.startsWith('modprinc -allow_tix')) ? 'lock' : !want.disabled && steps.some((s) => s.query.startsWith('modprinc +allow_tix')) ? 'unlock' : 'update';
  return change(a.username, action, name, `principal ${name}: ${steps.map((s) => s.what).join(', ')}`, { kind: 'converge', principal: name, marker, want });
}

/**
 * The pure plan (DESIGN.md §9.3): each desired account's principal
 * (create, adopt, freeze, unfreeze, expire), then the principals of purged
 * accounts (archived, then deleted). Only principals whose marker names
 * this host and the account are changed; a scoped state touches its
 * accounts' alone, which needs no other principal, so it never widens.
 */
export function planKerberos(desired: DesiredHost, observed: KerberosObserved, config: KerberosConfig): readonly Change[] {
  const changes: Change[] = [];
  for (const a of desired.accounts) {
    const c = planAccount(desired, observed, config, a);
    if (c !== null) changes.push(c);
  }
  if (desired.scope !== undefined) return changes;
  const archive = archiveSettings(config, desired.purge);
  const live = new Set(desired.accounts.map((a) => a.username));
  for (const r of desired.removed) {
    if (live.has(r.username)) continue;
    for (const p of observed.principals.values()) {
      const m = markerOf(p.strings);
      if (m === null || m.host !== desired.host || m.owner !== r.username || m.uid !== r.uid) continue;
      const archiveOwner = { username: r.username, uid: r.uid, at: r.purgedAt };
      if (archive.enabled) changes.push(change(r.username, 'archive', p.name, `record principal ${p.name} of purged ${r.username} (getprinc, getstrs) in ${archive.dir}`, { kind: 'archive', principal: p.name, marker: m, archiveOwner }));
      changes.push(change(r.username, 'delete', p.name, `delete principal ${p.name} of purged ${r.username}${archive.enabled ? ' (after its record)' : ' (archiving is off)'}`, { kind: 'delete', principal: p.name, marker: m, archiveOwner }, true));
    }
  }
  return changes;
}
