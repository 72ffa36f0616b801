import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from './csrf.js';
import type { PortalContext } from './portal-env.js';
import { portalStrings as s } from './portal-strings.js';
import { assetPath } from './portal-assets.js';

export interface LayoutProps {
  /** The page's own title (the <title> adds the site name) and its <h1>. */
  readonly title: string;
  readonly c: PortalContext;
  readonly children?: Child;
}

/** The hidden CSRF field every POST form carries (the request is refused with 403 without it); the console's forms carry it too. */
export function CsrfField(props: { readonly c: { readonly var: { readonly csrf: string } } }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.c.var.csrf} />;
}

/** A message above a page's content: role=alert for errors (read out at once), role=status otherwise. */
export function Message(props: { readonly kind: 'error' | 'info'; readonly children?: Child }) {
  return (
    <div class={`message ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/**
 * Every portal page: a skip link, the header with the site's name (and,
 * signed in, who and the sign-out form), and the main landmark holding the
 * page's <h1> and content.
 */
export function Layout(props: LayoutProps) {
  const { c } = props;
  const site = c.var.deps.config.portal.siteName;
  const signedIn = c.var.signedIn;
  return (
    <html lang={s.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{s.pageTitle(props.title, site)}</title>
        <link rel="stylesheet" href={assetPath('portal.css')} />
        <script src={assetPath('portal.js')} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          {s.skipLink}
        </a>
        <header class="site">
          <a class="name" href="/portal">
            {site}
          </a>
          {signedIn === null ? null : (
            <nav aria-label={s.siteNav}>
              <span>{s.signedInAs(signedIn.account.username)}</span>
              <form method="post" action="/portal/logout">
                <CsrfField c={c} />
                <button type="submit">{s.signOut}</button>
              </form>
            </nav>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}
