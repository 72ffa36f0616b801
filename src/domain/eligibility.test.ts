import { describe, expect, it } from 'vitest';
import { checkEligibility, describeRefusal, type Eligibility } from './eligibility.js';

const none = { all: [], some: [] };
const person = (p: Partial<Record<'roles' | 'classes' | 'campuses' | 'majors', string[]>>) => ({
  roles: p.roles ?? [],
  classes: p.classes ?? [],
  campuses: p.campuses ?? [],
  majors: p.majors ?? [],
});

const cs111: Eligibility = {
  roles: { all: ['STUDENT'], some: [] },
  classes: { all: [], some: ['01:198:111 (2026 fall)', '01:198:112 (2026 fall)'] },
  campuses: { all: ['NB'], some: [] },
  majors: { all: [], some: ['198', '640'] },
};

describe('checkEligibility (RATS steps 2-5)', () => {
  it('no requirements: everyone is eligible', () => {
    expect(checkEligibility(person({}), { roles: none, classes: none, campuses: none, majors: none })).toEqual({ eligible: true, unmet: [] });
    expect(checkEligibility(person({}), {})).toEqual({ eligible: true, unmet: [] });
  });

  it('a person meeting everything is eligible', () => {
    const p = person({ roles: ['STUDENT', 'STAFF'], classes: ['01:198:112 (2026 fall)'], campuses: ['NB'], majors: ['640'] });
    expect(checkEligibility(p, cs111)).toEqual({ eligible: true, unmet: [] });
  });

  it('lists every unmet requirement, in the order roles, classes, campuses, majors', () => {
    const verdict = checkEligibility(person({ roles: ['STAFF'], campuses: ['CM'], majors: ['750'] }), cs111);
    expect(verdict.eligible).toBe(false);
    expect(verdict.unmet).toEqual([
      'needs role STUDENT',
      'needs one of classes 01:198:111 (2026 fall), 01:198:112 (2026 fall)',
      'needs campus NB',
      'needs one of majors 198, 640',
    ]);
    expect(describeRefusal(verdict.unmet)).toBe(
      'needs role STUDENT; needs one of classes 01:198:111 (2026 fall), 01:198:112 (2026 fall); needs campus NB; needs one of majors 198, 640',
    );
  });

  it('"all" lists name only what is missing, joined with "and"', () => {
    const e: Eligibility = { roles: { all: ['STUDENT', 'STAFF', 'MEMBER'], some: [] } };
    expect(checkEligibility(person({}), e).unmet).toEqual(['needs roles STUDENT, STAFF and MEMBER']);
    expect(checkEligibility(person({ roles: ['STAFF'] }), e).unmet).toEqual(['needs roles STUDENT and MEMBER']);
    expect(checkEligibility(person({ roles: ['STAFF', 'MEMBER'] }), e).unmet).toEqual(['needs role STUDENT']);
  });

  it('a one-item "some" list reads as a plain requirement', () => {
    const e: Eligibility = { campuses: { all: [], some: ['NB'] } };
    expect(checkEligibility(person({}), e).unmet).toEqual(['needs campus NB']);
  });

  it('"all" and "some" of one dimension are both checked', () => {
    const e: Eligibility = { roles: { all: ['STUDENT'], some: ['UNDERGRAD', 'GRAD'] } };
    expect(checkEligibility(person({}), e).unmet).toEqual(['needs role STUDENT', 'needs one of roles UNDERGRAD, GRAD']);
    expect(checkEligibility(person({ roles: ['GRAD'] }), e).unmet).toEqual(['needs role STUDENT']);
    expect(checkEligibility(person({ roles: ['STUDENT', 'GRAD'] }), e).eligible).toBe(true);
  });

  it('compares without regard to case and surrounding or repeated spaces', () => {
    const p = person({ roles: ['student'], classes: [' 01:198:111  (2026 Fall) '], campuses: ['nb'], majors: ['198'] });
    expect(checkEligibility(p, cs111).eligible).toBe(true);
  });

  it('holding extra roles never hurts', () => {
    expect(checkEligibility(person({ roles: ['STUDENT', 'ALUMNUS', 'X'] }), { roles: { all: ['STUDENT'], some: [] } }).eligible).toBe(true);
  });

  it('describeRefusal of nothing is empty', () => {
    expect(describeRefusal([])).toBe('');
  });
});
