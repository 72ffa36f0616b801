import { createHmac } from 'node:crypto';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { textProblem } from '../domain/gecos.js';
import type { Person } from '../domain/person.js';

export interface PersonInput {
  readonly id: string;
  readonly source?: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly roles?: readonly string[];
  readonly classes?: readonly string[];
  readonly campuses?: readonly string[];
  readonly majors?: readonly string[];
  /** Role -> address. */
  readonly emails?: Readonly<Record<string, string>>;
  /** Attribute -> clear value; stored only as an HMAC. */
  readonly verification?: Readonly<Record<string, string>>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;
const ROLE = /^[A-Z][A-Z0-9_]{0,31}$/;
const SOURCE = /^[a-z][a-z0-9-]{0,31}$/;
const ATTRIBUTE = /^[a-z][a-z0-9_]{0,31}$/;
// Deliberately simple: one @, no spaces or control characters, a dot in the domain.
const EMAIL = /^[^\s@:,;<>"()[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** Whether `text` is an address personInputIssues accepts for a role's e-mail. */
export function isEmailAddress(text: string): boolean {
  return EMAIL.test(text);
}

/** The keyed hash stored for an identity-verification attribute (DESIGN.md §3). */
export function verificationDigest(key: Buffer, attribute: string, value: string): string {
  return createHmac('sha256', key).update(`${attribute}\u0000${value.trim()}`).digest('hex');
}

/** Validates every field and reports all problems at once, each naming its field. */
export function personInputIssues(input: PersonInput, prefix = ''): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const at = (field: string): string => `${prefix}${field}`;
  if (!ID.test(input.id)) issues.push({ where: at('id'), message: `"${printable(input.id)}" is not a valid id (letters, digits, . _ @ : -, at most 128)` });
  if (input.source !== undefined && !SOURCE.test(input.source)) issues.push({ where: at('source'), message: `"${printable(input.source)}" is not a valid source name` });
  for (const [field, value] of [['firstName', input.firstName], ['lastName', input.lastName]] as const) {
    const p = textProblem(value, 64);
    if (p !== null) issues.push({ where: at(field), message: p });
    else if (/[:,=]/.test(value)) issues.push({ where: at(field), message: "must not contain ':', ',' or '=' (it becomes part of GECOS)" });
  }
  for (const role of input.roles ?? []) {
    if (!ROLE.test(role)) issues.push({ where: at('roles'), message: `"${printable(role)}" is not a role (upper case letters, digits, _)` });
  }
  for (const [field, list] of [['classes', input.classes], ['campuses', input.campuses], ['majors', input.majors]] as const) {
    for (const item of list ?? []) {
      const p = textProblem(item, 128);
      if (p !== null) issues.push({ where: at(field), message: `"${printable(item)}" ${p}` });
    }
  }
  for (const [role, address] of Object.entries(input.emails ?? {})) {
    if (!ROLE.test(role)) issues.push({ where: at(`emails.${role}`), message: `"${printable(role)}" is not a role` });
    if (!EMAIL.test(address)) issues.push({ where: at(`emails.${role}`), message: `"${printable(address)}" is not an e-mail address` });
  }
  for (const [attribute, value] of Object.entries(input.verification ?? {})) {
    if (!ATTRIBUTE.test(attribute)) issues.push({ where: at(`verification.${attribute}`), message: 'attribute names are lower case letters, digits and _' });
    if (value.trim() === '') issues.push({ where: at(`verification.${attribute}`), message: 'must not be empty' });
  }
  return issues;
}

export function buildPerson(input: PersonInput, hmacKey: Buffer, now: string, existing?: Person): Person {
  const issues = personInputIssues(input);
  if (issues.length > 0) throw new RosterError('bad_input', `invalid person ${printable(input.id)}`, issues);
  if (Object.keys(input.verification ?? {}).length > 0 && hmacKey.length === 0) {
    throw new RosterError('bad_config', 'verification attributes need an HMAC key: run `roster init` or set ROSTER_HMAC_KEY');
  }
  const verification: Record<string, string> = { ...(existing?.verification ?? {}) };
  for (const [attribute, value] of Object.entries(input.verification ?? {})) {
    verification[attribute] = verificationDigest(hmacKey, attribute, value);
  }
  return {
    id: input.id,
    source: input.source ?? existing?.source ?? 'manual',
    firstName: input.firstName.trim(),
    lastName: input.lastName.trim(),
    roles: uniq(input.roles ?? []),
    classes: uniq(input.classes ?? []),
    campuses: uniq(input.campuses ?? []),
    majors: uniq(input.majors ?? []),
    emails: { ...(input.emails ?? {}) },
    verification,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
}

function uniq(items: readonly string[]): string[] {
  return [...new Set(items.map((s) => s.trim()))];
}

/** Shows a value in an error without letting control characters through. */
export function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
