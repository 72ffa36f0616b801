/**
 * Password rules (seed 004, RATS step 7: "checked for length and content
 * (three character classes)"; DESIGN.md §3 "Passwords"). The result lists
 * every problem at once so a person fixes them in one go; no message ever
 * repeats the password or a part of it, since messages reach logs and the
 * audit trail (DESIGN.md §7: no secrets in logs).
 */
import { COMMON_PASSWORDS } from './common-passwords.js';
import { foldToAscii } from './usernames.js';

/** The shape roster.yaml gives (consumer-owned, DESIGN.md §9.2). */
export interface PasswordPolicy {
  readonly minLength: number;
  /** Of the four classes lower case, upper case, digits and other characters. */
  readonly minClasses: number;
}

export interface PasswordContext {
  readonly username?: string;
  readonly firstName?: string;
  readonly lastName?: string;
}

/** Hashing is slow by design; an unbounded input would make it a denial of service. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Names shorter than this are too common as substrings to forbid ("Al", "Li"). */
const MIN_NAME_LENGTH = 3;

// C0, DEL, C1 and the Unicode line/paragraph separators: a password is typed
// on one line, and these break prompts, PAM conversations and chpasswd input.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const CLASSES: ReadonlyArray<{ readonly name: string; readonly test: (ch: string) => boolean }> = [
  { name: 'lower case', test: (ch) => /\p{Ll}/u.test(ch) },
  { name: 'upper case', test: (ch) => /\p{Lu}/u.test(ch) },
  { name: 'digits', test: (ch) => /\p{Nd}/u.test(ch) },
];

function classesUsed(password: string): number {
  const used = new Set<number>();
  for (const ch of password) {
    const i = CLASSES.findIndex((c) => c.test(ch));
    // Anything that is not a lower/upper-case letter or a digit is "other":
    // punctuation, spaces, symbols, and letters of caseless scripts.
    used.add(i === -1 ? CLASSES.length : i);
  }
  return used.size;
}

/**
 * The password, lower-cased, and with trailing digits and symbols stripped
 * (`Password123!` → `password`), the commonest way people "strengthen" a
 * listed password.
 */
function isCommon(password: string): boolean {
  const lower = password.toLowerCase();
  const forms = [lower, lower.replace(/[0-9]+$/, ''), lower.replace(/[^\p{L}]+$/u, '')];
  return forms.some((f) => f !== '' && COMMON_PASSWORDS.has(f));
}

/** The name and each of its words, lower-cased and ASCII-folded, that are long enough to forbid. */
function nameForms(name: string): string[] {
  // U+2019 (’) as an escape, so the bundle stays ASCII.
  const pieces = [name, ...name.split(/[\s\-'\u2019.]+/u)];
  const forms = pieces.flatMap((p) => [p.trim().toLowerCase(), foldToAscii(p)]);
  return [...new Set(forms)].filter((f) => [...f].length >= MIN_NAME_LENGTH);
}

function contains(password: string, name: string): boolean {
  const lower = password.toLowerCase();
  const folded = foldToAscii(password);
  return nameForms(name).some((f) => lower.includes(f) || folded.includes(f));
}

/** Problems with `password` under `policy`; empty when it is acceptable. */
export function checkPassword(password: string, policy: PasswordPolicy, context: PasswordContext = {}): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (CONTROL.test(password)) problems.push('must not contain control characters or line breaks');
  if (length < policy.minLength) problems.push(`must be at least ${policy.minLength} characters long`);
  if (length > MAX_PASSWORD_LENGTH) problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  const classes = classesUsed(password);
  if (classes < policy.minClasses) {
    problems.push(`must mix at least ${policy.minClasses} of the 4 kinds of character (lower case, upper case, digits, others); it has ${classes}`);
  }
  if (isCommon(password)) problems.push('is too common (it is on the list of most-used passwords)');
  if (context.username !== undefined && contains(password, context.username)) problems.push('must not contain the username');
  if (context.firstName !== undefined && contains(password, context.firstName)) problems.push('must not contain your first name');
  if (context.lastName !== undefined && contains(password, context.lastName)) problems.push('must not contain your last name');
  return problems;
}
