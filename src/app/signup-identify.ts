/**
 * Portal sign-up, RATS step 1 (seed 004: "The user is required to enter
 * his/her first and last names, ssn, and birthday. This information is used
 * to verify that the user exists in the PDB"): a person proves who they are
 * with their names and the verification attributes their roster source
 * declares, compared with the stored HMACs (DESIGN.md §3). The answer to a
 * wrong guess is always the same, whichever detail was wrong, and attempts
 * are limited per client address and per person (issue 14 item 1).
 */
import { timingSafeEqual } from 'node:crypto';
import type { RosterConfig } from '../config/config-schema.js';
import type { ErrorIssue } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { foldToAscii } from '../domain/usernames.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AppContext } from './app-context.js';
import { verificationDigest } from './person-input.js';

/** One attribute the sign-up form asks for. */
export interface SignupAttribute {
  /** As the roster source names it (`student_number`, `birth_date`). */
  readonly name: string;
  /** A date: asked as day, month and year, compared as `YYYY-MM-DD` (the form roster files give dates in). */
  readonly date: boolean;
}

/**
 * The limit on identification attempts (consumer-owned, DESIGN.md §9.2):
 * failures are counted per key (`signup:address:<ip>`, `signup:person:<id>`).
 */
export interface AttemptThrottle {
  /** Whole minutes until another attempt under any of `keys` is allowed; 0 when one is allowed now. */
  waitMinutes(keys: readonly string[]): Promise<number>;
  /** Records one failed attempt under each of `keys`. */
  recordFailure(keys: readonly string[]): Promise<void>;
}

export interface IdentifyInput {
  readonly firstName: string;
  readonly lastName: string;
  /** Attribute name -> the value as typed (a date already as `YYYY-MM-DD`, see signupDateValue). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The client's address, for the per-address limit. */
  readonly address: string;
}

export type IdentifyResult =
  | { readonly ok: true; readonly person: Person }
  /** A field left empty or malformed: this names the field (it says nothing about anyone's data). */
  | { readonly ok: false; readonly reason: 'bad_input'; readonly issues: readonly ErrorIssue[] }
  /** Names and details do not identify anyone: never says which detail was wrong. */
  | { readonly ok: false; readonly reason: 'not_found' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly waitMinutes: number };

/** Attribute names that hold a date (asked as three fields with the bday-* hints). */
const DATE_NAME = /(?:^|_)(?:date|dob|birthday|birthdate)(?:$|_)/;

/**
 * What the form asks besides the names: every attribute any roster source
 * declares (usually one source), in declaration order. A person is checked
 * against the attributes of their own source.
 */
export function signupAttributes(config: RosterConfig): SignupAttribute[] {
  const seen = new Map<string, SignupAttribute>();
  for (const source of Object.values(config.sources)) {
    for (const name of Object.keys(source.columns.verification ?? {})) {
      if (!seen.has(name)) seen.set(name, { name, date: DATE_NAME.test(name) });
    }
  }
  return [...seen.values()];
}

/**
 * A date typed as day, month and year as the `YYYY-MM-DD` text roster files
 * hold (so its HMAC can match), or null when it is not a real date.
 */
export function signupDateValue(day: string, month: string, year: string): string | null {
  const [d, m, y] = [day, month, year].map((s) => s.trim());
  if (d === undefined || m === undefined || y === undefined) return null;
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return null;
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  // Date rolls 31 February over into March: a real date reads back the same.
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) return null;
  return iso;
}

/**
 * RATS compares names without regard to case or accents (Søren, SOREN,
 * Soren are one name): folded to ASCII letters and digits; a name with no
 * Latin letters at all is compared as typed, lower-cased.
 */
export function nameKey(name: string): string {
  const folded = foldToAscii(name);
  return folded !== '' ? folded : name.normalize('NFKC').trim().toLowerCase();
}

const PAGE = 1000;

