/**
 * Eligibility of a person for an account type (seed 004, RATS steps 2-5;
 * DESIGN.md §3 "Eligibility"). Each of roles, classes, campuses and majors
 * has an `all` list (every item needed) and a `some` list (at least one
 * needed, when the list is non-empty). The answer is never a bare no: every
 * unmet requirement comes back as a sentence the person can act on.
 */
import type { Person } from './person.js';

/** The shape roster.yaml gives one requirement (consumer-owned, DESIGN.md §9.2). */
export interface Requirement {
  readonly all: readonly string[];
  readonly some: readonly string[];
}

/** A missing dimension means "no requirement". */
export interface Eligibility {
  readonly roles?: Requirement;
  readonly classes?: Requirement;
  readonly campuses?: Requirement;
  readonly majors?: Requirement;
}

export interface EligibilityVerdict {
  readonly eligible: boolean;
  readonly unmet: readonly string[];
}

type Dimension = 'roles' | 'classes' | 'campuses' | 'majors';

/** Checked and reported in this order, the order of RATS steps 2-5. */
const DIMENSIONS: ReadonlyArray<{ readonly key: Dimension; readonly one: string; readonly many: string }> = [
  { key: 'roles', one: 'role', many: 'roles' },
  { key: 'classes', one: 'class', many: 'classes' },
  { key: 'campuses', one: 'campus', many: 'campuses' },
  { key: 'majors', one: 'major', many: 'majors' },
];

/**
 * Roster sources disagree on case and spacing (`STUDENT` vs `student`,
 * `01:198:111 (2026 Fall)` vs `(2026 fall)`); they name the same thing.
 */
function normalise(item: string): string {
  return item.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** `A`, `A and B`, `A, B and C`. */
function conjunction(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

export function checkEligibility(person: Pick<Person, 'roles' | 'classes' | 'campuses' | 'majors'>, eligibility: Eligibility): EligibilityVerdict {
  const unmet: string[] = [];
  for (const { key, one, many } of DIMENSIONS) {
    const requirement = eligibility[key];
    if (requirement === undefined) continue;
    const has = new Set(person[key].map(normalise));
    const missing = requirement.all.filter((item) => !has.has(normalise(item)));
    if (missing.length > 0) unmet.push(`needs ${missing.length === 1 ? one : many} ${conjunction(missing)}`);
    if (requirement.some.length > 0 && !requirement.some.some((item) => has.has(normalise(item)))) {
      unmet.push(requirement.some.length === 1 ? `needs ${one} ${requirement.some.join('')}` : `needs one of ${many} ${requirement.some.join(', ')}`);
    }
  }
  return { eligible: unmet.length === 0, unmet };
}

/** One line for an error message: "needs role STUDENT; needs one of classes …". */
export function describeRefusal(unmet: readonly string[]): string {
  return unmet.join('; ');
}
