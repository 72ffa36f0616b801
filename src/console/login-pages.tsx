import type { Hono } from 'hono';
import { renderSVG } from 'uqr';
import type { Account } from '../domain/account.js';
import { checkCredentials } from '../portal/login-page.js';
import { clearFailures, recordFailure, throttleState } from '../portal/throttle.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { CsrfField, ConsoleLayout, Message } from './console-layout.js';
import { consoleAllows, endConsoleSession, startConsoleSession } from './console-session.js';
import { looksLikeRecoveryCode, newRecoveryCodes, newTotpSecret, openSecret, recoveryHash, sealSecret, totpStep, totpUri } from './second-factor.js';
import { field } from '../portal/form-field.js';

/** One audit record per sign-in attempt, passed or refused (issue 16 item 1). */
async function auditSignIn(c: ConsoleContext, username: string, result: 'ok' | 'refused', step: string, why?: string): Promise<void> {
  const deps = c.var.deps;
  await deps.store.transaction((tx) =>
    tx.appendAudit({
      at: deps.clock.now().toISOString(),
      actor: `console:${username}`,
      action: 'console.sign-in',
      target: `account:${username}`,
      before: null,
      after: { step, address: c.var.clientAddress, ...(why === undefined ? {} : { why }) },
      result,
    }),
  );
}

function PasswordPage(props: { readonly c: ConsoleContext; readonly username?: string; readonly error?: string; readonly info?: string }) {
  const { c } = props;
  const invalid = props.error === undefined ? {} : { 'aria-invalid': 'true', 'aria-describedby': 'login-error' };
  return (
    <ConsoleLayout title="Sign in to the console" c={c}>
      {props.info === undefined ? null : <Message kind="info">{props.info}</Message>}
      {props.error === undefined ? null : (
        <Message kind="error">
          <span id="login-error">{props.error}</span>
        </Message>
      )}
      <form class="stacked" method="post" action="/console/login">
        <CsrfField c={c} />
        <label for="username">Username</label>
        <input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={props.username ?? ''} {...invalid} />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required {...invalid} />
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
    </ConsoleLayout>
  );
}

function CodePage(props: { readonly c: ConsoleContext; readonly error?: string }) {
  const { c } = props;
  return (
    <ConsoleLayout title="Second factor" c={c}>
      {props.error === undefined ? null : (
        <Message kind="error">
          <span id="code-error">{props.error}</span>
        </Message>
      )}
      <form class="stacked" method="post" action="/console/login/code">
        <CsrfField c={c} />
        <label for="code">Authentication code</label>
        <p class="hint" id="code-hint">
          The six digits your authenticator app shows for this console, or one of your recovery codes.
        </p>
        <input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="text" autocapitalize="none" spellcheck={false} required aria-describedby={props.error === undefined ? 'code-hint' : 'code-hint code-error'} {...(props.error === undefined ? {} : { 'aria-invalid': 'true' })} />
        <div>
          <button type="submit">Verify</button>
        </div>
      </form>
      <form method="post" action="/console/logout">
        <CsrfField c={c} />
        <button type="submit" class="link">
          Cancel and sign out
        </button>
      </form>
    </ConsoleLayout>
  );
}

function EnrolPage(props: { readonly c: ConsoleContext; readonly secret: string; readonly account: Account; readonly error?: string }) {
  const { c, secret, account } = props;
  const uri = totpUri(secret, c.var.deps.config.console.issuer, account.username);
  const qr = `data:image/svg+xml;base64,${Buffer.from(renderSVG(uri, { border: 2 })).toString('base64')}`;
  return (
    <ConsoleLayout title="Set up your second factor" c={c}>
      {props.error === undefined ? null : (
        <Message kind="error">
          <span id="code-error">{props.error}</span>
        </Message>
      )}
      <p>The console asks for a code from an authenticator app at every sign-in. Scan this code with the app, or type the key into it by hand.</p>
      <p>
        <img class="qr" src={qr} alt={`QR code of the set-up key for ${account.username}`} width={192} height={192} />
      </p>
      <p>
        Key: <code class="secret">{secret.replace(/(.{4})/g, '$1 ').trim()}</code>
      </p>
      <form class="stacked" method="post" action="/console/login/enrol">
        <CsrfField c={c} />
        <label for="code">Authentication code</label>
        <p class="hint" id="code-hint">
          The six digits the app now shows, to check it is set up.
        </p>
        <input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required aria-describedby={props.error === undefined ? 'code-hint' : 'code-hint code-error'} {...(props.error === undefined ? {} : { 'aria-invalid': 'true' })} />
        <div>
          <button type="submit">Verify and continue</button>
        </div>
      </form>
    </ConsoleLayout>
  );
}

