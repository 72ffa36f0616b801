import * as z from 'zod';
import type { AppContext } from '../app/app-context.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import type { TokenRole } from '../store/queries/token-queries.js';
import type { Principal } from './server-deps.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P, Q, B> {
  /** The use cases' context, acting as the request's token. */
  readonly ctx: AppContext;
  readonly principal: Principal;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: Request;
}

/** A handler's answer: the value the response schema describes, with the route's status, or a ready Response (304, 204). */
export type RouteResult<R> = R | Response;

export interface RouteDef<P, Q, B, R> {
  readonly method: HttpMethod;
  /** OpenAPI form, relative to /api/v1: `/people/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** The token roles admitted (src/server/permissions.ts). */
  readonly roles: readonly TokenRole[];
  /** Host endpoints: the path parameter naming the host, checked against an agent token's own host. */
  readonly hostParam?: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  /** JSON body schema, or `csv` for a text upload. */
  readonly body?: z.ZodType<B> | 'csv';
  /** Body size limit for this route, when it differs from server.maxBodyBytes. */
  readonly maxBodyBytes?: (config: AppContext['config']) => number;
  readonly response: z.ZodType<R>;
  /** Success status; default 200. */
  readonly status?: 200 | 201 | 202;
  /** Other statuses worth documenting (beyond the problem responses every route has). */
  readonly notes?: Readonly<Record<number, string>>;
  readonly handler: (input: RouteInput<P, Q, B>) => Promise<RouteResult<R>>;
}

/** A route with its types erased, as the router and the OpenAPI generator see it. */
export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly roles: readonly TokenRole[];
  readonly hostParam?: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType | 'csv';
  readonly maxBodyBytes?: (config: AppContext['config']) => number;
  readonly response: z.ZodType;
  readonly status: number;
  readonly notes: Readonly<Record<number, string>>;
  /** Parses params, query and body with the route's schemas, runs the handler, and checks its answer against the response schema. */
  run(input: RouteInput<unknown, unknown, unknown>): Promise<{ readonly status: number; readonly value: unknown } | Response>;
}

/**
 * Declares a route: zod schemas in and out (DESIGN.md §9.7), from which
 * the request is validated, the response is checked before it leaves, and
 * /api/v1/openapi.json is generated.
 */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown>(def: RouteDef<P, Q, B, R>): ApiRoute {
  const status = def.status ?? 200;
  const { handler, ...rest } = def;
  return {
    ...rest,
    status,
    notes: def.notes ?? {},
    async run(input) {
      const params = (def.params === undefined ? {} : parseInput(def.params, input.params, 'path')) as P;
      const query = (def.query === undefined ? {} : parseInput(def.query, input.query, 'query')) as Q;
      const body = (def.body === undefined || def.body === 'csv' ? input.body : parseInput(def.body, input.body, 'body')) as B;
      const result = await handler({ ...input, params, query, body });
      if (result instanceof Response) return result;
      // The response schema is a contract: a handler that breaks it is a bug, reported as a 500 (a bare Error, logged, never a catalogued refusal).
      const checked = def.response.safeParse(result);
      if (!checked.success) throw new Error(`response of ${def.operationId} does not match its schema: ${z.prettifyError(checked.error)}`);
      return { status, value: checked.data };
    },
  };
}

/** Request validation: every problem, each named by where it is (`body.emails.MEMBER`, `query.limit`). */
function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: 'path' | 'query' | 'body'): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues: ErrorIssue[] = r.error.issues.map((i) => ({ where: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new RosterError('bad_input', `the request ${where === 'path' ? 'path' : where} is invalid: ${issues.map((i) => `${i.where}: ${i.message}`).join('; ')}`, issues);
}
