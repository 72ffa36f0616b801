import { describe, expect, it } from 'vitest';
import { checkPassword } from '../domain/password-policy.js';
import { generateInitialPassword } from './initial-password.js';

describe('generated initial passwords', () => {
  it('meet the policy, avoid the names, and differ every time', () => {
    const policy = { minLength: 20, minClasses: 4 };
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generateInitialPassword(policy, { username: 'svette', firstName: 'Søren', lastName: 'Vette' });
      expect(p.length).toBeGreaterThanOrEqual(20);
      expect(checkPassword(p, policy, { username: 'svette', firstName: 'Søren', lastName: 'Vette' })).toEqual([]);
      expect(p).toMatch(/^[A-Za-z2-9\-_.+=%@]+$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
    expect(generateInitialPassword({ minLength: 6, minClasses: 3 }).length).toBe(16);
  });
});
