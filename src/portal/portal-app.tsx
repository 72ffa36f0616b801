import { Hono } from 'hono';
import type { ServerDeps } from '../server/server-deps.js';
import { formGuard } from './csrf.js';
import { Layout } from './layout.js';
import { mountLogin } from './login-page.js';
import { mountMemberPage } from './member-page.js';
import { mountAssets } from './portal-assets.js';
import { mountEmailPage } from './email-page.js';
import { mountPasswordPage } from './password-page.js';
import { mountPasswordResetPage } from './password-reset-page.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { csrfSecrets, portalSession } from './portal-session.js';
import { portalStrings as s } from './portal-strings.js';
import { securityHeaders } from './security-headers.js';
import { mountSignup } from './signup-page.js';

/** The largest form the portal reads. */
const MAX_FORM_BYTES = 64 * 1024;

/** The page for a refused form (no or a wrong CSRF token): 403. */
function forbidden(c: PortalContext): Response | Promise<Response> {
  return c.html(
    <Layout title={s.forbiddenTitle} c={c}>
      <p>{s.forbiddenBody}</p>
      <p>
        <a href="/portal">{s.backToPortal}</a>
      </p>
    </Layout>,
    403,
  );
}

/**
 * The member portal under /portal (issue 14), on `roster serve`'s app:
 * server-rendered pages that work without JavaScript. Every answer carries
 * the security headers; every request but the assets gets its session (or
 * the anonymous form cookie); every state-changing request must carry the
 * CSRF token of that session or cookie in its form field `csrf`, or it is
 * refused with 403 before any page sees it.
 *
 * Each page is a module with a `mountX(portal)`, called below in order; the
 * catch-all "not found" page comes last.
 */
export function mountPortal(app: Hono, deps: ServerDeps): void {
  const portal = new Hono<PortalEnv>();
  portal.use(securityHeaders());
  mountAssets(portal);
  portal.use(portalSession(deps));
  portal.use(formGuard<PortalEnv>({ hmacKey: deps.hmacKey, maxBytes: MAX_FORM_BYTES, secrets: csrfSecrets, tooLarge: (c) => c.text('the form is too large', 413), refused: forbidden }));

  mountLogin(portal);
  mountMemberPage(portal);
  mountPasswordPage(portal);
  mountPasswordResetPage(portal);
  mountEmailPage(portal);
  mountSignup(portal);

  portal.all('*', (c) =>
    c.html(
      <Layout title={s.notFoundTitle} c={c}>
        <p>{s.notFoundBody}</p>
        <p>
          <a href="/portal">{s.backToPortal}</a>
        </p>
      </Layout>,
      404,
    ),
  );
  app.route('/portal', portal);
}
