import * as z from 'zod';
import { createApiToken, listApiTokens, revokeApiToken, tokenView } from '../app/api-tokens.js';
import { TOKEN_ROLES } from '../store/queries/token-queries.js';
import { route, type ApiRoute } from './api-route.js';
import { createdTokenSchema, newTokenBody, tokenSchema, whoamiSchema } from './api-schemas.js';
import { ADMINS } from './permissions.js';

/** API tokens (DESIGN.md §5 "Auth"): admins manage them; any token may ask who it is. */
export function tokenRoutes(): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/whoami',
      operationId: 'whoami',
      summary: 'The token this request was made with (never its secret)',
      tag: 'tokens',
      roles: TOKEN_ROLES,
      response: whoamiSchema,
      async handler({ principal }) {
        return { actor: principal.actor, token: tokenView(principal.token) };
      },
    }),
    route({
      method: 'get',
      path: '/tokens',
      operationId: 'listTokens',
      summary: 'All tokens, revoked and expired ones too (never their secrets or hashes)',
      tag: 'tokens',
      roles: ADMINS,
      response: z.object({ items: z.array(tokenSchema) }),
      async handler({ ctx }) {
        return { items: await listApiTokens(ctx) };
      },
    }),
    route({
      method: 'post',
      path: '/tokens',
      operationId: 'createToken',
      summary: 'Create a token; the response is the only time its secret is shown',
      tag: 'tokens',
      roles: ADMINS,
      body: newTokenBody,
      status: 201,
      response: createdTokenSchema,
      async handler({ ctx, body }) {
        return createApiToken(ctx, { role: body.role, host: body.host, expires: body.expires, note: body.note });
      },
    }),
    route({
      method: 'delete',
      path: '/tokens/{id}',
      operationId: 'revokeToken',
      summary: 'Revoke a token; it is refused from the next request on',
      tag: 'tokens',
      roles: ADMINS,
      params: z.strictObject({ id: z.coerce.number().int().min(1) }),
      response: tokenSchema,
      async handler({ ctx, params }) {
        return revokeApiToken(ctx, params.id);
      },
    }),
  ];
}
