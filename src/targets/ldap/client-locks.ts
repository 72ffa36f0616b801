/**
 * The locks the ldap target writes on this host's entries, as the client
 * checks need them: `shadowExpire` always; `pwdAccountLockedTime` when the
 * directory runs the ppolicy overlay; `authorizedService` values when the
 * host lists services (the PAM service names nslcd and SSSD compare them to).
 */
export interface ClientLocks {
  readonly ppolicy: boolean;
  /** The PAM service names the target writes as authorizedService, or null when it writes none. */
  readonly authorizedServices: readonly string[] | null;
  /** Where the target writes accounts, to check that the clients search there; null when unknown. */
  readonly usersDn: string | null;
}

/** The locks named for a message: `shadowExpire, pwdAccountLockedTime and authorizedService`. */
export function lockNames(locks: ClientLocks): string {
  const names = ['shadowExpire', ...(locks.ppolicy ? ['pwdAccountLockedTime'] : []), ...(locks.authorizedServices === null ? [] : ['authorizedService'])];
  return names.length === 1 ? names[0] ?? '' : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/** A DN compared as text: no spaces around separators, lower case (attribute names and the usual values are case-insensitive). */
export function dnKey(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) => rdn.replace(/\s*=\s*/, '=').trim())
    .join(',')
    .toLowerCase();
}

/** Whether `dn` is `base` or below it. */
export function dnWithin(dn: string, base: string): boolean {
  const d = dnKey(dn);
  const b = dnKey(base);
  return d === b || d.endsWith(`,${b}`);
}
