import type { Hono } from 'hono';
import { passwordResetFor, resetPasswordWithLink } from '../app/password-reset-link.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { CsrfField, Layout, Message } from './layout.js';
import { checkNewPassword, formHasErrors, NewPasswordFields, refusedNewPassword, type NewPasswordField, type NewPasswordForm } from './new-password.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { field } from './form-field.js';

const t = {
  title: 'Set a new password',
  intro: (username: string) => `Choose a new password for the account ${username}. It replaces the old one everywhere the account is used.`,
  button: 'Set the new password',
  fix: 'The password was not set. Please correct the fields marked below.',
  linkBad: 'This link is not valid: it was used already, it has expired, or it was not copied whole. Ask an administrator to send you a new one.',
  failed: (message: string) => `The password was not set: ${message}`,
  doneTitle: 'Your new password is set',
  done: (username: string) => `The password of ${username} is set. Sign in with it from now on.`,
  doneSessions: 'Every portal session of yours was signed out.',
  signIn: 'Sign in',
} as const;

interface LinkFor {
  readonly username: string;
  readonly type: string;
}

function ResetPage(props: { readonly c: PortalContext; readonly token: string; readonly link: LinkFor; readonly form: NewPasswordForm }) {
  const { c, token, link, form } = props;
  const policy = c.var.deps.config.types[link.type]?.password;
  const any = formHasErrors(form);
  return (
    <Layout title={t.title} c={c}>
      {any ? <Message kind="error">{form.error ?? t.fix}</Message> : null}
      <p>{t.intro(link.username)}</p>
      <form class="stacked" method="post" action="/portal/password/reset">
        <CsrfField c={c} />
        <input type="hidden" name="token" value={token} />
        <NewPasswordFields form={form} policy={policy} />
        <div>
          <button type="submit">{t.button}</button>
        </div>
      </form>
    </Layout>
  );
}

function LinkProblem(props: { readonly c: PortalContext }) {
  return (
    <Layout title={t.title} c={props.c}>
      <Message kind="error">{t.linkBad}</Message>
      <p>
        <a href="/portal/login">{t.signIn}</a>
      </p>
    </Layout>
  );
}

/**
 * /portal/password/reset: the link an administrator sent a member from the
 * console (src/app/password-reset-link.ts). Its GET only shows the form
 * (mail scanners follow links); the POST, CSRF-checked like every form,
 * sets the password under the type's policy with every reason shown on a
 * refusal. No sign-in is needed: the link proves the mailbox, and the
 * member has lost the password that would sign in.
 */
export function mountPasswordResetPage(portal: Hono<PortalEnv>): void {
  portal.get('/password/reset', async (c) => {
    const deps = c.var.deps;
    const token = c.req.query('token') ?? '';
    try {
      const link = await passwordResetFor({ ...deps, actor: 'portal' }, token);
      return await c.html(<ResetPage c={c} token={token} link={link} form={{ errors: {}, problems: [] }} />);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'not_found') throw e;
      return c.html(<LinkProblem c={c} />, 404);
    }
  });

  portal.post('/password/reset', async (c) => {
    const deps = c.var.deps;
    const ctx = { ...deps, actor: 'portal' };
    const body = await c.req.parseBody();
    const token = field(body, 'token');
    let link: LinkFor;
    try {
      link = await passwordResetFor(ctx, token);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'not_found') throw e;
      return c.html(<LinkProblem c={c} />, 404);
    }
    const next = field(body, 'password');
    const confirm = field(body, 'confirm');
    const errors: Partial<Record<NewPasswordField, string>> = {};
    checkNewPassword(errors, next, confirm);
    if (Object.keys(errors).length > 0) return c.html(<ResetPage c={c} token={token} link={link} form={{ errors, problems: [] }} />, 400);
    try {
      await resetPasswordWithLink(ctx, token, next);
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      if (e.code === 'not_found') return c.html(<LinkProblem c={c} />, 404);
      const refused = refusedNewPassword(e);
      if (refused !== undefined) return c.html(<ResetPage c={c} token={token} link={link} form={refused} />, 400);
      return c.html(<ResetPage c={c} token={token} link={link} form={{ errors: {}, problems: [], error: t.failed(errorMessage(e)) }} />, e.status >= 500 ? 503 : 400);
    }
    deps.log.info(`portal: ${link.username} set a new password through a link`);
    return c.html(
      <Layout title={t.doneTitle} c={c}>
        <Message kind="info">{t.done(link.username)}</Message>
        <p>{t.doneSessions}</p>
        <p>
          <a href="/portal/login">{t.signIn}</a>
        </p>
      </Layout>,
    );
  });
}
