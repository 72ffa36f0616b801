import { createHash, randomBytes } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { AppContext } from '../../app/app-context.js';
import { wallTime } from '../../app/notices.js';
import { confirmSubscription, pendingSubscription, statusBaseUrl, subscribeToStatus, unsubscribeFromStatus } from '../../app/status-subscriptions.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { CSRF_FIELD, csrfMatches, csrfToken } from '../../portal/csrf.js';
import { securityHeaders } from '../../portal/security-headers.js';
import { targetRegistry } from '../../targets/registry.js';
import type { ServerDeps } from '../server-deps.js';
import { STATUS_CSS } from './status-css.js';
import { statusFeed } from './status-feed.js';
import { EventArticle, HistoryPage, MessagePage, StatusLayout, StatusPage, type PageFrame } from './status-pages.js';
import { statusStrings as s } from './status-strings.js';
import { publicStatus, type PublicStatus } from './status-view.js';
import { field } from '../../portal/form-field.js';

/** Before its first form, a visitor gets a random secret in this cookie; the sign-up form's CSRF token is tied to it. */
const FORM_COOKIE = 'roster_status';
const MAX_FORM_BYTES = 16 * 1024;
const CSS_VERSION = createHash('sha256').update(STATUS_CSS).digest('hex').slice(0, 12);
const STYLESHEET = `/status/assets/status.css?v=${CSS_VERSION}`;
/**
 * Where a cached page has its CSRF token: random per process, so no text
 * an admin puts on the page can stand for it.
 */
const TOKEN_SLOT = `csrf-${randomBytes(12).toString('hex')}`;

interface StatusVariables {
  readonly deps: ServerDeps;
  readonly csrf: string;
  readonly formSecret: string;
  readonly clientAddress: string;
}
interface StatusEnv {
  Variables: StatusVariables;
}
type StatusContext = Context<StatusEnv>;

function appContext(deps: ServerDeps): AppContext {
  return { store: deps.store, config: deps.config, clock: deps.clock, hmacKey: deps.hmacKey, hasher: deps.hasher, log: deps.log, actor: 'status-page' };
}

function frameOf(deps: ServerDeps): Omit<PageFrame, 'title' | 'children'> {
  return { site: deps.config.status.title, stylesheet: STYLESHEET, timeZone: deps.config.timeZone };
}

