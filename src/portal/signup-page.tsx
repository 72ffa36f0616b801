import type { Hono } from 'hono';
import { createSignupAccount } from '../app/signup-create.js';
import { identifyPerson, signupAttributes, signupDateValue, type SignupAttribute } from '../app/signup-identify.js';
import { signupOffers, typeNeedsPassword, type SignupTypeOffer } from '../app/signup-offer.js';
import { checkSignupUsername, signupUsernames } from '../app/signup-username.js';
import type { AppContext } from '../app/app-context.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { nextSlot } from '../jobs/job-schedule.js';
import type { PortalSignup } from '../store/queries/portal-queries.js';
import { CsrfField, Layout, Message } from './layout.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { portalStrings as s } from './portal-strings.js';
import { currentSignup, endSignup, startSignup, updateSignup, signupThrottle } from './signup-flow.js';
import { field } from './form-field.js';

/**
 * Self-service sign-up under /portal/signup (issue 14 item 1, RATS steps
 * 1-7), one form per step, no JavaScript needed: identify, choose a type,
 * choose a username, set a password, done. Each POST answers with the same
 * page and its errors, or redirects (303) to the next step; what a step
 * settled lives in the sign-up record (signup-flow.ts), never in the form.
 * GET /portal/signup/username?name=… answers JSON for the page's script
 * (the same check as the form's submit).
 */

const STEPS = 4;
const BASE = '/portal/signup';

/** What the use cases get: the server's dependencies, acting as the portal (createSignupAccount acts as portal:<person>). */
function appContext(c: PortalContext): AppContext {
  const d = c.var.deps;
  return { store: d.store, config: d.config, clock: d.clock, hmacKey: d.hmacKey, hasher: d.hasher, log: d.log, actor: 'portal', ...(d.principals === undefined ? {} : { principals: d.principals }) };
}

