import type { Hono } from 'hono';
import { confirmEmailChange, contactAddress, pendingEmailChange, requestEmailChange } from '../app/email-change.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { CsrfField, Layout, Message } from './layout.js';
import { signInRedirect } from './login-page.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { portalStrings as s } from './portal-strings.js';
import { portalActor } from '../app/portal-actor.js';
import { field } from './form-field.js';

function zoned(iso: string, timeZone: string): string {
  return `${new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))} (${timeZone})`;
}

function EmailPage(props: { readonly c: PortalContext; readonly current: string | null; readonly value?: string; readonly error?: string }) {
  const { c, error } = props;
  return (
    <Layout title={s.emailTitle} c={c}>
      {error === undefined ? null : <Message kind="error">{s.emailFix}</Message>}
      <p>{props.current === null ? s.emailNone : s.emailCurrent(props.current)}</p>
      <p>{s.emailIntro}</p>
      <form class="stacked" method="post" action="/portal/email">
        <CsrfField c={c} />
        <label for="email">{s.emailNew}</label>
        <input
          type="email"
          id="email"
          name="email"
          autocomplete="email"
          autocapitalize="none"
          spellcheck={false}
          required
          value={props.value ?? ''}
          {...(error === undefined ? {} : { 'aria-invalid': 'true', 'aria-describedby': 'email-error' })}
        />
        {error === undefined ? null : (
          <p class="field-error" id="email-error">
            {error}
          </p>
        )}
        <div>
          <button type="submit">{s.emailSend}</button>
        </div>
      </form>
      <p>
        <a href="/portal">{s.backToPortal}</a>
      </p>
    </Layout>
  );
}

/** A link's page that cannot confirm: unknown, used or expired (the reason in words). */
function LinkProblem(props: { readonly c: PortalContext; readonly message: string }) {
  return (
    <Layout title={s.emailConfirmTitle} c={props.c}>
      <Message kind="error">{props.message}</Message>
      <p>
        <a href="/portal/email">{s.emailAskAgain}</a>
      </p>
    </Layout>
  );
}

/**
 * /portal/email (issue 14 item 4): a signed-in member gives a new address;
 * a link goes there and the old address is told. /portal/email/confirm is
 * the link: its GET only shows what would change and a button, since mail
 * scanners and link previews follow links; the POST (CSRF-checked like
 * every form) confirms. The link needs no sign-in: it proves the mailbox,
 * and it may be opened on another device.
 */
export function mountEmailPage(portal: Hono<PortalEnv>): void {
  portal.get('/email', async (c) => {
    const signedIn = c.var.signedIn;
    if (signedIn === null) return signInRedirect(c);
    const deps = c.var.deps;
    const person = await deps.store.read.getPerson(signedIn.session.personId);
    if (person === undefined) return signInRedirect(c);
    const accounts = await deps.store.read.accountsOfPeople([person.id]);
    return c.html(<EmailPage c={c} current={contactAddress({ ...deps, actor: 'portal' }, person, accounts)} />);
  });

  portal.post('/email', async (c) => {
    const signedIn = c.var.signedIn;
    if (signedIn === null) return signInRedirect(c);
    const deps = c.var.deps;
    const personId = signedIn.session.personId;
    const value = field(await c.req.parseBody(), 'email').trim();
    const ctx = { ...deps, actor: portalActor(personId) };
    const again = async (error: string, status: 400 | 503) => {
      const person = await deps.store.read.getPerson(personId);
      const current = person === undefined ? null : contactAddress(ctx, person, await deps.store.read.accountsOfPeople([personId]));
      return c.html(<EmailPage c={c} current={current} value={value} error={error} />, status);
    };
    if (value === '') return again(s.emailMissing, 400);
    try {
      const asked = await requestEmailChange(ctx, personId, value);
      deps.log.info('portal: an e-mail change was asked for', { person: personId });
      return await c.html(
        <Layout title={s.emailSentTitle} c={c}>
          <Message kind="info">{s.emailSent(value)}</Message>
          <p>{s.emailSentExpires(zoned(asked.expiresAt, deps.config.timeZone))}</p>
          {asked.oldAddress === null ? null : <p>{s.emailSentOldTold(asked.oldAddress)}</p>}
          <p>
            <a href="/portal">{s.backToPortal}</a>
          </p>
        </Layout>,
      );
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      if (e.code === 'bad_input') return again(e.issues[0]?.message === 'is not an e-mail address (name@example.org)' ? s.emailInvalid : s.emailRefused(e.message), 400);
      return again(s.emailFailed(errorMessage(e)), 503);
    }
  });

  portal.get('/email/confirm', async (c) => {
    const deps = c.var.deps;
    const token = c.req.query('token') ?? '';
    if (token === '') return c.html(<LinkProblem c={c} message={s.emailLinkUnknown} />, 400);
    try {
      const change = await pendingEmailChange({ ...deps, actor: 'portal' }, token);
      return await c.html(
        <Layout title={s.emailConfirmTitle} c={c}>
          <p>{s.emailConfirmAsk(change.newAddress)}</p>
          <form method="post" action="/portal/email/confirm">
            <CsrfField c={c} />
            <input type="hidden" name="token" value={token} />
            <button type="submit">{s.emailConfirmButton}</button>
          </form>
        </Layout>,
      );
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      return c.html(<LinkProblem c={c} message={linkProblem(e)} />, e.code === 'not_found' ? 404 : 410);
    }
  });

  portal.post('/email/confirm', async (c) => {
    const deps = c.var.deps;
    const token = field(await c.req.parseBody(), 'token');
    if (token === '') return c.html(<LinkProblem c={c} message={s.emailLinkUnknown} />, 400);
    try {
      const done = await confirmEmailChange({ ...deps, actor: 'portal' }, token);
      deps.log.info('portal: an e-mail change was confirmed', { person: done.personId });
      return await c.html(
        <Layout title={s.emailChangedTitle} c={c}>
          <Message kind="info">{s.emailChanged(done.address)}</Message>
          <p>
            <a href="/portal">{s.backToPortal}</a>
          </p>
        </Layout>,
      );
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      return c.html(<LinkProblem c={c} message={linkProblem(e)} />, e.code === 'not_found' ? 404 : 410);
    }
  });
}

function linkProblem(e: RosterError): string {
  const where = e.issues[0]?.message;
  if (e.code === 'not_found') return s.emailLinkUnknown;
  if (where === 'was used already') return s.emailLinkUsed;
  if (where === 'has expired') return s.emailLinkExpired;
  return e.message;
}