async function html(node: JSX.Element): Promise<string> {
  const text = await node;
  return `<!DOCTYPE html>${text.toString()}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// ------------------------------------------------------------------ cache

interface Cached<T> {
  readonly value: T;
  /** The audit head when made: any change anybody made since (an incident, an override) makes it anew. */
  readonly seq: number;
  readonly from: number;
  readonly until: number;
}

/** A rendered page and a digest of it (its ETag). */
interface Rendered {
  readonly body: string;
  readonly hash: string;
}

/** Per store (one per server process), by a fixed set of keys: values made, or being made (a burst waits for one). */
const caches = new WeakMap<object, Map<string, Promise<Cached<unknown>>>>();

/**
 * A value from the short in-memory cache: made again when
 * `status.cacheSeconds` have passed or anything was changed (every change
 * writes an audit record, so the audit head tells). Concurrent requests
 * for a value being made wait for that one.
 */
async function cached<T>(deps: ServerDeps, key: string, make: () => Promise<T>): Promise<T> {
  let perStore = caches.get(deps.store);
  if (perStore === undefined) caches.set(deps.store, (perStore = new Map<string, Promise<Cached<unknown>>>()));
  const { seq } = await deps.store.read.auditHead();
  const now = deps.clock.now().getTime();
  const hit = perStore.get(key) as Promise<Cached<T>> | undefined;
  if (hit !== undefined) {
    try {
      const r = await hit;
      if (r.seq === seq && now >= r.from && now < r.until) return r.value;
    } catch {
      // A failed make is not kept: made again below.
    }
    // Another request may have started a new one while this one waited.
    const latest = perStore.get(key) as Promise<Cached<T>> | undefined;
    if (latest !== undefined && latest !== hit) return (await latest).value;
  }
  const made = (async (): Promise<Cached<T>> => ({ value: await make(), seq, from: now, until: now + deps.config.status.cacheSeconds * 1000 }))();
  perStore.set(key, made);
  made.catch(() => perStore.delete(key));
  return (await made).value;
}

async function rendered(body: Promise<string>): Promise<Rendered> {
  const text = await body;
  return { body: text, hash: digest(text).slice(0, 24) };
}

/** Answers with a cached page: ETag and 304, Cache-Control for `cacheSeconds`. */
function sendPage(c: StatusContext, r: Rendered, type: string, options: { readonly token?: string } = {}): Response {
  const seconds = c.var.deps.config.status.cacheSeconds;
  const token = options.token;
  const body = token === undefined ? r.body : r.body.split(TOKEN_SLOT).join(token);
  const etag = `"${r.hash}${token === undefined ? '' : `-${digest(token).slice(0, 12)}`}"`;
  // A page with the sign-up form carries this visitor's token: private caches only, and per cookie.
  const headers: Record<string, string> = { ETag: etag, 'Cache-Control': `${token === undefined ? 'public' : 'private'}, max-age=${seconds}` };
  if (token !== undefined) headers.Vary = 'Cookie';
  const known = (c.req.header('if-none-match') ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (known.includes(etag)) return c.body(null, 304, headers);
  return c.body(body, 200, { ...headers, 'Content-Type': type });
}

// ------------------------------------------------------------------ visitors

function clientAddressOf(c: StatusContext, trustProxy: boolean): string {
  if (trustProxy) {
    // The last hop is the one our proxy added; earlier ones are the client's word.
    const last = (c.req.header('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '').at(-1);
    if (last !== undefined) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // In-process requests (app.request in tests) have no socket.
    return 'unknown';
  }
}

function requestSecure(c: StatusContext, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** Sign-ups counted per key within the window (in the store, so several servers share the count). */
async function overLimit(deps: ServerDeps, key: string): Promise<number> {
  const { attempts, windowMinutes } = deps.config.status.subscriptions;
  const now = deps.clock.now().getTime();
  const windowMs = windowMinutes * 60_000;
  const { count, oldest } = await deps.store.read.countPortalAttempts(key, new Date(now - windowMs).toISOString());
  if (count < attempts || oldest === null) return 0;
  return Math.max(1, Math.ceil((new Date(oldest).getTime() + windowMs - now) / 60_000));
}

async function countSignup(deps: ServerDeps, keys: readonly string[]): Promise<void> {
  const now = deps.clock.now();
  const windowMs = deps.config.status.subscriptions.windowMinutes * 60_000;
  await deps.store.transaction(async (tx) => {
    for (const key of keys) await tx.recordPortalAttempt(key, now.toISOString());
    await tx.prunePortalAttempts(new Date(now.getTime() - Math.max(windowMs, deps.config.portal.throttle.windowMinutes * 60_000)).toISOString());
  });
}

// ------------------------------------------------------------------ the app

/**
 * The public status page under /status (seed GlobeNet; DESIGN.md §10
 * "Pages"): server-rendered, without JavaScript, no sign-in. Pages are
 * rendered from a short in-memory cache and sent with Cache-Control and an
 * ETag (304 when unchanged), so a burst of visitors after an outage costs
 * one render. The sign-up form's CSRF token is tied to a cookie of this
 * path and put into the cached page per request. Nothing internal is
 * shown (status-view.ts). Off (404) unless `status.enabled: true`.
 */
export function mountStatusPage(app: Hono, deps: ServerDeps): void {
  if (!deps.config.status.enabled) return;
  const targets = deps.targets ?? targetRegistry;
  const config = deps.config;
  const frame = frameOf(deps);
  const offerForm = (): boolean => config.status.subscriptions.enabled && statusBaseUrl(config) !== null;
  const view = (): Promise<PublicStatus> => cached(deps, 'view', () => publicStatus(appContext(deps), targets));
  const status = new Hono<StatusEnv>();
  status.use(securityHeaders());

  status.get('/assets/status.css', (c) => c.body(STATUS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=31536000, immutable', ETag: `"${CSS_VERSION}"` }));

  status.use(async (c, next) => {
    const trustProxy = config.portal.trustProxy;
    c.set('deps', deps);
    c.set('clientAddress', clientAddressOf(c, trustProxy));
    let secret = getCookie(c, FORM_COOKIE);
    if (secret === undefined || secret === '' || secret.length > 100) {
      secret = randomBytes(32).toString('base64url');
      setCookie(c, FORM_COOKIE, secret, { path: '/status', httpOnly: true, sameSite: 'Lax', secure: requestSecure(c, trustProxy) });
    }
    c.set('formSecret', secret);
    c.set('csrf', csrfToken(deps.hmacKey, secret));
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const limited = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (cc) => cc.text('the form is too large', 413) });
    return limited(c, async () => {
      // One-click unsubscribe (RFC 8058) comes from mail programs without cookies: its token is its authority.
      if (c.req.path === '/status/unsubscribe') return next();
      let sent = '';
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
        const value = (await c.req.parseBody())[CSRF_FIELD];
        if (typeof value === 'string') sent = value;
      }
      if (sent === '' || !csrfMatches(deps.hmacKey, sent, [getCookie(c, FORM_COOKIE)])) {
        c.res = c.html(await html(<MessagePage frame={frame} title={s.forbiddenTitle} kind="error" message={s.forbiddenBody} />), 403);
        return;
      }
      await next();
    });
  });

  const mainPage = async (form: { readonly csrf: string; readonly value?: string; readonly error?: string } | null): Promise<string> =>
    html(<StatusPage view={await view()} frame={frame} historyDays={config.status.historyDays} showChangelog={config.status.expose.changelog} form={form} />);

  status.get('/', async (c) => {
    const r = await cached(deps, 'page', () => rendered(mainPage(offerForm() ? { csrf: TOKEN_SLOT } : null)));
    return sendPage(c, r, 'text/html; charset=utf-8', { token: c.var.csrf });
  });

  status.get('/history', async (c) => {
    const r = await cached(deps, 'history', async () => rendered(html(<HistoryPage view={await view()} frame={frame} historyDays={config.status.historyDays} />)));
    return sendPage(c, r, 'text/html; charset=utf-8');
  });

  status.get('/feed.atom', async (c) => {
    const configured = statusBaseUrl(config);
    // Without a configured address the request's own is used; that is not a cache key (the Host header is the client's).
    const r = configured === null ? await rendered(Promise.resolve(statusFeed(await view(), new URL(c.req.url).origin))) : await cached(deps, 'feed', async () => rendered(Promise.resolve(statusFeed(await view(), configured))));
    return sendPage(c, r, 'application/atom+xml; charset=utf-8');
  });

  status.get('/events/:id', async (c) => {
    const id = c.req.param('id');
    const e = /^\d{1,15}$/.test(id) ? (await view()).events.get(Number(id)) : undefined;
    if (e === undefined) return c.html(await html(<MessagePage frame={frame} title={s.notFoundTitle} kind="error" message={s.eventNotFound} />), 404);
    const r = await rendered(
      html(
        <StatusLayout {...frame} title={`${e.kind === 'incident' ? s.incident : s.maintenance} #${e.id}`}>
          <EventArticle event={e} timeZone={config.timeZone} level={2} link={false} />
          <p>
            <a href="/status">{s.backToStatus}</a>
          </p>
        </StatusLayout>,
      ),
    );
    return sendPage(c, r, 'text/html; charset=utf-8');
  });

  status.post('/subscribe', async (c) => {
    const body = await c.req.parseBody();
    const email = field(body, 'email').trim();
    const again = async (error: string, code: 400 | 429 | 503) => c.html(await mainPage({ csrf: c.var.csrf, value: email, error }), code);
    if (!offerForm()) return c.html(await html(<MessagePage frame={frame} title={s.subscribeHeading} kind="error" message={s.subscribeUnavailable} />), 404);
    if (email === '') return again(s.subscribeMissing, 400);
    const addressKey = `status-subscribe:address:${c.var.clientAddress}`;
    const wait = await overLimit(deps, addressKey);
    if (wait > 0) return c.html(await html(<MessagePage frame={frame} title={s.subscribeHeading} kind="error" message={s.subscribeThrottled(wait)} />), 429);
    // Per address too, so nobody fills a stranger's mailbox with links; over it, the answer is the same and nothing is sent.
    const emailKey = `status-subscribe:email:${digest(email.toLowerCase())}`;
    const quiet = (await overLimit(deps, emailKey)) > 0;
    let expiresAt: string | null = null;
    try {
      await countSignup(deps, quiet ? [addressKey] : [addressKey, emailKey]);
      if (!quiet) expiresAt = (await subscribeToStatus(appContext(deps), email)).expiresAt;
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      if (e.code === 'bad_input') return again(s.subscribeInvalid, 400);
      deps.log.warn(`status page: a sign-up failed: ${errorMessage(e)}`);
      return again(s.subscribeUnavailable, 503);
    }
    return c.html(
      await html(
        <MessagePage frame={frame} title={s.subscribeSentTitle} kind="info" message={s.subscribeSent}>
          {expiresAt === null ? null : <p>{s.subscribeSentExpires(wallTime(expiresAt, config.timeZone))}</p>}
        </MessagePage>,
      ),
    );
  });

  const linkProblem = async (c: StatusContext, e: RosterError) =>
    c.html(await html(<MessagePage frame={frame} title={s.confirmTitle} kind="error" message={e.code === 'not_found' ? s.linkUnknown : s.linkExpired} />), e.code === 'not_found' ? 404 : 410);

  // The link's GET only asks (mail scanners and link previews follow links); the button's POST confirms.
  status.get('/subscribe/confirm', async (c) => {
    const token = c.req.query('token') ?? '';
    try {
      if (token === '') throw new RosterError('not_found', 'no token');
      const pending = await pendingSubscription(appContext(deps), token);
      return c.html(
        await html(
          <StatusLayout {...frame} title={s.confirmTitle}>
            <p>{s.confirmAsk(pending.address)}</p>
            <form method="post" action="/status/subscribe/confirm">
              <input type="hidden" name={CSRF_FIELD} value={c.var.csrf} />
              <input type="hidden" name="token" value={token} />
              <button type="submit">{s.confirmButton}</button>
            </form>
          </StatusLayout>,
        ),
      );
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      return linkProblem(c, e);
    }
  });

  status.post('/subscribe/confirm', async (c) => {
    const token = field(await c.req.parseBody(), 'token');
    try {
      if (token === '') throw new RosterError('not_found', 'no token');
      const done = await confirmSubscription(appContext(deps), token);
      deps.log.info('status page: a subscription was confirmed', { subscriber: done.id });
      return c.html(await html(<MessagePage frame={frame} title={s.confirmedTitle} kind="info" message={s.confirmed(done.address)} />));
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      return linkProblem(c, e);
    }
  });

  status.get('/unsubscribe', async (c) => {
    const token = c.req.query('token') ?? '';
    return c.html(
      await html(
        <StatusLayout {...frame} title={s.unsubscribeTitle}>
          <p>{s.unsubscribeAsk}</p>
          <form method="post" action={`/status/unsubscribe?token=${encodeURIComponent(token)}`}>
            <input type="hidden" name="List-Unsubscribe" value="One-Click" />
            <button type="submit">{s.unsubscribeButton}</button>
          </form>
        </StatusLayout>,
      ),
    );
  });

  // RFC 8058: a POST of `List-Unsubscribe=One-Click` to the header's URL unsubscribes, with no cookie and no further question.
  status.post('/unsubscribe', async (c) => {
    const token = c.req.query('token') ?? '';
    const gone = await unsubscribeFromStatus(appContext(deps), token);
    if (gone) deps.log.info('status page: a subscriber unsubscribed');
    // Whether the token named anybody is nobody's business: the answer is the same.
    return c.html(await html(<MessagePage frame={frame} title={s.unsubscribedTitle} kind="info" message={s.unsubscribed} />));
  });

  status.all('*', async (c) => c.html(await html(<MessagePage frame={frame} title={s.notFoundTitle} kind="error" message={s.notFoundBody} />), 404));
  app.route('/status', status);
}
