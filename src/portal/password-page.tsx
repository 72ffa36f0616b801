import type { Hono } from 'hono';
import { changeOwnPassword } from '../app/member-password.js';
import type { Account } from '../domain/account.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { verifyPassword } from '../system/libcrypt.js';
import { CsrfField, Layout, Message } from './layout.js';
import { signInRedirect } from './login-page.js';
import { checkNewPassword, FieldError, formHasErrors, invalid, NewPasswordFields, refusedNewPassword, type NewPasswordField, type NewPasswordForm } from './new-password.js';
import { startSession } from './portal-session.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { portalStrings as s } from './portal-strings.js';
import { clearFailures, recordFailure, throttleState } from './throttle.js';
import { portalActor } from '../app/portal-actor.js';
import { field } from './form-field.js';

type Field = 'current' | NewPasswordField;

type PasswordForm = NewPasswordForm<Field>;

function PasswordPage(props: { readonly c: PortalContext; readonly account: Account; readonly form: PasswordForm }) {
  const { c, account, form } = props;
  const type = c.var.deps.config.types[account.type];
  const policy = type?.password;
  const any = formHasErrors(form);
  return (
    <Layout title={s.passwordChangeTitle} c={c}>
      {any ? (
        <Message kind="error">
          <span>{form.error ?? s.passwordChangeFix}</span>
        </Message>
      ) : null}
      <p>{s.passwordChangeIntro(account.username)}</p>
      <form class="stacked" method="post" action="/portal/password">
        <CsrfField c={c} />
        <input type="hidden" name="account" value={account.username} />
        <label for="current">{s.currentPassword}</label>
        <input type="password" id="current" name="current" autocomplete="current-password" required {...invalid(form, 'current')} />
        <FieldError form={form} f="current" />
        <NewPasswordFields form={form} policy={policy} />
        <div>
          <button type="submit">{s.passwordChangeButton}</button>
        </div>
      </form>
      <p>
        <a href="/portal">{s.backToPortal}</a>
      </p>
    </Layout>
  );
}

function DonePage(props: { readonly c: PortalContext; readonly account: Account }) {
  return (
    <Layout title={s.passwordChangedTitle} c={props.c}>
      <Message kind="info">{s.passwordChanged(props.account.username)}</Message>
      <p>{s.passwordChangedHosts}</p>
      <p>{s.passwordChangedSessions}</p>
      <p>
        <a href="/portal">{s.backToPortal}</a>
      </p>
    </Layout>
  );
}

/**
 * The account whose password the page changes: the one named (one of the
 * member's own, not purged), else the one the member signed in with.
 */
async function chosenAccount(c: PortalContext, name: string | undefined): Promise<Account | undefined> {
  const signedIn = c.var.signedIn;
  if (signedIn === null) return undefined;
  if (name === undefined || name === '' || name === signedIn.account.username) return signedIn.account;
  const account = await c.var.deps.store.read.getAccount(name);
  return account !== undefined && account.personId === signedIn.session.personId && account.purgedAt === null ? account : undefined;
}

/**
 * GET and POST /portal/password (issue 14 item 4): the current password,
 * the new one twice, the policy shown before typing and every reason on a
 * refusal. Wrong current passwords count against the member's person (the
 * sign-in throttle's limits), so a session left open is no password oracle.
 */
export function mountPasswordPage(portal: Hono<PortalEnv>): void {
  portal.get('/password', async (c) => {
    if (c.var.signedIn === null) return signInRedirect(c);
    const account = await chosenAccount(c, c.req.query('account'));
    if (account === undefined) return c.html(<PasswordUnknown c={c} />, 404);
    if (c.req.query('changed') !== undefined) return c.html(<DonePage c={c} account={account} />);
    return c.html(<PasswordPage c={c} account={account} form={{ errors: {}, problems: [] }} />);
  });

  portal.post('/password', async (c) => {
    const signedIn = c.var.signedIn;
    if (signedIn === null) return signInRedirect(c);
    const deps = c.var.deps;
    const body = await c.req.parseBody();
    const account = await chosenAccount(c, field(body, 'account'));
    if (account === undefined) return c.html(<PasswordUnknown c={c} />, 404);
    const current = field(body, 'current');
    const next = field(body, 'password');
    const confirm = field(body, 'confirm');
    const errors: Partial<Record<Field, string>> = {};
    if (current === '') errors.current = s.currentPasswordMissing;
    checkNewPassword(errors, next, confirm);
    if (Object.keys(errors).length > 0) return c.html(<PasswordPage c={c} account={account} form={{ errors, problems: [] }} />, 400);

    const key = `password:person:${signedIn.session.personId}`;
    const throttle = await throttleState(deps, [key]);
    if (throttle.blocked) return c.html(<PasswordPage c={c} account={account} form={{ errors: {}, problems: [], error: s.passwordThrottled(s.waitMinutes(throttle.waitMinutes)) }} />, 429);
    try {
      await changeOwnPassword({ ...deps, actor: portalActor(signedIn.session.personId) }, { personId: signedIn.session.personId, username: account.username, current, next }, verifyPassword);
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      if (e.code === 'unauthorized') {
        await recordFailure(deps, [key]);
        return c.html(<PasswordPage c={c} account={account} form={{ errors: { current: s.currentPasswordWrong }, problems: [] }} />, 400);
      }
      const refused = refusedNewPassword(e);
      if (refused !== undefined) return c.html(<PasswordPage c={c} account={account} form={refused} />, 400);
      return c.html(<PasswordPage c={c} account={account} form={{ errors: {}, problems: [], error: s.passwordChangeFailed(errorMessage(e)) }} />, e.status >= 500 ? 503 : 400);
    }
    await clearFailures(deps, key);
    // Whoever else holds a session of this person (a shared computer, a stolen cookie) is signed out; this browser gets a new session.
    await deps.store.transaction((tx) => tx.deletePersonPortalSessions(signedIn.session.personId));
    await startSession(c, signedIn.account);
    deps.log.info(`portal: ${account.username} changed its password`, { person: signedIn.session.personId });
    // Post/redirect/get: the page after is rendered with the new session's CSRF token, and a reload sends nothing again.
    return c.redirect(`/portal/password?account=${encodeURIComponent(account.username)}&changed=1`, 303);
  });
}

function PasswordUnknown(props: { readonly c: PortalContext }) {
  return (
    <Layout title={s.passwordChangeTitle} c={props.c}>
      <Message kind="error">{s.passwordNoSuchAccount}</Message>
      <p>
        <a href="/portal">{s.backToPortal}</a>
      </p>
    </Layout>
  );
}
