import type { Child } from 'hono/jsx';
import { wallTime } from '../../app/notices.js';
import type { ComponentState } from '../../domain/component-state.js';
import { CSRF_FIELD } from '../../portal/csrf.js';
import type { PublicComponent, PublicEvent, PublicStatus } from './status-view.js';
import { statusStrings as s } from './status-strings.js';

/** The stylesheet's URL (versioned by its content: see status-app.tsx). */
export interface PageFrame {
  /** The page's own title (the <title> adds the site's) and its <h1>. */
  readonly title: string;
  readonly site: string;
  readonly stylesheet: string;
  readonly timeZone: string;
  /** When the page was made (ISO), shown in the footer. */
  readonly at?: string;
  readonly children?: Child;
}

function When(props: { readonly iso: string; readonly timeZone: string }) {
  return <time datetime={props.iso}>{wallTime(props.iso, props.timeZone)}</time>;
}

/** Every status page: a skip link, the header with the site's title and the pages, the main landmark with the <h1>, a footer. */
export function StatusLayout(props: PageFrame) {
  return (
    <html lang={s.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{s.pageTitle(props.title, props.site)}</title>
        <link rel="stylesheet" href={props.stylesheet} />
        <link rel="alternate" type="application/atom+xml" title={`${props.site} (Atom)`} href="/status/feed.atom" />
      </head>
      <body>
        <a class="skip" href="#main">
          {s.skipLink}
        </a>
        <header class="site">
          <a class="name" href="/status">
            {props.site}
          </a>
          <nav aria-label={s.siteNav}>
            <a href="/status">{s.navCurrent}</a>
            <a href="/status/history">{s.navHistory}</a>
            <a href="/status/feed.atom">{s.navFeed}</a>
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
        {props.at === undefined ? null : (
          <footer class="site">
            <p>
              {s.updatedAt(wallTime(props.at, props.timeZone))}
            </p>
          </footer>
        )}
      </body>
    </html>
  );
}

function StateText(props: { readonly state: ComponentState }) {
  return <span class={`state s-${props.state}`}>{s.stateWords[props.state]}</span>;
}

/** The bar of the history's days: decoration (aria-hidden); the sentence under it says the same in words. */
function DayBar(props: { readonly component: PublicComponent; readonly days: number }) {
  const bad = props.component.days.filter((d) => d.state !== 'operational').length;
  return (
    <>
      <div class="days" aria-hidden="true">
        {props.component.days.map((d) => (
          <span class={`s-${d.state}`} {...(d.state === 'operational' ? {} : { title: `${d.day}: ${s.stateWords[d.state]}` })}></span>
        ))}
      </div>
      <p class="days-summary">{bad === 0 ? s.daysSummaryNone(props.days) : s.daysSummary(bad, props.days)}</p>
    </>
  );
}

function ComponentLine(props: { readonly component: PublicComponent; readonly days: number }) {
  const c = props.component;
  return (
    <>
      <div class="component">
        <span class="name">{c.name}</span>
        <StateText state={c.state} />
      </div>
      {c.description === null ? null : <p class="description">{c.description}</p>}
      <DayBar component={c} days={props.days} />
    </>
  );
}

function eventState(state: string): string {
  return s.eventStateWords[state] ?? state;
}

function eventColour(e: PublicEvent): string {
  if (e.kind === 'maintenance') return 's-maintenance';
  if (e.endedAt !== null) return 's-operational';
  return e.impact === 'critical' ? 's-major_outage' : e.impact === 'major' ? 's-partial_outage' : 's-degraded';
}

/** An incident or a maintenance: what, where, when, and its updates (newest first, as status pages show them). */
export function EventArticle(props: { readonly event: PublicEvent; readonly timeZone: string; readonly level: 2 | 3; readonly link: boolean }) {
  const e = props.event;
  const heading = `${e.kind === 'incident' ? s.incident : s.maintenance}: ${e.title}`;
  const id = `event-${e.id}`;
  return (
    <article class={`event ${eventColour(e)}`} aria-labelledby={id}>
      {props.level === 2 ? <h2 id={id}>{heading}</h2> : <h3 id={id}>{heading}</h3>}
      <dl class="facts">
        <dt>{s.impact}</dt>
        <dd>
          {s.impactWords[e.impact] ?? e.impact} — {eventState(e.state)}
        </dd>
        {e.components.length === 0 ? null : (
          <>
            <dt>{s.affects}</dt>
            <dd>{e.components.join(', ')}</dd>
          </>
        )}
        {e.scheduledStart === null || e.scheduledEnd === null ? null : (
          <>
            <dt>{s.window}</dt>
            <dd>
              <When iso={e.scheduledStart} timeZone={props.timeZone} /> – <When iso={e.scheduledEnd} timeZone={props.timeZone} />
            </dd>
          </>
        )}
        {e.startedAt === null ? null : (
          <>
            <dt>{s.started}</dt>
            <dd>
              <When iso={e.startedAt} timeZone={props.timeZone} />
            </dd>
          </>
        )}
        {e.endedAt === null ? null : (
          <>
            <dt>{s.ended}</dt>
            <dd>
              <When iso={e.endedAt} timeZone={props.timeZone} />
            </dd>
          </>
        )}
      </dl>
      <ol class="timeline" aria-label={`${s.timeline}: ${e.title}`}>
        {[...e.updates].reverse().map((u) => (
          <li>
            <strong>{eventState(u.state)}</strong> <span class="when">— <When iso={u.at} timeZone={props.timeZone} /></span>
            <p class="message-text">{u.message}</p>
          </li>
        ))}
      </ol>
      {props.link ? (
        <p>
          <a href={`/status/events/${e.id}`}>
            {s.eventLink}
            <span class="visually-hidden">: {e.title}</span>
          </a>
        </p>
      ) : null}
    </article>
  );
}

export interface SubscribeForm {
  /** The CSRF token (or the placeholder a cached page has in its place). */
  readonly csrf: string;
  readonly value?: string;
  readonly error?: string;
}

/** The sign-up form: one labelled field and a button; the CSRF token rides in a hidden field. */
export function SubscribeSection(props: { readonly form: SubscribeForm }) {
  const { form } = props;
  const invalid = form.error === undefined ? {} : { 'aria-invalid': 'true', 'aria-describedby': 'email-error' };
  return (
    <section aria-labelledby="subscribe-heading">
      <h2 id="subscribe-heading">{s.subscribeHeading}</h2>
      <p>{s.subscribeIntro}</p>
      <form class="stacked" method="post" action="/status/subscribe">
        <input type="hidden" name={CSRF_FIELD} value={form.csrf} />
        <label for="email">{s.subscribeEmail}</label>
        <input type="email" id="email" name="email" autocomplete="email" autocapitalize="none" spellcheck={false} required value={form.value ?? ''} {...invalid} />
        {form.error === undefined ? null : (
          <p class="field-error" id="email-error">
            {form.error}
          </p>
        )}
        <div>
          <button type="submit">{s.subscribeButton}</button>
        </div>
      </form>
      <p>
        {s.subscribeFeed} <a href="/status/feed.atom">{s.navFeed}</a>
      </p>
    </section>
  );
}

/** GET /status: the overall state, what goes on now, every system, scheduled maintenance, recent interventions, the past, and the sign-up. */
export function StatusPage(props: {
  readonly view: PublicStatus;
  readonly frame: Omit<PageFrame, 'title' | 'children'>;
  readonly historyDays: number;
  readonly showChangelog: boolean;
  readonly form: SubscribeForm | null;
}) {
  const { view, frame } = props;
  const tz = frame.timeZone;
  return (
    <StatusLayout {...frame} title={view.title} at={view.at}>
      {props.form?.error === undefined ? null : (
        <div class="message error" role="alert">
          {s.subscribeFix} <a href="#email">{s.subscribeEmail}</a>
        </div>
      )}
      {view.description === null ? null : <p>{view.description}</p>}
      <p class={`overall s-${view.overall}`} role="status">
        {s.overall[view.overall]}
      </p>

      {view.active.length === 0 ? null : (
        <section aria-labelledby="active-heading">
          <h2 id="active-heading">{s.activeHeading}</h2>
          {view.active.map((e) => (
            <EventArticle event={e} timeZone={tz} level={3} link={true} />
          ))}
        </section>
      )}

      <section aria-labelledby="components-heading">
        <h2 id="components-heading">{s.componentsHeading}</h2>
        <ul class="components">
          {view.hosts.map((h) => (
            <li>
              <ComponentLine component={h} days={props.historyDays} />
              {h.services.length === 0 ? null : (
                <ul class="services" aria-label={s.servicesOf(h.name)}>
                  {h.services.map((c) => (
                    <li>
                      <ComponentLine component={c} days={props.historyDays} />
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="upcoming-heading">
        <h2 id="upcoming-heading">{s.upcomingHeading}</h2>
        {view.upcoming.length === 0 ? (
          <p>{s.upcomingNone}</p>
        ) : (
          view.upcoming.map((e) => <EventArticle event={e} timeZone={tz} level={3} link={true} />)
        )}
      </section>

      {!props.showChangelog ? null : (
        <section aria-labelledby="changelog-heading">
          <h2 id="changelog-heading">{s.changelogHeading}</h2>
          {view.changelog.length === 0 ? (
            <p>{s.changelogNone}</p>
          ) : (
            <ul class="changelog">
              {view.changelog.map((c) => (
                <li>
                  <strong>{c.host}</strong> <span class="when">— <When iso={c.at} timeZone={tz} /></span>
                  <p class="message-text">{c.text}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      <section aria-labelledby="recent-heading">
        <h2 id="recent-heading">{s.recentHeading}</h2>
        {view.recent.length === 0 ? (
          <p>{s.recentNone(props.historyDays)}</p>
        ) : (
          <ul>
            {view.recent.slice(0, 10).map((e) => (
              <li>
                <a href={`/status/events/${e.id}`}>
                  {e.kind === 'incident' ? s.incident : s.maintenance}: {e.title}
                </a>{' '}
                — {eventState(e.state)}, {e.endedAt === null ? null : <When iso={e.endedAt} timeZone={tz} />}
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="/status/history">{s.historyLink(props.historyDays)}</a>
        </p>
      </section>

      {props.form === null ? null : <SubscribeSection form={props.form} />}
    </StatusLayout>
  );
}

/** Days in a row with nothing to tell (newest first), as one entry of the history. */
interface QuietRun {
  readonly from: string;
  readonly to: string;
}

/** The history's entries, newest first: each day with something to tell, and each run of quiet days as one. */
function historyEntries(days: PublicStatus['history']): Array<PublicStatus['history'][number] | QuietRun> {
  const out: Array<PublicStatus['history'][number] | QuietRun> = [];
  for (const d of days) {
    if (d.problems.length > 0 || d.events.length > 0) {
      out.push(d);
      continue;
    }
    const last = out.at(-1);
    if (last !== undefined && 'from' in last) out[out.length - 1] = { from: d.day, to: last.to };
    else out.push({ from: d.day, to: d.day });
  }
  return out;
}

/** GET /status/history: each day, newest first, in words (quiet days in a row as one entry). */
export function HistoryPage(props: { readonly view: PublicStatus; readonly frame: Omit<PageFrame, 'title' | 'children'>; readonly historyDays: number }) {
  const { view } = props;
  return (
    <StatusLayout {...props.frame} title={s.historyTitle} at={view.at}>
      <p>{s.historyIntro(props.historyDays)}</p>
      <ol class="history">
        {historyEntries(view.history).map((d) =>
          'from' in d ? (
            <li>
              <h2>
                {d.from === d.to ? (
                  <time datetime={d.from}>{d.from}</time>
                ) : (
                  <>
                    <time datetime={d.from}>{d.from}</time> – <time datetime={d.to}>{d.to}</time>
                  </>
                )}
              </h2>
              <p>{s.historyNothing}</p>
            </li>
          ) : (
            <li>
              <h2>
                <time datetime={d.day}>{d.day}</time>
              </h2>
              {d.problems.length === 0 ? null : (
                <ul>
                  {d.problems.map((p) => (
                    <li>
                      {p.name}: <StateText state={p.state} />
                    </li>
                  ))}
                </ul>
              )}
              {d.events.length === 0 ? null : (
                <ul aria-label={`${s.historyEvents}, ${d.day}`}>
                  {d.events.flatMap((id) => {
                    const e = view.events.get(id);
                    return e === undefined
                      ? []
                      : [
                          <li>
                            <a href={`/status/events/${id}`}>
                              {e.kind === 'incident' ? s.incident : s.maintenance}: {e.title}
                            </a>
                          </li>,
                        ];
                  })}
                </ul>
              )}
            </li>
          ),
        )}
      </ol>
    </StatusLayout>
  );
}

/** A page of a few words: a confirmation, a refusal, "not found". */
export function MessagePage(props: { readonly frame: Omit<PageFrame, 'title' | 'children'>; readonly title: string; readonly kind: 'info' | 'error'; readonly message: string; readonly children?: Child }) {
  return (
    <StatusLayout {...props.frame} title={props.title}>
      <div class={`message ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
        {props.message}
      </div>
      {props.children}
      <p>
        <a href="/status">{s.backToStatus}</a>
      </p>
    </StatusLayout>
  );
}