function attributeLabel(name: string): string {
  const known = s.attributeLabels[name];
  if (known !== undefined) return known;
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A field's error, read out with it (aria-describedby) and marked invalid. */
function invalid(errors: Readonly<Record<string, string>>, id: string): Record<string, string> {
  return errors[id] === undefined ? {} : { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` };
}

function FieldError(props: { readonly errors: Readonly<Record<string, string>>; readonly id: string }) {
  const message = props.errors[props.id];
  return message === undefined ? null : (
    <p class="field-error" id={`${props.id}-error`}>
      <span class="visually-hidden">{s.fieldError} </span>
      {message}
    </p>
  );
}

function Step(props: { readonly n: number }) {
  return <p class="muted">{s.signupStepOf(props.n, STEPS)}</p>;
}

// ---- Step 1: identify ----

interface IdentifyForm {
  readonly values: Readonly<Record<string, string>>;
  readonly errors: Readonly<Record<string, string>>;
  readonly message?: string;
}

function birthHints(attribute: SignupAttribute): boolean {
  return /birth|dob|bday/.test(attribute.name);
}

function IdentifyPage(props: { readonly c: PortalContext; readonly form: IdentifyForm; readonly info?: string }) {
  const { c, form } = props;
  const v = (k: string) => form.values[k] ?? '';
  return (
    <Layout title={s.signupTitle} c={c}>
      <Step n={1} />
      {props.info === undefined ? null : <Message kind="info">{props.info}</Message>}
      {form.message === undefined ? null : <Message kind="error">{form.message}</Message>}
      <p>{s.signupIntro}</p>
      <form class="stacked" method="post" action={BASE} novalidate>
        <CsrfField c={c} />
        <label for="firstName">{s.firstName}</label>
        <input type="text" id="firstName" name="firstName" autocomplete="given-name" required value={v('firstName')} {...invalid(form.errors, 'firstName')} />
        <FieldError errors={form.errors} id="firstName" />
        <label for="lastName">{s.lastName}</label>
        <input type="text" id="lastName" name="lastName" autocomplete="family-name" required value={v('lastName')} {...invalid(form.errors, 'lastName')} />
        <FieldError errors={form.errors} id="lastName" />
        {signupAttributes(c.var.deps.config).map((a) =>
          a.date ? (
            <fieldset class="date" {...(form.errors[a.name] === undefined ? {} : { 'aria-describedby': `${a.name}-error` })}>
              <legend>{attributeLabel(a.name)}</legend>
              <p class="hint" id={`${a.name}-hint`}>
                {s.dateHint}
              </p>
              <div class="date-parts">
                {(['day', 'month', 'year'] as const).map((part) => (
                  <div>
                    <label for={`${a.name}-${part}`}>{s[part]}</label>
                    <input
                      type="text"
                      inputmode="numeric"
                      id={`${a.name}-${part}`}
                      name={`${a.name}-${part}`}
                      size={part === 'year' ? 4 : 2}
                      maxlength={part === 'year' ? 4 : 2}
                      class={part === 'year' ? 'year' : 'daymonth'}
                      required
                      {...(birthHints(a) ? { autocomplete: `bday-${part}` } : {})}
                      value={v(`${a.name}-${part}`)}
                      {...(form.errors[a.name] === undefined ? {} : { 'aria-invalid': 'true' })}
                    />
                  </div>
                ))}
              </div>
              <FieldError errors={form.errors} id={a.name} />
            </fieldset>
          ) : (
            <>
              <label for={a.name}>{attributeLabel(a.name)}</label>
              <input type="text" id={a.name} name={a.name} autocomplete="off" required value={v(a.name)} {...invalid(form.errors, a.name)} />
              <FieldError errors={form.errors} id={a.name} />
            </>
          ),
        )}
        <div>
          <button type="submit">{s.signupContinue}</button>
        </div>
      </form>
    </Layout>
  );
}

// ---- Step 2: type ----

function TypePage(props: { readonly c: PortalContext; readonly person: Person; readonly offers: readonly SignupTypeOffer[]; readonly error?: string; readonly chosen?: string }) {
  const { c, offers } = props;
  const eligible = offers.filter((o) => o.status.kind === 'eligible');
  const held = offers.filter((o) => o.status.kind === 'held');
  const unavailable = offers.filter((o) => o.status.kind === 'ineligible');
  const hosts = (o: SignupTypeOffer) => (o.loginHosts.length === 0 ? s.typeNoLoginHosts : s.typeLoginHosts(o.loginHosts.join(', ')));
  return (
    <Layout title={s.typeTitle} c={c}>
      <Step n={2} />
      {props.error === undefined ? null : <Message kind="error">{props.error}</Message>}
      <p>{s.typeHello(`${props.person.firstName} ${props.person.lastName}`)}</p>
      {eligible.length === 0 ? (
        <p>{s.typeNoneEligible}</p>
      ) : (
        <form class="stacked" method="post" action={`${BASE}/type`}>
          <CsrfField c={c} />
          <fieldset>
            <legend>{s.typeLegend}</legend>
            {eligible.map((o, i) => (
              <div class="choice">
                <input type="radio" id={`type-${o.name}`} name="type" value={o.name} required checked={props.chosen === undefined ? i === 0 : props.chosen === o.name} aria-describedby={`type-${o.name}-about`} />
                <label for={`type-${o.name}`}>{o.name}</label>
                <p class="hint" id={`type-${o.name}-about`}>
                  {o.description === undefined ? '' : `${o.description} `}
                  {hosts(o)}
                </p>
              </div>
            ))}
          </fieldset>
          <button type="submit">{s.signupContinue}</button>
        </form>
      )}
      {unavailable.length === 0 ? null : (
        <section aria-labelledby="unavailable">
          <h2 id="unavailable">{s.typeUnavailableHeading}</h2>
          <ul>
            {unavailable.map((o) => (
              <li>
                <strong>{o.name}</strong>
                {o.description === undefined ? null : <span> — {o.description}</span>} {s.typeReasons} {o.status.kind === 'ineligible' ? o.status.unmet.join('; ') : ''}.
              </li>
            ))}
          </ul>
        </section>
      )}
      {held.length === 0 ? null : (
        <section aria-labelledby="held">
          <h2 id="held">{s.typeHeldHeading}</h2>
          <ul>
            {held.map((o) => (
              <li>{s.typeHeld(o.name, o.status.kind === 'held' ? o.status.username : '')}</li>
            ))}
          </ul>
          <p>{s.typeHeldNote}</p>
        </section>
      )}
      <p>
        <a href={`${BASE}?restart=1`}>{s.signupStartOver}</a>
      </p>
    </Layout>
  );
}

// ---- Step 3: username ----

function UsernamePage(props: { readonly c: PortalContext; readonly reserved: string | undefined; readonly suggestions: readonly string[]; readonly chosen?: string; readonly other?: string; readonly error?: string }) {
  const { c, suggestions } = props;
  const errors: Record<string, string> = props.error === undefined ? {} : { username: props.error };
  const otherChosen = props.chosen === 'other';
  return (
    <Layout title={s.usernameTitle} c={c}>
      <Step n={3} />
      {props.error === undefined ? null : <Message kind="error">{props.error}</Message>}
      <form class="stacked" method="post" action={`${BASE}/username`} data-username-check={`${BASE}/username`}>
        <CsrfField c={c} />
        {props.reserved !== undefined ? (
          <>
            <p>{s.usernameReserved(props.reserved)}</p>
            <input type="hidden" name="choice" value={props.reserved} />
          </>
        ) : (
          <fieldset {...(props.error === undefined ? {} : { 'aria-describedby': 'username-error' })}>
            <legend>{s.usernameLegend}</legend>
            <p class="hint">{s.usernameIntro}</p>
            {suggestions.map((name, i) => (
              <div class="choice">
                <input type="radio" id={`choice-${i}`} name="choice" value={name} checked={props.chosen === undefined ? i === 0 : props.chosen === name} />
                <label for={`choice-${i}`}>{name}</label>
              </div>
            ))}
            <div class="choice">
              <input type="radio" id="choice-other" name="choice" value="other" checked={otherChosen || (suggestions.length === 0 && props.chosen === undefined)} />
              <label for="choice-other">{s.usernameOther}</label>
            </div>
            <label for="other">{s.usernameOtherField}</label>
            <input
              type="text"
              id="other"
              name="other"
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              maxlength={64}
              value={props.other ?? ''}
              aria-describedby={`username-rules username-live${props.error === undefined ? '' : ' username-error'}`}
              {...(otherChosen && props.error !== undefined ? { 'aria-invalid': 'true' } : {})}
            />
            <p class="hint" id="username-rules">
              {s.usernameRules}
            </p>
            <p class="hint" id="username-live" role="status" aria-live="polite"></p>
            <FieldError errors={errors} id="username" />
          </fieldset>
        )}
        <button type="submit">{s.signupContinue}</button>
      </form>
      <p>
        <a href={`${BASE}/type`}>{s.typeTitle}</a> · <a href={`${BASE}?restart=1`}>{s.signupStartOver}</a>
      </p>
    </Layout>
  );
}

// ---- Step 4: password ----

function PasswordPage(props: { readonly c: PortalContext; readonly signup: PortalSignup; readonly needsPassword: boolean; readonly minLength: number; readonly minClasses: number; readonly errors?: Readonly<Record<string, string>>; readonly problems?: readonly string[] }) {
  const { c } = props;
  const errors = props.errors ?? {};
  const problems = props.problems ?? [];
  return (
    <Layout title={props.needsPassword ? s.passwordTitle : s.createAccount} c={c}>
      <Step n={4} />
      {problems.length === 0 && errors.password === undefined && errors.confirm === undefined ? null : (
        <Message kind="error">
          {problems.length > 0 ? (
            <>
              <p>{s.passwordRefused}</p>
              <ul>
                {problems.map((p) => (
                  <li>{p}</li>
                ))}
              </ul>
            </>
          ) : (
            (errors.password ?? errors.confirm)
          )}
        </Message>
      )}
      <p>
        <strong>{s.usernameLegend}:</strong> {props.signup.username}
      </p>
      <form class="stacked" method="post" action={`${BASE}/password`}>
        <CsrfField c={c} />
        {props.needsPassword ? (
          <>
            <h2 id="policy">{s.passwordPolicyHeading}</h2>
            <ul id="policy-rules">
              <li>{s.passwordRuleLength(props.minLength)}</li>
              <li>{s.passwordRuleClasses(props.minClasses)}</li>
              <li>{s.passwordRuleCommon}</li>
              <li>{s.passwordRuleNames}</li>
            </ul>
            <label for="password">{s.newPassword}</label>
            <input type="password" id="password" name="password" autocomplete="new-password" required aria-describedby={`policy-rules${problems.length > 0 || errors.password !== undefined ? ' password-error' : ''}`} {...(problems.length > 0 || errors.password !== undefined ? { 'aria-invalid': 'true' } : {})} />
            {problems.length > 0 ? (
              <p class="field-error" id="password-error">
                {s.passwordSeeAbove}
              </p>
            ) : (
              <FieldError errors={errors} id="password" />
            )}
            <label for="confirm">{s.confirmPassword}</label>
            <input type="password" id="confirm" name="confirm" autocomplete="new-password" required {...invalid(errors, 'confirm')} />
            <FieldError errors={errors} id="confirm" />
          </>
        ) : (
          <p>{s.noPasswordNeeded}</p>
        )}
        <div>
          <button type="submit">{s.createAccount}</button>
        </div>
      </form>
      <p>
        <a href={`${BASE}/username`}>{s.usernameTitle}</a> · <a href={`${BASE}?restart=1`}>{s.signupStartOver}</a>
      </p>
    </Layout>
  );
}

// ---- Done ----

function zoned(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(at) + ` (${timeZone})`;
}

async function DonePage(props: { readonly c: PortalContext; readonly accountId: number }) {
  const { c } = props;
  const deps = c.var.deps;
  const account = await deps.store.read.getAccountById(props.accountId);
  if (account === undefined) return <ExpiredPage c={c} />;
  const type = deps.config.types[account.type];
  const person = await deps.store.read.getPerson(account.personId);
  const live = type?.hosts.live ?? [];
  const login = type?.hosts.login ?? [];
  const email = type?.emailRole === undefined ? undefined : person?.emails[type.emailRole];
  const now = deps.clock.now();
  return (
    <Layout title={s.doneTitle} c={c}>
      <Message kind="info">{s.doneCreated(account.username, account.type)}</Message>
      <h2>{s.doneHostsHeading}</h2>
      {live.length === 0 ? (
        <p>{s.doneNoHosts}</p>
      ) : (
        <ul>
          {live.map((h) => (
            <li>{login.includes(h) ? s.doneHostLogin(h) : s.doneHostLives(h)}</li>
          ))}
        </ul>
      )}
      {live.length === 0 ? null : (
        <>
          <h2>{s.doneWhenHeading}</h2>
          <ul>
            {live.map((h) => {
              if (deps.config.hosts[h]?.appliedBy !== 'server') return <li>{s.doneWhenAgent(h)}</li>;
              const next = nextSlot(deps.config.apply.schedule, deps.config.timeZone, now);
              return <li>{next === null ? s.doneWhenAgent(h) : s.doneWhenServer(h, zoned(next, deps.config.timeZone))}</li>;
            })}
          </ul>
        </>
      )}
      <p>{email === undefined ? s.doneNoEmail : s.doneEmail(email)}</p>
      <p>
        <a class="button" href="/portal/login">
          {s.doneSignIn}
        </a>
      </p>
    </Layout>
  );
}

function ExpiredPage(props: { readonly c: PortalContext }) {
  return (
    <Layout title={s.signupTitle} c={props.c}>
      <Message kind="error">{s.signupExpired}</Message>
      <p>
        <a href={BASE}>{s.signupStartOver}</a>
      </p>
    </Layout>
  );
}

// ---- Routes ----

/** The running sign-up with its identified person, or a page saying it ended. */
async function identified(c: PortalContext): Promise<{ readonly signup: PortalSignup; readonly person: Person } | Response> {
  const signup = await currentSignup(c);
  const person = signup?.personId == null ? undefined : await c.var.deps.store.read.getPerson(signup.personId);
  if (signup === undefined || person === undefined) return c.html(<ExpiredPage c={c} />, 400);
  return { signup, person };
}

/** Where a sign-up that settled this much goes next. */
function nextStep(signup: PortalSignup): string {
  if (signup.accountId !== null) return `${BASE}/done`;
  if (signup.type === null) return `${BASE}/type`;
  if (signup.username === null) return `${BASE}/username`;
  return `${BASE}/password`;
}

export function mountSignup(portal: Hono<PortalEnv>): void {
  portal.get('/signup', async (c) => {
    if (c.req.query('restart') !== undefined) await endSignup(c);
    return c.html(<IdentifyPage c={c} form={{ values: {}, errors: {} }} />);
  });

  portal.post('/signup', async (c) => {
    const deps = c.var.deps;
    const body = await c.req.parseBody();
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string' && k !== 'csrf') values[k] = v;
    const firstName = field(body, 'firstName');
    const lastName = field(body, 'lastName');
    const attributes: Record<string, string> = {};
    const errors: Record<string, string> = {};
    for (const a of signupAttributes(deps.config)) {
      if (!a.date) {
        attributes[a.name] = field(body, a.name);
        continue;
      }
      const parts = (['day', 'month', 'year'] as const).map((p) => field(body, `${a.name}-${p}`));
      if (parts.every((p) => p.trim() === '')) continue;
      const iso = signupDateValue(parts[0] ?? '', parts[1] ?? '', parts[2] ?? '');
      if (iso === null) errors[a.name] = s.signupBadDate(attributeLabel(a.name));
      else attributes[a.name] = iso;
    }
    const result = await identifyPerson(appContext(c), signupThrottle(c), { firstName, lastName, attributes, address: c.var.clientAddress });
    if (result.ok && Object.keys(errors).length === 0) {
      await startSignup(c, result.person.id);
      deps.log.info(`portal sign-up: person ${result.person.id} identified`, { person: result.person.id, address: c.var.clientAddress });
      return c.redirect(`${BASE}/type`, 303);
    }
    if (!result.ok && result.reason === 'bad_input') {
      for (const issue of result.issues) {
        const label = issue.where === 'firstName' ? s.firstName : issue.where === 'lastName' ? s.lastName : attributeLabel(issue.where);
        errors[issue.where] ??= issue.message === 'is too long' ? s.signupTooLong(label) : signupAttributes(deps.config).find((a) => a.name === issue.where)?.date === true ? s.signupBadDate(label) : s.signupMissing(label);
      }
    }
    if (Object.keys(errors).length > 0) return c.html(<IdentifyPage c={c} form={{ values, errors }} />, 400);
    if (!result.ok && result.reason === 'throttled') return c.html(<IdentifyPage c={c} form={{ values, errors, message: s.signupThrottled(s.waitMinutes(result.waitMinutes)) }} />, 429);
    return c.html(<IdentifyPage c={c} form={{ values, errors, message: s.signupNotFound }} />, 401);
  });

  portal.get('/signup/type', async (c) => {
    const found = await identified(c);
    if (found instanceof Response) return found;
    if (found.signup.accountId !== null) return c.redirect(`${BASE}/done`, 303);
    return c.html(<TypePage c={c} person={found.person} offers={await signupOffers(appContext(c), found.person)} {...(found.signup.type === null ? {} : { chosen: found.signup.type })} />);
  });

  portal.post('/signup/type', async (c) => {
    const found = await identified(c);
    if (found instanceof Response) return found;
    const chosen = field(await c.req.parseBody(), 'type');
    const offers = await signupOffers(appContext(c), found.person);
    const offer = offers.find((o) => o.name === chosen && o.status.kind === 'eligible');
    if (offer === undefined) return c.html(<TypePage c={c} person={found.person} offers={offers} error={chosen === '' ? s.typeChoose : s.typeNotOffered} />, 400);
    await updateSignup(c, found.signup, { type: offer.name, username: null });
    return c.redirect(`${BASE}/username`, 303);
  });

  portal.get('/signup/username', async (c) => {
    const found = await identified(c);
    if (found instanceof Response) {
      return c.req.query('name') === undefined ? found : c.json({ ok: false, reason: s.signupExpired }, 400);
    }
    const ctx = appContext(c);
    const name = c.req.query('name');
    // The page's script: the same check the form's submit makes.
    if (name !== undefined) {
      const verdict = await checkSignupUsername(ctx, found.person, name);
      return c.json(verdict.ok ? { ok: true, message: s.usernameAvailable(name) } : { ok: false, message: s.usernameRefused(name, verdict.reason) }, 200, { 'Cache-Control': 'no-store' });
    }
    if (found.signup.type === null) return c.redirect(nextStep(found.signup), 303);
    const names = await signupUsernames(ctx, found.person, found.signup.type);
    const chosen = found.signup.username ?? undefined;
    const isSuggested = chosen !== undefined && names.suggestions.includes(chosen);
    return c.html(<UsernamePage c={c} reserved={names.reserved} suggestions={names.suggestions} {...(chosen === undefined ? {} : isSuggested ? { chosen } : { chosen: 'other', other: chosen })} />);
  });

  portal.post('/signup/username', async (c) => {
    const found = await identified(c);
    if (found instanceof Response) return found;
    if (found.signup.type === null) return c.redirect(nextStep(found.signup), 303);
    const ctx = appContext(c);
    const body = await c.req.parseBody();
    const choice = field(body, 'choice');
    const other = field(body, 'other').trim();
    // A typed name wins when "another username" is chosen, or when nothing is.
    const name = choice === 'other' || (choice === '' && other !== '') ? other : choice;
    const names = await signupUsernames(ctx, found.person, found.signup.type);
    const again = (error: string, status: 400 | 409) =>
      c.html(<UsernamePage c={c} reserved={names.reserved} suggestions={names.suggestions} chosen={choice === '' ? 'other' : choice} other={other} error={error} />, status);
    if (name === '') return again(s.usernameChoose, 400);
    const verdict = await checkSignupUsername(ctx, found.person, name);
    if (!verdict.ok) return again(s.usernameRefused(name, verdict.reason), 400);
    await updateSignup(c, found.signup, { username: name });
    return c.redirect(`${BASE}/password`, 303);
  });

  portal.get('/signup/password', async (c) => {
    const found = await identified(c);
    if (found instanceof Response) return found;
    const type = found.signup.type === null ? undefined : c.var.deps.config.types[found.signup.type];
    if (type === undefined || found.signup.username === null || found.signup.accountId !== null) return c.redirect(nextStep(found.signup), 303);
    return c.html(<PasswordPage c={c} signup={found.signup} needsPassword={typeNeedsPassword(type)} minLength={type.password.minLength} minClasses={type.password.minClasses} />);
  });

  portal.post('/signup/password', async (c) => {
    const deps = c.var.deps;
    const found = await identified(c);
    if (found instanceof Response) return found;
    const { signup, person } = found;
    const type = signup.type === null ? undefined : deps.config.types[signup.type];
    if (type === undefined || signup.type === null || signup.username === null || signup.accountId !== null) return c.redirect(nextStep(signup), 303);
    const needsPassword = typeNeedsPassword(type);
    const page = (extra: { errors?: Record<string, string>; problems?: readonly string[] }, status: 400 | 409 | 422 | 503) =>
      c.html(<PasswordPage c={c} signup={signup} needsPassword={needsPassword} minLength={type.password.minLength} minClasses={type.password.minClasses} {...extra} />, status);
    const body = await c.req.parseBody();
    const password = field(body, 'password');
    if (needsPassword) {
      if (password === '') return page({ errors: { password: s.passwordRequired } }, 400);
      if (password !== field(body, 'confirm')) return page({ errors: { confirm: s.passwordMismatch } }, 400);
    }
    try {
      const created = await createSignupAccount(appContext(c), person, { type: signup.type, username: signup.username, ...(needsPassword ? { password } : {}) });
      await updateSignup(c, signup, { accountId: created.account.id });
      deps.log.info(`portal sign-up: ${created.account.username} (${created.account.type}) created for person ${person.id}`, { person: person.id, address: c.var.clientAddress });
      return c.redirect(`${BASE}/done`, 303);
    } catch (e) {
      if (e instanceof RosterError && e.code === 'weak_password') return page({ problems: e.issues.map((i) => i.message) }, 422);
      if (e instanceof RosterError && (e.code === 'conflict' || e.issues.some((i) => i.where === 'username'))) {
        // Taken between the username step and now: back to that step, saying so.
        await updateSignup(c, signup, { username: null });
        const names = await signupUsernames(appContext(c), person, signup.type);
        return c.html(<UsernamePage c={c} reserved={names.reserved} suggestions={names.suggestions} error={s.usernameTakenMeanwhile} />, 409);
      }
      if (e instanceof RosterError && e.code !== 'internal') return page({ errors: { password: s.signupFailed(errorMessage(e)) } }, e.code === 'unavailable' ? 503 : 400);
      throw e;
    }
  });

  portal.get('/signup/done', async (c) => {
    const signup = await currentSignup(c);
    if (signup?.accountId == null) return c.html(<ExpiredPage c={c} />, 400);
    return c.html(await DonePage({ c, accountId: signup.accountId }));
  });
}
