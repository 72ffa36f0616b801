import type { Child } from 'hono/jsx';
import { CsrfField, Message } from '../portal/layout.js';
import { ADMINS, READERS, WRITERS } from '../server/permissions.js';
import type { TokenRole } from '../store/queries/token-queries.js';
import { consoleAssetPath } from './console-assets.js';
import type { ConsoleContext } from './console-env.js';

/** The console's sections, in the order of its navigation, each shown to the roles that may open it. */
const SECTIONS: ReadonlyArray<{ readonly href: string; readonly label: string; readonly roles: readonly TokenRole[] }> = [
  { href: '/console', label: 'Search', roles: READERS },
  { href: '/console/hosts', label: 'Hosts', roles: READERS },
  { href: '/console/jobs', label: 'Jobs', roles: READERS },
  { href: '/console/audit', label: 'Audit', roles: READERS },
  { href: '/console/approvals', label: 'Approvals', roles: READERS },
  { href: '/console/tokens', label: 'Tokens', roles: ADMINS },
  { href: '/console/sync', label: 'Sync', roles: WRITERS },
];

export interface ConsoleLayoutProps {
  /** The page's own title (the <title> adds "Roster console") and its <h1>. */
  readonly title: string;
  readonly c: ConsoleContext;
  readonly children?: Child;
}

// The portal's hidden CSRF field and message box serve the console's pages as they are.
export { CsrfField, Message };

/** A field's aria-describedby (its hint, and its error when there is one) and aria-invalid: spread onto the input. */
export function described(id: string, error: string | undefined): Record<string, string> {
  return { 'aria-describedby': `${id}-hint${error === undefined ? '' : ` ${id}-error`}`, ...(error === undefined ? {} : { 'aria-invalid': 'true' }) };
}

/** The hint under a field (id `<id>-hint`) and its error when there is one (id `<id>-error`), which `described` points the input at. */
export function FieldNotes(props: { readonly id: string; readonly hint: string; readonly error: string | undefined }) {
  return (
    <>
      <p class="hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
      {props.error === undefined ? null : (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </>
  );
}

/** The section a path belongs to (for aria-current): the longest section prefix. */
function currentSection(path: string): string | undefined {
  if (path === '/console' || path === '/console/' || path.startsWith('/console/search') || path.startsWith('/console/accounts') || path.startsWith('/console/people') || path.startsWith('/console/bulk')) return '/console';
  return SECTIONS.find((s) => s.href !== '/console' && path.startsWith(s.href))?.href;
}

/**
 * Every console page: a skip link, the header (site name; signed in: who,
 * with which role, and the sign-out form), the sections' navigation once
 * signed in, and the main landmark holding the page's <h1> and content.
 */
export function ConsoleLayout(props: ConsoleLayoutProps) {
  const { c } = props;
  const site = c.var.deps.config.portal.siteName;
  const user = c.var.user;
  const current = currentSection(c.req.path);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${site} console`}</title>
        <link rel="stylesheet" href={consoleAssetPath('portal.css')} />
        <link rel="stylesheet" href={consoleAssetPath('console.css')} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="site">
          <a class="name" href="/console">
            {site} console
          </a>
          {user === null ? null : (
            <div class="who">
              <span>
                Signed in as {user.account.username} <span class="role">({user.role})</span>
              </span>{' '}
              <form method="post" action="/console/logout">
                <CsrfField c={c} />
                <button type="submit" class="link">
                  Sign out
                </button>
              </form>
            </div>
          )}
        </header>
        {user === null ? null : (
          <nav class="sections" aria-label="Console sections">
            <ul>
              {SECTIONS.filter((s) => s.roles.includes(user.role)).map((s) => (
                <li>
                  <a href={s.href} {...(s.href === current ? { 'aria-current': 'page' } : {})}>
                    {s.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** 403: the signed-in user's role does not allow this (a form of another role's, or a forged request); nothing was changed. */
export function forbiddenPage(c: ConsoleContext): Response | Promise<Response> {
  return c.html(
    <ConsoleLayout title="Not allowed" c={c}>
      <p>Your role does not allow this. Nothing was changed.</p>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </ConsoleLayout>,
    403,
  );
}

export interface ScrollTableProps {
  /** The caption's id: the caption names the scrolling region (aria-labelledby). */
  readonly captionId: string;
  readonly caption: Child;
  /** Hide the caption from sight (still read out) when a heading above already says it. */
  readonly hideCaption?: boolean;
  readonly tableId?: string;
  readonly tableClass?: string;
  /** The column headers, one <th scope="col"> each. */
  readonly cols: readonly string[];
  /** The indexes in `cols` of the columns that hold numbers (their header gets class num). */
  readonly num?: readonly number[];
  /** The rows: the table's <tbody> holds them. */
  readonly children?: Child;
}

/**
 * A table too wide for a narrow screen, in a region that scrolls on its own:
 * named by the caption and focusable (tabindex 0), so a keyboard user can
 * reach it and scroll it with the arrow keys.
 */
export function ScrollTable(props: ScrollTableProps) {
  return (
    <div class="table-scroll" role="region" aria-labelledby={props.captionId} tabindex={0}>
      <table id={props.tableId} class={props.tableClass}>
        <caption id={props.captionId} class={props.hideCaption === true ? 'visually-hidden' : undefined}>
          {props.caption}
        </caption>
        <thead>
          <tr>
            {props.cols.map((h, i) => (
              <th scope="col" class={props.num?.includes(i) === true ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
