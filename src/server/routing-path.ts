import { getPath } from 'hono/utils/url';

/** SCIM endpoint names as Roster routes them, by their lower-case form. */
const SCIM_ENDPOINTS = new Map(['Users', 'Groups', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig', 'serviceConfiguration'].map((n) => [n.toLowerCase(), n]));

/**
 * The path the router matches: a trailing slash does not matter
 * (`/scim/v2/Users/?filter=…` is the same endpoint), and SCIM endpoint
 * names are matched without regard to case, as IdPs and the Microsoft SCIM
 * test collection send `/scim/v2/users`.
 */
export function routingPath(request: Request): string {
  let path = getPath(request);
  if (path.length > 1) path = path.replace(/\/+$/, '') || '/';
  const m = /^\/scim\/v2\/([^/]+)(.*)$/.exec(path);
  const canonical = m?.[1] === undefined ? undefined : SCIM_ENDPOINTS.get(m[1].toLowerCase());
  return canonical === undefined ? path : `/scim/v2/${canonical}${m?.[2] ?? ''}`;
}