function RecoveryPage(props: { readonly c: ConsoleContext; readonly codes: readonly string[] }) {
  return (
    <ConsoleLayout title="Your recovery codes" c={props.c}>
      <Message kind="info">Your second factor is set up.</Message>
      <p>Each of these codes signs you in once without the app (a lost phone). Keep them somewhere safe: they are shown only now.</p>
      <ol class="recovery-codes">
        {props.codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p>
        <a class="button" href="/console">
          Continue to the console
        </a>
      </p>
    </ConsoleLayout>
  );
}

/** The secret being set up for the pending account: the stored one while unconfirmed, else a new one stored now. */
async function enrolmentSecret(c: ConsoleContext, account: Account): Promise<string> {
  const deps = c.var.deps;
  const existing = await deps.store.read.getConsoleSecondFactor(account.id);
  if (existing !== undefined && existing.confirmedAt === null) return openSecret(deps.hmacKey, existing.sealedSecret);
  if (existing !== undefined) throw new Error('the second factor is already set up');
  const secret = newTotpSecret();
  await deps.store.transaction((tx) => tx.putConsoleSecondFactor({ accountId: account.id, sealedSecret: sealSecret(deps.hmacKey, secret), createdAt: deps.clock.now().toISOString(), confirmedAt: null, lastStep: 0, recoveryHashes: [] }));
  return secret;
}

/**
 * The console's sign-in (issue 16 item 1): username and password (the
 * portal's check, throttled alike), then the second factor — a TOTP code or
 * a recovery code — or, the first time, its set-up: a key and QR code, the
 * first code to confirm it, then ten recovery codes shown once. Only users
 * named in roster.yaml's `console` get past the password; each attempt is
 * audited. GET/POST /console/login, /console/login/code,
 * /console/login/enrol; POST /console/logout.
 */
export function mountConsoleLogin(console: Hono<ConsoleEnv>): void {
  console.get('/login', (c) => {
    if (c.var.user !== null) return c.redirect('/console', 303);
    const q = c.req.query();
    const info = q.ended !== undefined || c.var.sessionEnded ? 'Your session ended. Sign in again.' : q.out !== undefined ? 'You are signed out.' : undefined;
    return c.html(<PasswordPage c={c} {...(info === undefined ? {} : { info })} />);
  });

  console.post('/login', async (c) => {
    const deps = c.var.deps;
    const body = await c.req.parseBody();
    const username = field(body, 'username').trim();
    const password = field(body, 'password');
    if (username === '' || password === '') return c.html(<PasswordPage c={c} username={username} error="Give your username and your password." />, 400);
    const keys = [`console:address:${c.var.clientAddress}`, `console:username:${username.toLowerCase()}`];
    const throttle = await throttleState(deps, keys);
    if (throttle.blocked) {
      await auditSignIn(c, username, 'refused', 'password', 'throttled');
      return c.html(<PasswordPage c={c} username={username} error={`Too many failed attempts. Try again in ${throttle.waitMinutes} minute${throttle.waitMinutes === 1 ? '' : 's'}.`} />, 429);
    }
    const result = await checkCredentials(deps, username, password);
    // The same answer for a wrong password, an unknown name and a name without a console role: nothing tells which.
    if (!result.ok || !consoleAllows(deps.config, result.account, deps.clock.now())) {
      await recordFailure(deps, keys);
      await auditSignIn(c, username, 'refused', 'password', result.ok ? 'no console role, or the account may not sign in' : 'wrong username or password');
      return c.html(<PasswordPage c={c} username={username} error="The username or password is wrong, or this account may not use the console." />, 401);
    }
    const factor = await deps.store.read.getConsoleSecondFactor(result.account.id);
    const stage = factor?.confirmedAt == null ? 'enrol' : 'password';
    await startConsoleSession(c, result.account, stage);
    await auditSignIn(c, username, 'ok', 'password');
    return c.redirect(stage === 'enrol' ? '/console/login/enrol' : '/console/login/code', 303);
  });

  console.get('/login/code', (c) => {
    if (c.var.user !== null) return c.redirect('/console', 303);
    if (c.var.pending?.session.stage !== 'password') return c.redirect('/console/login', 303);
    return c.html(<CodePage c={c} />);
  });

  console.post('/login/code', async (c) => {
    const deps = c.var.deps;
    const pending = c.var.pending;
    if (pending?.session.stage !== 'password') return c.redirect('/console/login', 303);
    const { account } = pending;
    const code = field(await c.req.parseBody(), 'code').trim();
    const keys = [`console:address:${c.var.clientAddress}`, `console:code:${account.username}`];
    const throttle = await throttleState(deps, keys);
    if (throttle.blocked) {
      await auditSignIn(c, account.username, 'refused', 'code', 'throttled');
      return c.html(<CodePage c={c} error={`Too many wrong codes. Try again in ${throttle.waitMinutes} minute${throttle.waitMinutes === 1 ? '' : 's'}.`} />, 429);
    }
    const factor = await deps.store.read.getConsoleSecondFactor(account.id);
    const now = deps.clock.now();
    let accepted: 'totp' | 'recovery' | undefined;
    if (factor !== undefined && code !== '') {
      if (looksLikeRecoveryCode(code)) {
        if (await deps.store.transaction((tx) => tx.useConsoleRecoveryCode(account.id, recoveryHash(code)))) accepted = 'recovery';
      } else {
        const step = totpStep(openSecret(deps.hmacKey, factor.sealedSecret), code, now);
        if (step !== undefined && (await deps.store.transaction((tx) => tx.useConsoleCode(account.id, step, now.toISOString())))) accepted = 'totp';
      }
    }
    if (accepted === undefined) {
      await recordFailure(deps, keys);
      await auditSignIn(c, account.username, 'refused', 'code', 'wrong or used code');
      return c.html(<CodePage c={c} error="That code is wrong or was used already. Codes change every 30 seconds: give the one the app shows now." />, 401);
    }
    await clearFailures(deps, `console:username:${account.username.toLowerCase()}`);
    await clearFailures(deps, `console:code:${account.username}`);
    await startConsoleSession(c, account, 'done');
    const left = accepted === 'recovery' ? ((await deps.store.read.getConsoleSecondFactor(account.id))?.recoveryHashes.length ?? 0) : undefined;
    await auditSignIn(c, account.username, 'ok', accepted === 'totp' ? 'code' : `recovery code (${left ?? 0} left)`);
    return c.redirect('/console', 303);
  });

  console.get('/login/enrol', async (c) => {
    if (c.var.user !== null) return c.redirect('/console', 303);
    const pending = c.var.pending;
    if (pending?.session.stage !== 'enrol') return c.redirect('/console/login', 303);
    return c.html(<EnrolPage c={c} account={pending.account} secret={await enrolmentSecret(c, pending.account)} />);
  });

  console.post('/login/enrol', async (c) => {
    const deps = c.var.deps;
    const pending = c.var.pending;
    if (pending?.session.stage !== 'enrol') return c.redirect('/console/login', 303);
    const { account } = pending;
    const code = field(await c.req.parseBody(), 'code').trim();
    const secret = await enrolmentSecret(c, account);
    const now = deps.clock.now();
    const step = totpStep(secret, code, now);
    if (step === undefined) {
      await auditSignIn(c, account.username, 'refused', 'set-up', 'wrong code');
      return c.html(<EnrolPage c={c} account={account} secret={secret} error="That code is not the one the app should show now. Check the key, and that the phone's clock is right." />, 400);
    }
    const codes = newRecoveryCodes();
    await deps.store.transaction(async (tx) => {
      await tx.putConsoleSecondFactor({ accountId: account.id, sealedSecret: sealSecret(deps.hmacKey, secret), createdAt: now.toISOString(), confirmedAt: now.toISOString(), lastStep: step, recoveryHashes: codes.map(recoveryHash) });
    });
    await startConsoleSession(c, account, 'done');
    await auditSignIn(c, account.username, 'ok', 'set-up');
    // Shown once, in this answer (the page has no sign-out form: this request's CSRF token belongs to the session just replaced).
    return c.html(<RecoveryPage c={c} codes={codes} />);
  });

  console.post('/logout', async (c) => {
    await endConsoleSession(c);
    return c.redirect('/console/login?out=1', 303);
  });
}
