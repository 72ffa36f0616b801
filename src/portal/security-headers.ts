import type { MiddlewareHandler } from 'hono';

/**
 * The portal's content security policy: everything from this origin only,
 * no inline script or style (the pages link portal.js and portal.css), no
 * framing (clickjacking), forms only to this origin, no <base> rewriting.
 */
export const PORTAL_CSP = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"].join('; ');

/**
 * Security headers on every portal answer (issue 14 item 2): set after the
 * handler ran, so they are on error pages and redirects too. Pages carry
 * personal data: not cached (the assets set their own long cache).
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('Content-Security-Policy', PORTAL_CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
  };
}
