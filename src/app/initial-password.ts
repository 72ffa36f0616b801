import { randomInt } from 'node:crypto';
import { checkPassword, type PasswordPolicy } from '../domain/password-policy.js';

// No look-alikes (0/O, 1/l/I) and nothing a shell or a CSV cell would mangle: people type these from paper.
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const OTHER = '-_.+=%@';
const ALL = LOWER + UPPER + DIGITS + OTHER;

/**
 * A random initial password (types with `initialPassword: generate`) that
 * meets the type's policy: at least 16 characters with all four kinds of
 * character, from the kernel's CSPRNG. About 6 bits per character, so ≥ 96
 * bits. It is handed to the admin once (the password file) and never stored
 * or logged in clear.
 */
export function generateInitialPassword(policy: PasswordPolicy, context: { readonly username?: string; readonly firstName?: string; readonly lastName?: string } = {}): string {
  const length = Math.max(16, policy.minLength);
  for (;;) {
    const chars = [LOWER, UPPER, DIGITS, OTHER].map(pick);
    while (chars.length < length) chars.push(pick(ALL));
    // Fisher-Yates, so the guaranteed kinds are not always in front.
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
    }
    const password = chars.join('');
    if (checkPassword(password, policy, context).length === 0) return password;
  }
}

function pick(set: string): string {
  return set.charAt(randomInt(set.length));
}
