import * as z from 'zod';
import { errorCatalogue, RosterError, type ErrorCode } from '../domain/errors.js';

/**
 * RFC 9457 problem details: every REST error has this shape, with the
 * error catalogue's stable `code` (DESIGN.md §9.5, §9.6). `type` is a URN
 * naming the code, so clients can switch on either.
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string(),
    issues: z.array(z.object({ where: z.string(), message: z.string() })).optional(),
  })
  .meta({ description: 'RFC 9457 problem details with Roster extensions code and issues' });

export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `urn:roster:problem:${code}`;
}

export function problemOf(code: ErrorCode, detail: string, instance: string, issues: RosterError['issues'] = []): Problem {
  const entry = errorCatalogue[code];
  return {
    type: problemType(code),
    title: entry.title,
    status: entry.status,
    detail,
    instance,
    code,
    ...(issues.length > 0 ? { issues: [...issues] } : {}),
  };
}

/** Expected failures become their catalogue entry; anything else is a 500 whose detail hides internals. */
export function problemFromError(e: unknown, instance: string): Problem {
  if (e instanceof RosterError) return problemOf(e.code, e.message, instance, e.issues);
  return problemOf('internal', 'an unexpected error occurred; it has been logged', instance);
}

export function problemResponse(problem: Problem, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(problem), { status: problem.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers } });
}
