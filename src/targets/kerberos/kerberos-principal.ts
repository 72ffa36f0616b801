import { offsetAt, startOfDayInZone } from '../../domain/zoned-time.js';

/**
 * A principal as Roster reads and writes it, and the pure rules of what
 * the target does to it. Roster changes two things only: the
 * DISALLOW_ALL_TIX attribute (kadmin's `-allow_tix`) while a hold disables
 * `kerberos`, and the expiration while a retirement is scheduled. Before it
 * changes either it records what was there in a string attribute of the
 * principal itself (`roster.saved-flags`, `roster.saved-expire`), and when
 * the reason goes it puts back exactly that and drops the record, so a
 * principal that had DISALLOW_ALL_TIX before keeps it, and an expiry of
 * "never" is never again.
 */

/** KRB5_KDB_DISALLOW_ALL_TIX in the attributes bit set (kdb.h): the KDC answers "credentials have been revoked". */
export const DISALLOW_ALL_TIX = 0x40;

/** String attributes (kadmin setstr, krb5 ≥ 1.12) Roster keeps on a principal. */
export const MANAGED = 'roster.managed';
export const OWNER = 'roster.owner';
export const OWNER_UID = 'roster.uid';
export const SAVED_FLAGS = 'roster.saved-flags';
export const SAVED_EXPIRE = 'roster.saved-expire';

export interface PrincipalState {
  /** With its realm: `alice@EXAMPLE.ORG`. */
  readonly name: string;
  /** Seconds since 1970; 0 is never. */
  readonly expiration: number;
  /** The attributes bit set (getprinc -terse). */
  readonly attributes: number;
  /** String attributes, by name. */
  readonly strings: Readonly<Record<string, string>>;
}

/** What Roster's marker says of a principal: the host whose roster.yaml manages it, and for which account. */
export interface PrincipalMarker {
  readonly host: string;
  readonly owner: string;
  readonly uid: number;
}

export function markerOf(strings: Readonly<Record<string, string>>): PrincipalMarker | null {
  const host = strings[MANAGED];
  const owner = strings[OWNER];
  const uid = Number(strings[OWNER_UID]);
  if (host === undefined || owner === undefined || !Number.isSafeInteger(uid)) return null;
  return { host, owner, uid };
}

/** What the desired state wants of a principal. */
export interface PrincipalWant {
  /** A hold disables `kerberos`: DISALLOW_ALL_TIX. */
  readonly disabled: boolean;
  /** Seconds since 1970 of the deactivation day's start, while a retirement is scheduled; null otherwise. */
  readonly expire: number | null;
}

/** One kadmin query of a change and what it does, in words. */
export interface KadminStep {
  readonly query: string;
  readonly what: string;
}

