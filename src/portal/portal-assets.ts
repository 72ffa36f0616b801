import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { PORTAL_CSS } from './portal-css.js';
import type { PortalEnv } from './portal-env.js';
import { PORTAL_SCRIPT } from './portal-script.js';

export interface Asset {
  readonly type: string;
  readonly body: string;
  /** A digest of the body, in the URL: a changed file gets a new URL, so it may be cached for a year. */
  readonly version: string;
}

function asset(type: string, body: string): Asset {
  return { type, body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

/** Assets by name, each with its version (the console serves its own table the same way). */
export function assetTable(bodies: Readonly<Record<string, { readonly type: string; readonly body: string }>>): Readonly<Record<string, Asset>> {
  return Object.fromEntries(Object.entries(bodies).map(([name, b]) => [name, asset(b.type, b.body)]));
}

const ASSETS = assetTable({
  'portal.css': { type: 'text/css; charset=utf-8', body: PORTAL_CSS },
  'portal.js': { type: 'text/javascript; charset=utf-8', body: PORTAL_SCRIPT },
});

/** One asset's answer, cached for a year (the URL changes with the content); 404 for an unknown name. */
export function serveAsset(c: Context, a: Asset | undefined): Response {
  if (a === undefined) return c.notFound() as Response;
  return c.body(a.body, 200, { 'Content-Type': a.type, 'Cache-Control': 'public, max-age=31536000, immutable', ETag: `"${a.version}"` });
}

/** The URL of an asset, with its version (pages link this). */
export function assetPath(name: string): string {
  const a = ASSETS[name];
  return a === undefined ? `/portal/assets/${name}` : `/portal/assets/${name}?v=${a.version}`;
}

/** GET /portal/assets/NAME: the stylesheet and the script, cached for a year (the URL changes with the content). */
export function mountAssets(portal: Hono<PortalEnv>): void {
  portal.get('/assets/:name', (c) => serveAsset(c, ASSETS[c.req.param('name')]));
}
