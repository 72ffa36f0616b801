import type { Hono } from 'hono';
import { createApiToken, listApiTokens, revokeApiToken, type CreatedToken, type TokenView } from '../app/api-tokens.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { ADMINS } from '../server/permissions.js';
import { TOKEN_ROLES } from '../store/queries/token-queries.js';
import { consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, described, FieldNotes, Message, ScrollTable } from './console-layout.js';
import { consoleTime } from './time-words.js';

type Field = 'role' | 'note' | 'host' | 'expires';

const s = {
  title: 'API tokens',
  intro: 'Tokens let programs use Roster’s API (and agents report for their host). Roster keeps only a hash of each: a token’s secret is shown once, when it is made.',
  caption: (tz: string) => `Tokens, revoked and expired ones too (times in ${tz})`,
  cols: ['Token', 'Role', 'Description', 'Created', 'Last used', 'Expires', 'Status', 'Action'],
  roleOf: (t: TokenView) => (t.host === null ? t.role : `${t.role} for ${t.host}`),
  none: 'There are no tokens yet.',
  active: 'active',
  revoked: (at: string) => `revoked ${at}`,
  expired: 'expired',
  never: 'never',
  neverUsed: 'not yet',
  by: (who: string) => `by ${who}`,
  // The button reads "Revoke"; its name says which token (the visible word comes first, WCAG 2.5.3).
  revoke: 'Revoke',
  revokeWhich: (id: number) => ` token ${id}`,
  createTitle: 'Create a token',
  labels: { role: 'Role', note: 'Description', host: 'Host (agent tokens)', expires: 'Expires after' } satisfies Record<Field, string>,
  hints: {
    role: 'admin: everything; operator: day-to-day changes; auditor: reads only; scim: the SCIM endpoints; agent: one host’s desired state and reports.',
    note: 'What or who the token is for (at most 200 characters).',
    host: 'Only for an agent token: the host it acts for.',
    expires: 'A duration such as 90d, 12h or 30m, or never.',
  } satisfies Record<Field, string>,
  noHost: '(none)',
  create: 'Create the token',
  fix: 'The token was not created; fix the fields marked below.',
  createdTitle: 'Token created',
  secretLabel: 'The new token',
  secretOnce: 'Copy it now: this is the only time it is shown. Roster keeps only its hash; if it is lost, revoke it and create another.',
  createdFacts: (t: TokenView) => `Token ${t.id}, role ${t.role}${t.host === null ? '' : ` for host ${t.host}`}.`,
  back: 'Back to the tokens',
  revokedMessage: (id: number) => `Token ${id} is revoked: requests with it are refused from now on.`,
  notFound: (id: string) => `There is no token ${id}.`,
  fieldErrors: {
    role: 'Choose one of the roles.',
    hostRequired: 'An agent token acts for one host: choose it.',
    hostOnlyAgent: 'Only agent tokens have a host: choose (none).',
    hostUnknown: 'Not a host in roster.yaml.',
    note: 'At most 200 characters, without control characters.',
    expires: 'A duration such as 90d, 12h or 30m, or never.',
  },
};

/** The page's message for a refusal of createApiToken, keyed by the form field it names. */
function fieldErrors(issues: readonly ErrorIssue[]): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  for (const i of issues) {
    if (i.where === '--role') out.role = s.fieldErrors.role;
    else if (i.where === '--host') out.host = i.message === 'unknown host' ? s.fieldErrors.hostUnknown : i.message.startsWith('only') ? s.fieldErrors.hostOnlyAgent : s.fieldErrors.hostRequired;
    else if (i.where === '--note') out.note = s.fieldErrors.note;
    else if (i.where === '--expires') out.expires = s.fieldErrors.expires;
  }
  return out;
}


function status(t: TokenView, now: string, tz: string): string {
  if (t.revokedAt !== null) return s.revoked(consoleTime(t.revokedAt, tz));
  if (t.expiresAt !== null && t.expiresAt <= now) return s.expired;
  return s.active;
}

interface FormState {
  readonly values: Readonly<Record<Field, string>>;
  readonly errors: Partial<Record<Field, string>>;
}

const EMPTY: FormState = { values: { role: 'operator', note: '', host: '', expires: '90d' }, errors: {} };

