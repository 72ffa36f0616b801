import type { Hono } from 'hono';
import { Layout } from './layout.js';
import { signInRedirect } from './login-page.js';
import type { PortalEnv } from './portal-env.js';
import { portalStrings as s } from './portal-strings.js';

/** GET /portal: the signed-in member's accounts, holds in words, billing, notices and usage. */
export function mountMemberPage(portal: Hono<PortalEnv>): void {
  portal.get('/', (c) => {
    const signedIn = c.var.signedIn;
    if (signedIn === null) return signInRedirect(c);
    return c.html(
      <Layout title={s.memberTitle} c={c}>
        <p>{signedIn.account.username}</p>
      </Layout>,
    );
  });
}
