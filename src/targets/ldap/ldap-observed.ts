/**
 * An entry as the observe read it: its DN and the attributes asked for,
 * keyed by lower-case name (LDAP attribute names are case-insensitive and
 * servers answer in the case they like). Pure data, for the plan.
 */
export interface ObservedEntry {
  readonly dn: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export interface LdapObserved {
  /** Entries under usersDn with a uid or uidNumber of a desired or removed account (scoped), or all posixAccounts and Roster's entries there (whole host). */
  readonly users: readonly ObservedEntry[];
  /** Entries under groupsDn with the cn or gidNumber of a desired group (scoped), or all groups there (whole host). */
  readonly groups: readonly ObservedEntry[];
}

/** The values of one attribute, [] when it is absent. */
export function valuesOf(entry: ObservedEntry, name: string): readonly string[] {
  return entry.attributes[name.toLowerCase()] ?? [];
}