/** People of the sources that declare attributes whose names match, read page by page. */
async function peopleNamed(ctx: AppContext, first: string, last: string): Promise<Person[]> {
  const out: Person[] = [];
  const f = nameKey(first);
  const l = nameKey(last);
  for (const [sourceName, source] of Object.entries(ctx.config.sources)) {
    if (Object.keys(source.columns.verification ?? {}).length === 0) continue;
    // A scan of the source's people: names are not indexed folded, and sign-up is rare and throttled.
    const pages = keysetPages<Person, string>({
      limit: PAGE,
      page: (afterId, limit) => ctx.store.read.listPeople({ source: sourceName, limit, ...(afterId === undefined ? {} : { afterId }) }),
      keyOf: (p) => p.id,
    });
    for await (const page of pages) {
      for (const p of page) if (nameKey(p.firstName) === f && nameKey(p.lastName) === l) out.push(p);
    }
  }
  return out;
}

/** Equal digests, compared in constant time (a timing difference must not tell which attribute was right). */
function sameDigest(a: string, b: string | undefined): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b ?? '', 'hex');
  // Compared against itself when the lengths differ, so the time spent does not depend on it.
  return x.length === y.length ? timingSafeEqual(x, y) : !timingSafeEqual(x, x);
}

/** Whether every attribute `person`'s source declares was given and matches the stored HMAC. */
function proves(ctx: AppContext, person: Person, given: Readonly<Record<string, string>>): boolean {
  const declared = Object.keys(ctx.config.sources[person.source]?.columns.verification ?? {});
  if (declared.length === 0) return false;
  let ok = true;
  // Every attribute is compared (no early return), so the time does not say how many matched.
  for (const name of declared) {
    const digest = verificationDigest(ctx.hmacKey, name, given[name] ?? '');
    if (!sameDigest(digest, person.verification[name])) ok = false;
  }
  return ok;
}

export function addressKey(address: string): string {
  return `signup:address:${address}`;
}

export function personKey(personId: string): string {
  return `signup:person:${personId}`;
}

/**
 * RATS step 1. The names and every declared attribute must be given (an
 * empty one is named: that says nothing about anyone); then the person whose
 * names match and whose attributes all match their stored HMACs is the
 * answer. Any mismatch is `not_found`, recorded against the client's address
 * and against each person the names matched, so guessing one person's
 * birthday from many addresses is limited too.
 */
export async function identifyPerson(ctx: AppContext, throttle: AttemptThrottle, input: IdentifyInput): Promise<IdentifyResult> {
  const byAddress = [addressKey(input.address)];
  const waitAddress = await throttle.waitMinutes(byAddress);
  if (waitAddress > 0) return { ok: false, reason: 'throttled', waitMinutes: waitAddress };

  const issues: ErrorIssue[] = [];
  if (input.firstName.trim() === '') issues.push({ where: 'firstName', message: 'is required' });
  if (input.lastName.trim() === '') issues.push({ where: 'lastName', message: 'is required' });
  for (const attribute of signupAttributes(ctx.config)) {
    const value = input.attributes[attribute.name];
    if (value === undefined || value.trim() === '') issues.push({ where: attribute.name, message: attribute.date ? 'is not a complete date' : 'is required' });
    else if (value.length > 256) issues.push({ where: attribute.name, message: 'is too long' });
  }
  if (input.firstName.length > 256) issues.push({ where: 'firstName', message: 'is too long' });
  if (input.lastName.length > 256) issues.push({ where: 'lastName', message: 'is too long' });
  if (issues.length > 0) return { ok: false, reason: 'bad_input', issues };

  const named = await peopleNamed(ctx, input.firstName, input.lastName);
  const byPerson = named.map((p) => personKey(p.id));
  if (byPerson.length > 0) {
    const waitPerson = await throttle.waitMinutes(byPerson);
    if (waitPerson > 0) return { ok: false, reason: 'throttled', waitMinutes: waitPerson };
  }
  const proven = named.filter((p) => proves(ctx, p, input.attributes));
  const [person] = proven;
  if (proven.length === 1 && person !== undefined) return { ok: true, person };
  // Two people with the same names and the same details cannot be told apart: neither is chosen.
  if (proven.length > 1) ctx.log.warn(`portal sign-up: ${proven.length} people (${proven.map((p) => p.id).join(', ')}) share names and verification details; none was identified`);
  await throttle.recordFailure([...byAddress, ...byPerson]);
  return { ok: false, reason: 'not_found' };
}