/** `2027-01-15 00:00:00 UTC`, a form kadmin's date parser reads exactly (it has no `@epoch`). */
export function kadminDate(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function expireArg(seconds: number): string {
  return seconds === 0 ? 'never' : `"${kadminDate(seconds)}"`;
}

function describeExpire(seconds: number): string {
  return seconds === 0 ? 'never' : kadminDate(seconds);
}

/** Seconds since 1970 of the start (midnight in `timeZone`) of the day `day` days after 1970-01-01. */
export function dayStart(day: number, timeZone: string): number {
  const utcMidnight = day * 86_400_000;
  // Noon of that date on the zone's wall clock is inside the date whatever the offset.
  const noon = utcMidnight + 43_200_000 - offsetAt(utcMidnight, timeZone);
  return Math.floor(startOfDayInZone(new Date(noon), timeZone).getTime() / 1000);
}

/**
 * The kadmin queries that bring a principal from `p` to `want`, records
 * first: the record is written before the change it undoes, and dropped
 * after the restore, so a run stopped half-way leaves what the next run
 * needs to finish exactly. Empty when the principal is as wanted.
 */
export function convergeSteps(p: PrincipalState, want: PrincipalWant): KadminStep[] {
  const steps: KadminStep[] = [];
  const name = p.name;
  const disallowed = (p.attributes & DISALLOW_ALL_TIX) !== 0;
  const savedFlags = p.strings[SAVED_FLAGS];
  if (want.disabled) {
    if (savedFlags === undefined) steps.push({ query: `setstr ${name} ${SAVED_FLAGS} ${p.attributes}`, what: `record its attributes (${disallowed ? 'tickets already disallowed' : 'tickets allowed'})` });
    if (!disallowed) steps.push({ query: `modprinc -allow_tix ${name}`, what: 'disallow tickets (-allow_tix)' });
  } else if (savedFlags !== undefined) {
    const hadDisallow = (Number(savedFlags) & DISALLOW_ALL_TIX) !== 0;
    if (hadDisallow && !disallowed) steps.push({ query: `modprinc -allow_tix ${name}`, what: 'disallow tickets again, as before the hold' });
    if (!hadDisallow && disallowed) steps.push({ query: `modprinc +allow_tix ${name}`, what: 'allow tickets (+allow_tix), as before the hold' });
    steps.push({ query: `delstr ${name} ${SAVED_FLAGS}`, what: 'drop the record of its attributes' });
  }
  const savedExpire = p.strings[SAVED_EXPIRE];
  if (want.expire !== null) {
    if (savedExpire === undefined) steps.push({ query: `setstr ${name} ${SAVED_EXPIRE} ${p.expiration}`, what: `record its expiry (${describeExpire(p.expiration)})` });
    if (p.expiration !== want.expire) steps.push({ query: `modprinc -expire ${expireArg(want.expire)} ${name}`, what: `expire it at ${describeExpire(want.expire)}` });
  } else if (savedExpire !== undefined) {
    const before = Number(savedExpire);
    const back = Number.isSafeInteger(before) && before >= 0 ? before : 0;
    if (p.expiration !== back) steps.push({ query: `modprinc -expire ${expireArg(back)} ${name}`, what: `give back its expiry (${describeExpire(back)})` });
    steps.push({ query: `delstr ${name} ${SAVED_EXPIRE}`, what: 'drop the record of its expiry' });
  }
  return steps;
}

/** The marker's queries: who the principal is Roster's for. */
export function markSteps(name: string, marker: PrincipalMarker): KadminStep[] {
  return [
    { query: `setstr ${name} ${MANAGED} ${marker.host}`, what: `mark it as Roster's for host ${marker.host}` },
    { query: `setstr ${name} ${OWNER} ${marker.owner}`, what: `for account ${marker.owner}` },
    { query: `setstr ${name} ${OWNER_UID} ${marker.uid}`, what: `UID ${marker.uid}` },
  ];
}

/** Parses `getprinc -terse` (tab-separated; the name quoted): null when the answer holds no principal. */
export function parseTerse(text: string): { readonly name: string; readonly expiration: number; readonly attributes: number } | null {
  const line = text.split('\n').find((l) => l.startsWith('"'));
  if (line === undefined) return null;
  const f = line.split('\t');
  const name = (f[0] ?? '').replace(/^"|"$/g, '');
  const expiration = Number(f[1]);
  const attributes = Number(f[7]);
  if (name === '' || !Number.isSafeInteger(expiration) || !Number.isSafeInteger(attributes)) return null;
  return { name, expiration, attributes };
}

/** Parses `getstrs`: `name: value` lines, or "(No string attributes.)". */
export function parseStrings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^\s:]+): (.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

const WORD = /^[^\s"'\\\u0000-\u001f\u007f]+$/;

/**
 * The account's principal in the host's realm, or why it cannot be
 * managed there: one of another realm, or one kadmin's query parser would
 * split (a blank, a quote).
 */
export function principalIn(principal: string, realm: string): { readonly name: string } | { readonly problem: string } {
  if (!WORD.test(principal)) return { problem: `principal "${principal}" has a blank, quote, backslash or control character, which kadmin cannot take` };
  const at = principal.lastIndexOf('@');
  if (at === -1) return { name: `${principal}@${realm}` };
  const its = principal.slice(at + 1);
  if (its !== realm) return { problem: `principal ${principal} is in realm ${its}, not this host's realm ${realm}` };
  return { name: principal };
}
