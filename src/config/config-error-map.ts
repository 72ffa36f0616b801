import type * as z from 'zod';

const NOUNS: Readonly<Record<string, string>> = {
  object: 'a map',
  record: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function describe(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a map';
  if (typeof input === 'string') return `the string ${JSON.stringify(input)}`;
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  return typeof input;
}

function bound(issue: { readonly origin?: string; readonly inclusive?: boolean }, limit: unknown, direction: 'least' | 'most'): string {
  const n = Number(limit);
  switch (issue.origin) {
    case 'string':
      return direction === 'least' && n === 1 ? 'must not be empty' : `must have at ${direction} ${n} characters`;
    case 'array':
      return direction === 'least' && n === 1 ? 'must list at least one item' : `must have at ${direction} ${n} items`;
    default:
      if (issue.inclusive === false) return `must be ${direction === 'least' ? 'greater' : 'less'} than ${n}`;
      return `must be at ${direction} ${n}`;
  }
}

/**
 * Messages for people editing roster.yaml. Messages given in the schema win
 * over these; anything not handled here keeps zod's own.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${NOUNS[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}, got ${describe(issue.input)}`
        : `must be one of ${issue.values.map((v) => String(v)).join(', ')}, got ${describe(issue.input)}`;
    case 'too_small':
      return bound(issue, issue.minimum, 'least');
    case 'too_big':
      return bound(issue, issue.maximum, 'most');
    default:
      return undefined;
  }
};
