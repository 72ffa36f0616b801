import * as z from 'zod';
import type { ApiRoute } from './api-route.js';
import { problemSchema } from './problem.js';

type Json = Record<string, unknown>;

/** JSON Schema 2020-12, which OpenAPI 3.1 uses as is. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** Path or query parameters from an object schema: one parameter per property. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (schema === undefined) return [];
  const s = jsonSchema(schema, 'input');
  const properties = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(properties).map(([name, p]) => {
    const { description, ...rest } = p;
    return { name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(typeof description === 'string' ? { description } : {}) };
  });
}

const PROBLEM_STATUSES: Readonly<Record<string, string>> = {
  400: 'usage: malformed request (e.g. a body that is not JSON)',
  401: 'unauthorized: no token, or an unknown, revoked or expired one',
  403: "forbidden: the token's role may not do this (agents: another host)",
  404: 'not_found',
  409: 'conflict',
  413: 'too_large: the body is over the limit',
  422: 'bad_input: the request does not match its schema, or breaks a rule (issues name the fields)',
  429: 'rate_limited: retry after the Retry-After header',
};

/**
 * /api/v1/openapi.json, generated from the same zod schemas that validate
 * requests and responses (DESIGN.md §9.7), so the description cannot drift
 * from what the server does. `extraPaths` describes endpoints outside the
 * REST routes (/healthz, /readyz, /metrics), already in OpenAPI form.
 */
export function openApiDocument(routes: readonly ApiRoute[], base: string, version: string, extraPaths: Json = {}): Json {
  const problemRef = { $ref: '#/components/schemas/Problem' };
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const responses: Json = {
      [String(r.status)]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } },
    };
    for (const [status, about] of Object.entries(r.notes)) {
      responses[status] = status === '304' ? { description: about } : { description: about, content: { 'application/problem+json': { schema: problemRef } } };
    }
    for (const [status, about] of Object.entries(PROBLEM_STATUSES)) {
      responses[status] ??= { description: about, content: { 'application/problem+json': { schema: problemRef } } };
    }
    const requestBody =
      r.body === undefined
        ? undefined
        : r.body === 'csv'
          ? { required: true, content: { 'text/csv': { schema: { type: 'string' } } } }
          : { required: false, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    const path = `${base}${r.path}`;
    paths[path] ??= {};
    paths[path][r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      description: `Token roles: ${r.roles.join(', ')}${r.hostParam === undefined ? '' : ' (an agent token: its own host only)'}.`,
      security: [{ bearerAuth: [] }],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(requestBody === undefined ? {} : { requestBody }),
      responses,
    };
  }
  Object.assign(paths, extraPaths);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Roster API',
      version,
      description:
        'REST API of roster serve. Errors are RFC 9457 problem details with a stable `code`. Lists page by keyset (`after`, `limit`; `next` in the answer). ' +
        'SCIM 2.0 is served under /scim/v2 and describes itself at /scim/v2/Schemas, /scim/v2/ResourceTypes and /scim/v2/ServiceProviderConfig.',
    },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'roster token create --role ROLE' } },
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
    },
  };
}
