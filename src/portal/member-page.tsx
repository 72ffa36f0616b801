import type { Hono } from 'hono';
import { formatCents } from '../app/billing-run.js';
import { wallTime } from '../app/notices.js';
import { byteSize } from '../domain/byte-size.js';
import { calendarDate } from '../domain/zoned-time.js';
import { CsrfField, Layout } from './layout.js';
import { signInRedirect } from './login-page.js';
import { memberView, type AccountView, type BillingView, type MemberView, type ServiceView } from './member-view.js';
import type { PortalContext, PortalEnv } from './portal-env.js';
import { portalStrings as s } from './portal-strings.js';

function Services(props: { readonly id: string; readonly heading: string; readonly none: string; readonly services: readonly ServiceView[] }) {
  return (
    <>
      <h3 id={props.id}>{props.heading}</h3>
      {props.services.length === 0 ? (
        <p>{props.none}</p>
      ) : (
        <ul class="services" aria-labelledby={props.id}>
          {props.services.map((v) => (
            <li>{v.words}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function PayButton(props: { readonly billing: BillingView | null }) {
  const link = props.billing?.payLink ?? null;
  if (link === null || props.billing === null) return null;
  return (
    <p>
      <a class="button" href={link.href}>
        {link.amount === null ? s.payLinkAny : s.payLink(link.amount, props.billing.currency)}
      </a>
    </p>
  );
}

function AccountSection(props: { readonly view: AccountView; readonly billing: BillingView | null }) {
  const { view } = props;
  const id = `account-${view.account.username}`;
  return (
    <section class="account" aria-labelledby={id}>
      <h2 id={id}>{s.accountHeading(view.account.username)}</h2>
      <dl class="facts">
        <dt>{s.accountType}</dt>
        <dd>{view.typeWords}</dd>
        <dt>{s.accountState}</dt>
        <dd>{view.stateWords}</dd>
      </dl>
      <h3>{s.holdsHeading}</h3>
      {view.holds.length === 0 ? <p>{s.holdNone}</p> : null}
      {view.holds.map((h) => (
        <div class="hold">
          <p>
            <strong>{h.what}</strong>
          </p>
          <p>
            {h.since}. {h.setBy}.
          </p>
          {h.note === null ? null : <p>{s.holdNote(h.note)}</p>}
          <p class="ends">{h.ends}</p>
          {h.payable ? <PayButton billing={props.billing} /> : null}
        </div>
      ))}
      {view.works.length + view.stopped.length === 0 ? null : (
        <>
          <Services id={`${id}-works`} heading={s.stillWorksHeading} none={s.stillWorksNone} services={view.works} />
          <Services id={`${id}-stopped`} heading={s.stoppedHeading} none={s.stoppedNone} services={view.stopped} />
        </>
      )}
      <h3 id={`${id}-hosts`}>{s.hostsHeading}</h3>
      {view.loginHosts.length === 0 ? (
        <p>{s.hostsNone}</p>
      ) : (
        <ul class="services" aria-labelledby={`${id}-hosts`}>
          {view.loginHosts.map((h) => (
            <li>{h}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Billing(props: { readonly billing: BillingView; readonly tz: string }) {
  const b = props.billing;
  const date = (iso: string) => calendarDate(new Date(iso), props.tz);
  return (
    <section aria-labelledby="billing">
      <h2 id="billing">{s.billingHeading}</h2>
      <dl class="facts">
        <dt>{s.balance}</dt>
        <dd>
          {b.balance} {b.currency}
        </dd>
        <dt>{s.monthlyDues}</dt>
        <dd>
          {b.monthlyDues} {b.currency}
        </dd>
      </dl>
      <p>{b.runOut === null ? s.runOutNever : b.runOutPast ? s.runOutPast : `${s.runOut} ${b.runOut}.`}</p>
      <PayButton billing={b} />
      <h3 id="ledger">{s.ledgerHeading}</h3>
      {b.entries.length === 0 ? (
        <p>{s.ledgerNone}</p>
      ) : (
        <table aria-labelledby="ledger">
          <thead>
            <tr>
              <th scope="col">{s.ledgerDate}</th>
              <th scope="col">{s.ledgerWhat}</th>
              <th scope="col" class="num">
                {s.ledgerAmount}
              </th>
            </tr>
          </thead>
          <tbody>
            {b.entries.map((e) => (
              <tr>
                <td>{date(e.at)}</td>
                <td>{e.note ?? (e.kind === 'payment' ? s.ledgerPayment : s.ledgerCharge)}</td>
                <td class="num">{`${e.kind === 'payment' ? '+' : '\u2212'}${formatCents(e.amountCents)} ${b.currency}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Notices(props: { readonly view: MemberView; readonly tz: string }) {
  const { notices } = props.view;
  return (
    <section aria-labelledby="notices">
      <h2 id="notices">{s.noticesHeading}</h2>
      {notices.length === 0 ? (
        <p>{s.noticesNone}</p>
      ) : (
        <table aria-labelledby="notices">
          <thead>
            <tr>
              <th scope="col">{s.noticeDate}</th>
              <th scope="col">{s.noticeSubject}</th>
              <th scope="col">{s.noticeStatus}</th>
            </tr>
          </thead>
          <tbody>
            {notices.map((n) => (
              <tr>
                <td>{calendarDate(new Date(n.sentAt ?? n.queuedAt), props.tz)}</td>
                <td>{n.subject ?? s.noticeKinds[n.kind] ?? n.kind}</td>
                <td>{s.noticeStatuses[n.status] ?? n.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Usage(props: { readonly view: MemberView; readonly tz: string }) {
  const { usage } = props.view;
  if (usage.length === 0) return null;
  return (
    <section aria-labelledby="usage">
      <h2 id="usage">{s.usageHeading}</h2>
      <table aria-labelledby="usage">
        <thead>
          <tr>
            <th scope="col">{s.usageHost}</th>
            <th scope="col">{s.usageWhat}</th>
            <th scope="col" class="num">
              {s.usageSize}
            </th>
            <th scope="col">{s.usageMeasured}</th>
          </tr>
        </thead>
        <tbody>
          {usage.map((u) => (
            <tr>
              <td>{u.host}</td>
              <td>{u.subject}</td>
              <td class="num">{byteSize(u.bytes)}</td>
              <td>{calendarDate(new Date(u.measuredAt), props.tz)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function MemberPage(props: { readonly c: PortalContext; readonly view: MemberView }) {
  const { c, view } = props;
  const tz = c.var.deps.config.timeZone;
  return (
    <Layout title={s.memberTitle} c={c}>
      <p>{s.memberGreeting(view.person.firstName)}</p>
      {view.accounts.length === 0 ? <p>{s.noAccounts}</p> : null}
      {view.accounts.map((a) => (
        <AccountSection view={a} billing={view.billing} />
      ))}
      {view.billing === null ? null : <Billing billing={view.billing} tz={tz} />}
      <Notices view={view} tz={tz} />
      <Usage view={view} tz={tz} />
      <section aria-labelledby="settings">
        <h2 id="settings">{s.settingsHeading}</h2>
        <ul>
          <li>
            <a href="/portal/password">{s.settingsPassword}</a>
          </li>
          <li>
            <a href="/portal/email">{s.settingsEmail}</a>
          </li>
        </ul>
      </section>
      <section aria-labelledby="sessions">
        <h2 id="sessions">{s.sessionsHeading}</h2>
        <table aria-labelledby="sessions">
          <thead>
            <tr>
              <th scope="col">{s.sessionSignedIn}</th>
              <th scope="col">{s.sessionLastSeen}</th>
              <th scope="col">{s.sessionFrom}</th>
            </tr>
          </thead>
          <tbody>
            {view.sessions.map((x) => (
              <tr>
                <td>{wallTime(x.createdAt, tz)}</td>
                <td>{x.idHash === c.var.signedIn?.session.idHash ? s.sessionThis : wallTime(x.lastSeenAt, tz)}</td>
                <td>{x.address ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>{s.sessionsIntro}</p>
        <form method="post" action="/portal/logout-everywhere">
          <CsrfField c={c} />
          <button type="submit">{s.signOutEverywhere}</button>
        </form>
      </section>
    </Layout>
  );
}

/** GET /portal: the signed-in member's accounts, holds in words, billing, notices and usage. */
export function mountMemberPage(portal: Hono<PortalEnv>): void {
  portal.get('/', async (c) => {
    const signedIn = c.var.signedIn;
    if (signedIn === null) return signInRedirect(c);
    const view = await memberView(c.var.deps, signedIn.session.personId);
    if (view === undefined) return signInRedirect(c);
    return c.html(<MemberPage c={c} view={view} />);
  });
}
