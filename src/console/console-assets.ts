import type { Hono } from 'hono';
import { assetTable, serveAsset } from '../portal/portal-assets.js';
import { PORTAL_CSS } from '../portal/portal-css.js';
import { CONSOLE_CSS } from './console-css.js';
import type { ConsoleEnv } from './console-env.js';

const ASSETS = assetTable({ 'portal.css': { type: 'text/css; charset=utf-8', body: PORTAL_CSS }, 'console.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS } });

/** The URL of a console asset, with its version (pages link this). */
export function consoleAssetPath(name: string): string {
  const a = ASSETS[name];
  return a === undefined ? `/console/assets/${name}` : `/console/assets/${name}?v=${a.version}`;
}

/** GET /console/assets/NAME: the portal's stylesheet and the console's own, cached for a year (the URL changes with the content). */
export function mountConsoleAssets(console: Hono<ConsoleEnv>): void {
  console.get('/assets/:name', (c) => serveAsset(c, ASSETS[c.req.param('name')]));
}