function TokensPage(props: { readonly c: ConsoleContext; readonly tokens: readonly TokenView[]; readonly form: FormState; readonly notice?: { readonly kind: 'error' | 'info'; readonly text: string } }) {
  const { c, tokens, form } = props;
  const deps = c.var.deps;
  const tz = deps.config.timeZone;
  const now = deps.clock.now().toISOString();
  const hosts = Object.keys(deps.config.hosts);
  const failed = Object.keys(form.errors).length > 0;
  return (
    <ConsoleLayout title={s.title} c={c}>
      {failed ? <Message kind="error">{s.fix}</Message> : null}
      {props.notice === undefined ? null : <Message kind={props.notice.kind}>{props.notice.text}</Message>}
      <p>{s.intro}</p>
      {tokens.length === 0 ? (
        <p>{s.none}</p>
      ) : (
        <ScrollTable captionId="tokens-caption" caption={s.caption(tz)} cols={s.cols}>
          {tokens.map((t) => {
            const state = status(t, now, tz);
            return (
              <tr>
                <td class="num">{t.id}</td>
                <td>{s.roleOf(t)}</td>
                <td>{t.note ?? ''}</td>
                <td class="when">
                  {consoleTime(t.createdAt, tz)} <br />
                  <span class="muted">{s.by(t.createdBy)}</span>
                </td>
                <td class="when">{t.lastUsedAt === null ? <span class="muted">{s.neverUsed}</span> : consoleTime(t.lastUsedAt, tz)}</td>
                <td class="when">{t.expiresAt === null ? s.never : consoleTime(t.expiresAt, tz)}</td>
                <td>{state}</td>
                <td>
                  {state === s.active ? (
                    <form method="post" action={`/console/tokens/${t.id}/revoke`}>
                      <CsrfField c={c} />
                      <button type="submit" class="danger">
                        {s.revoke}
                        <span class="visually-hidden">{s.revokeWhich(t.id)}</span>
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </ScrollTable>
      )}
      <h2>{s.createTitle}</h2>
      <form class="stacked" method="post" action="/console/tokens">
        <CsrfField c={c} />
        <label for="token-role">{s.labels.role}</label>
        <select id="token-role" name="role" {...described('token-role', form.errors.role)}>
          {TOKEN_ROLES.map((r) => (
            <option value={r} selected={form.values.role === r}>
              {r}
            </option>
          ))}
        </select>
        <FieldNotes id="token-role" hint={s.hints.role} error={form.errors.role} />
        <label for="token-note">{s.labels.note}</label>
        <input type="text" id="token-note" name="note" maxlength={200} value={form.values.note} autocomplete="off" {...described('token-note', form.errors.note)} />
        <FieldNotes id="token-note" hint={s.hints.note} error={form.errors.note} />
        <label for="token-host">{s.labels.host}</label>
        <select id="token-host" name="host" {...described('token-host', form.errors.host)}>
          <option value="" selected={form.values.host === ''}>
            {s.noHost}
          </option>
          {hosts.map((h) => (
            <option value={h} selected={form.values.host === h}>
              {h}
            </option>
          ))}
        </select>
        <FieldNotes id="token-host" hint={s.hints.host} error={form.errors.host} />
        <label for="token-expires">{s.labels.expires}</label>
        <input type="text" id="token-expires" name="expires" value={form.values.expires} autocomplete="off" spellcheck={false} {...described('token-expires', form.errors.expires)} />
        <FieldNotes id="token-expires" hint={s.hints.expires} error={form.errors.expires} />
        <button type="submit">{s.create}</button>
      </form>
    </ConsoleLayout>
  );
}

function CreatedPage(props: { readonly c: ConsoleContext; readonly created: CreatedToken }) {
  const { c, created } = props;
  return (
    <ConsoleLayout title={s.createdTitle} c={c}>
      <Message kind="info">{s.createdFacts(created.record)}</Message>
      <div class="stacked">
        <label for="token-secret">{s.secretLabel}</label>
        <input type="text" id="token-secret" class="copy" readonly value={created.token} aria-describedby="token-secret-hint" spellcheck={false} autocomplete="off" />
        <p class="hint" id="token-secret-hint">
          {s.secretOnce}
        </p>
      </div>
      <p>
        <a href="/console/tokens">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

function text(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}

/**
 * API tokens in the console (issue 16 item 5), for admins only, as in the
 * API: the list (never a secret or a hash), creating one with its secret
 * shown once on the answer to the POST (never stored, never in a link or a
 * later page, not cached), and revoking one.
 */
export function mountTokensPage(console: Hono<ConsoleEnv>): void {
  console.get('/tokens', requireRole(ADMINS), async (c) => {
    const tokens = await listApiTokens(consoleAppContext(c));
    return c.html(<TokensPage c={c} tokens={tokens} form={EMPTY} />);
  });

  console.post('/tokens', requireRole(ADMINS), async (c) => {
    const body = await c.req.parseBody();
    const values = { role: text(body, 'role'), note: text(body, 'note').trim(), host: text(body, 'host'), expires: text(body, 'expires').trim() };
    const ctx = consoleAppContext(c);
    try {
      const created = await createApiToken(ctx, {
        role: values.role,
        ...(values.host === '' ? {} : { host: values.host }),
        ...(values.note === '' ? {} : { note: values.note }),
        expires: values.expires === '' ? '90d' : values.expires,
      });
      // The one answer that holds the secret: kept out of every cache and the history's copy.
      c.header('cache-control', 'no-store');
      return await c.html(<CreatedPage c={c} created={created} />, 201);
    } catch (e) {
      if (!(e instanceof RosterError) || e.issues.length === 0) throw e;
      const errors = fieldErrors(e.issues);
      if (Object.keys(errors).length === 0) throw e;
      return c.html(<TokensPage c={c} tokens={await listApiTokens(ctx)} form={{ values, errors }} />, 400);
    }
  });

  console.post('/tokens/:id/revoke', requireRole(ADMINS), async (c) => {
    const id = c.req.param('id');
    const ctx = consoleAppContext(c);
    if (!/^\d{1,15}$/.test(id) || Number(id) < 1) return c.html(<TokensPage c={c} tokens={await listApiTokens(ctx)} form={EMPTY} notice={{ kind: 'error', text: s.notFound(id) }} />, 404);
    try {
      await revokeApiToken(ctx, Number(id));
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'not_found') throw e;
      return c.html(<TokensPage c={c} tokens={await listApiTokens(ctx)} form={EMPTY} notice={{ kind: 'error', text: s.notFound(id) }} />, 404);
    }
    return c.html(<TokensPage c={c} tokens={await listApiTokens(ctx)} form={EMPTY} notice={{ kind: 'info', text: s.revokedMessage(Number(id)) }} />);
  });
}
