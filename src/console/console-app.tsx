import { Hono } from 'hono';
import { formGuard } from '../portal/csrf.js';
import { securityHeaders } from '../portal/security-headers.js';
import type { ServerDeps } from '../server/server-deps.js';
import { mountAccountPage } from './account-page.js';
import { mountApprovalsPage } from './approvals-page.js';
import { mountAuditPage } from './audit-page.js';
import { mountBulkPage } from './bulk-page.js';
import { mountConsoleAssets } from './console-assets.js';
import type { ConsoleEnv } from './console-env.js';
import { consoleSignInRedirect } from './console-auth.js';
import { ConsoleLayout } from './console-layout.js';
import { consoleCsrfSecrets, consoleSession } from './console-session.js';
import { mountHostsPage } from './hosts-page.js';
import { mountJobsPage } from './jobs-page.js';
import { mountConsoleLogin } from './login-pages.js';
import { mountPersonPage } from './person-page.js';
import { mountSearchPage } from './search-page.js';
import { mountSyncPage } from './sync-page.js';
import { mountTokensPage } from './tokens-page.js';

/** Room for a form's other fields beside the largest roster file the server takes (`server.maxUploadBytes`). */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * The admin console under /console (issue 16), on `roster serve`'s app:
 * server-rendered pages that work without JavaScript, with the portal's
 * security headers and CSRF tokens, and sessions of their own (password and
 * a second factor). Every state-changing request must carry its session's
 * CSRF token or it is refused with 403 before any page sees it; each page
 * checks the user's role itself (console-auth.ts requireRole).
 *
 * Each page is a module with a `mountX(console)`, called below in order;
 * the catch-all "not found" page comes last.
 */
export function mountConsole(app: Hono, deps: ServerDeps): void {
  const pages = new Hono<ConsoleEnv>();
  pages.use(securityHeaders());
  mountConsoleAssets(pages);
  pages.use(consoleSession(deps));
  pages.use(
    formGuard<ConsoleEnv>({
      hmacKey: deps.hmacKey,
      maxBytes: deps.config.server.maxUploadBytes + FORM_OVERHEAD_BYTES,
      secrets: consoleCsrfSecrets,
      tooLarge: (c) =>
        c.html(
          <ConsoleLayout title="Form too large" c={c}>
            <p>{`This form is larger than the server takes (server.maxUploadBytes, ${deps.config.server.maxUploadBytes.toLocaleString('en')} bytes). Nothing was changed.`}</p>
          </ConsoleLayout>,
          413,
        ),
      refused: (c) =>
        c.html(
          <ConsoleLayout title="Form refused" c={c}>
            <p>This form could not be accepted: it is out of date or did not come from this console. Nothing was changed. Go back, reload the page and try again.</p>
          </ConsoleLayout>,
          403,
        ),
    }),
  );

  mountConsoleLogin(pages);
  mountSearchPage(pages);
  mountAuditPage(pages);
  mountTokensPage(pages);
  mountSyncPage(pages);
  mountPersonPage(pages);
  mountAccountPage(pages);
  mountHostsPage(pages);
  mountJobsPage(pages);
  mountBulkPage(pages);
  mountApprovalsPage(pages);

  // Not signed in, every other path asks for the sign-in first (nothing tells which pages exist).
  pages.all('*', (c) =>
    c.var.user === null ? consoleSignInRedirect(c) : c.html(
      <ConsoleLayout title="Not found" c={c}>
        <p>There is no such page in the console.</p>
        <p>
          <a href="/console">Back to the console</a>
        </p>
      </ConsoleLayout>,
      404,
    ),
  );
  app.route('/console', pages);
}
