import type { Hono } from 'hono';
import { bulkOfMassChange, bulkResultsOf, describeBulkAction, runApprovedBulk, type BulkResults } from '../app/bulk-actions.js';
import { approveMassChange, requireMassChange } from '../app/mass-changes.js';
import { RosterError } from '../domain/errors.js';
import type { MassChange } from '../store/queries/mass-change-queries.js';
import { ADMINS, READERS, WRITERS } from '../server/permissions.js';
import { BulkResultsSummary, BulkResultsTable } from './bulk-page.js';
import { can, consoleActor, consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, Message, ScrollTable } from './console-layout.js';

/** `2026-12-04 22:55` in the site's zone; the page states the zone once. */
function consoleTime(iso: string, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year ?? ''}-${p.month ?? ''}-${p.day ?? ''} ${p.hour ?? ''}:${p.minute ?? ''}`;
}

/** How many mass changes the list shows, newest first. */
const LIST_LIMIT = 100;
/** Accounts a mass change's page names before it says how many more. */
const SHOWN_ACCOUNTS = 2_000;

type Status = 'waiting' | 'approved' | 'running' | 'done' | 'expired';

const s = {
  title: 'Approvals',
  intro: 'Runs the circuit breaker stopped: each waits for a second admin, who approves it. A bulk action then runs at once, and its results show on its page; a purge or a sync is repeated where it was asked, with the approval.',
  zone: (tz: string) => `Times in ${tz}.`,
  caption: 'Mass changes, newest first',
  cols: ['Request', 'What', 'Asked by', 'Asked', 'Accounts affected', 'Expires', 'Status', 'Action'],
  none: 'No run has been stopped by the circuit breaker.',
  statuses: { waiting: 'waiting for approval', approved: 'approved, not run yet', running: 'running', done: 'done', expired: 'expired' } satisfies Record<Status, string>,
  approvedBy: (who: string) => `approved by ${who}`,
  affected: (c: MassChange) => `${c.summary.affected} of ${c.summary.total} (limit ${c.summary.limit})`,
  what: (c: MassChange) => {
    const bulk = bulkOfMassChange(c);
    return bulk === undefined ? c.action : `Bulk: ${describeBulkAction(bulk.action)}`;
  },
  approve: 'Approve and run',
  approveOther: 'Approve',
  ownRequest: 'You asked for this change: a second admin must approve it.',
  notAdmin: 'Only an admin other than the one who asked can approve it.',
  detailTitle: (id: string) => `Mass change ${id}`,
  facts: {
    what: 'What',
    askedBy: 'Asked by',
    asked: 'Asked',
    affected: 'Accounts affected',
    expires: 'Valid until',
    status: 'Status',
    approved: 'Approved',
    ran: 'Run by',
  },
  accountsTitle: (n: number) => `The ${n} ${n === 1 ? 'account' : 'accounts'}`,
  moreAccounts: (n: number) => `… and ${n} more.`,
  runApproved: 'Run the approved change',
  repeatElsewhere: (c: MassChange) =>
    c.action.startsWith('sync:') ? 'Approved: the sync runs from its upload on the Sync page, with this approval.' : `Approved: repeat the run through the API with approval "${c.id}".`,
  resultsTitle: 'Results',
  approvedMessage: (who: string) => `Approved by ${who}.`,
  notFound: (id: string) => `There is no mass change ${id}.`,
  refused: (message: string) => `Not approved: ${message}`,
  notRun: (message: string) => `Not run: ${message}`,
  back: 'Back to the approvals',
};

function statusOf(c: MassChange, now: string): Status {
  const r = c.result as { status?: unknown } | null;
  if (r !== null && r.status === 'done') return 'done';
  if (r !== null && r.status === 'running') return 'running';
  if (c.expiresAt <= now) return 'expired';
  return c.approvedAt === null ? 'waiting' : 'approved';
}

function ranBy(c: MassChange): string | null {
  const r = c.result as { by?: unknown } | null;
  return r !== null && typeof r.by === 'string' ? r.by : null;
}

/** Whether the signed-in user may approve `c` now: an admin, not the one who asked, and the change still waiting. */
function mayApprove(c: ConsoleContext, change: MassChange): boolean {
  const user = c.var.user;
  return user !== null && can(c, ADMINS) && consoleActor(user) !== change.requestedBy && statusOf(change, c.var.deps.clock.now().toISOString()) === 'waiting';
}

function ApproveForm(props: { readonly c: ConsoleContext; readonly change: MassChange; readonly named: boolean }) {
  const { c, change } = props;
  const bulk = bulkOfMassChange(change) !== undefined;
  // In the list, each button's name says which request it approves; the id is read out, not shown again beside its row's link.
  return (
    <form method="post" action={`/console/approvals/${change.id}/approve`}>
      <CsrfField c={c} />
      <button type="submit" class="danger">
        {bulk ? s.approve : s.approveOther}
        {props.named ? <span class="visually-hidden"> {change.id}</span> : null}
      </button>
    </form>
  );
}

function ListPage(props: { readonly c: ConsoleContext; readonly changes: readonly MassChange[]; readonly notice?: { readonly kind: 'error' | 'info'; readonly text: string } }) {
  const { c, changes } = props;
  const tz = c.var.deps.config.timeZone;
  const now = c.var.deps.clock.now().toISOString();
  return (
    <ConsoleLayout title={s.title} c={c}>
      {props.notice === undefined ? null : <Message kind={props.notice.kind}>{props.notice.text}</Message>}
      <p>{s.intro}</p>
      {changes.length === 0 ? (
        <p>{s.none}</p>
      ) : (
        <>
          <p class="hint">{s.zone(tz)}</p>
          <ScrollTable captionId="approvals-caption" caption={s.caption} cols={s.cols}>
            {changes.map((m) => {
              const status = statusOf(m, now);
              return (
                <tr>
                  <td>
                    <a href={`/console/approvals/${m.id}`}>{m.id}</a>
                  </td>
                  <td>{s.what(m)}</td>
                  <td>{m.requestedBy}</td>
                  <td>{consoleTime(m.requestedAt, tz)}</td>
                  <td>{s.affected(m)}</td>
                  <td>{consoleTime(m.expiresAt, tz)}</td>
                  <td>
                    {s.statuses[status]}
                    {m.approvedBy === null ? null : <span class="muted"> ({s.approvedBy(m.approvedBy)})</span>}
                  </td>
                  <td>{mayApprove(c, m) ? <ApproveForm c={c} change={m} named={true} /> : null}</td>
                </tr>
              );
            })}
          </ScrollTable>
        </>
      )}
    </ConsoleLayout>
  );
}

function DetailPage(props: { readonly c: ConsoleContext; readonly change: MassChange; readonly results?: BulkResults; readonly notice?: { readonly kind: 'error' | 'info'; readonly text: string } }) {
  const { c, change } = props;
  const tz = c.var.deps.config.timeZone;
  const now = c.var.deps.clock.now().toISOString();
  const status = statusOf(change, now);
  const bulk = bulkOfMassChange(change);
  const results = props.results ?? bulkResultsOf(change);
  const user = c.var.user;
  const own = user !== null && consoleActor(user) === change.requestedBy;
  const runner = ranBy(change);
  return (
    <ConsoleLayout title={s.detailTitle(change.id)} c={c}>
      {props.notice === undefined ? null : <Message kind={props.notice.kind}>{props.notice.text}</Message>}
      <dl class="facts">
        <dt>{s.facts.what}</dt>
        <dd>{s.what(change)}</dd>
        <dt>{s.facts.askedBy}</dt>
        <dd>{change.requestedBy}</dd>
        <dt>{s.facts.asked}</dt>
        <dd>
          {consoleTime(change.requestedAt, tz)} ({tz})
        </dd>
        <dt>{s.facts.affected}</dt>
        <dd>{s.affected(change)}</dd>
        <dt>{s.facts.expires}</dt>
        <dd>
          {consoleTime(change.expiresAt, tz)} ({tz})
        </dd>
        <dt>{s.facts.status}</dt>
        <dd>{s.statuses[status]}</dd>
        {change.approvedAt === null ? null : (
          <>
            <dt>{s.facts.approved}</dt>
            <dd>
              {change.approvedBy ?? '?'}, {consoleTime(change.approvedAt, tz)}
            </dd>
          </>
        )}
        {runner === null ? null : (
          <>
            <dt>{s.facts.ran}</dt>
            <dd>{runner}</dd>
          </>
        )}
      </dl>
      {status === 'waiting' ? mayApprove(c, change) ? <ApproveForm c={c} change={change} named={false} /> : <p>{own ? s.ownRequest : s.notAdmin}</p> : null}
      {status === 'approved' && bulk !== undefined && can(c, WRITERS) ? (
        <form method="post" action={`/console/approvals/${change.id}/run`}>
          <CsrfField c={c} />
          <button type="submit" class="danger">
            {s.runApproved}
          </button>
        </form>
      ) : null}
      {status === 'approved' && bulk === undefined ? <p>{s.repeatElsewhere(change)}</p> : null}
      {results === undefined ? null : (
        <>
          <h2>{s.resultsTitle}</h2>
          <BulkResultsSummary c={c} action={results.action} counts={results.counts} />
          <BulkResultsTable id="approval-results" items={results.items} />
        </>
      )}
      {bulk === undefined || results !== undefined ? null : (
        <>
          <h2>{s.accountsTitle(bulk.usernames.length)}</h2>
          <ul class="names">
            {bulk.usernames.slice(0, SHOWN_ACCOUNTS).map((u) => (
              <li>{u}</li>
            ))}
          </ul>
          {bulk.usernames.length > SHOWN_ACCOUNTS ? <p>{s.moreAccounts(bulk.usernames.length - SHOWN_ACCOUNTS)}</p> : null}
        </>
      )}
      <p>
        <a href="/console/approvals">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

async function listPage(c: ConsoleContext, notice?: { readonly kind: 'error' | 'info'; readonly text: string }, status: 200 | 404 = 200): Promise<Response> {
  const changes = await c.var.deps.store.read.listMassChanges({ limit: LIST_LIMIT });
  return c.html(<ListPage c={c} changes={changes} {...(notice === undefined ? {} : { notice })} />, status);
}

/**
 * Runs an approved bulk change and shows its page with the per-item
 * results; a refusal (expired, already used, grown since approval) shows
 * the page as it is, with why.
 */
async function runAndShow(c: ConsoleContext, change: MassChange, approvedNow: boolean): Promise<Response> {
  const ctx = consoleAppContext(c);
  try {
    const results = await runApprovedBulk(ctx, change.id);
    const done = await requireMassChange(ctx, change.id);
    return await c.html(<DetailPage c={c} change={done} results={results} {...(approvedNow ? { notice: { kind: 'info' as const, text: s.approvedMessage(ctx.actor) } } : {})} />);
  } catch (e) {
    if (!(e instanceof RosterError) || (e.code !== 'conflict' && e.code !== 'bad_input')) throw e;
    return c.html(<DetailPage c={c} change={await requireMassChange(ctx, change.id)} notice={{ kind: 'error', text: s.notRun(e.message) }} />, 409);
  }
}

/**
 * Mass-change approvals in the console (issue 16 items 4 and 5): the list
 * of runs the circuit breaker stopped (what, who asked, when, how many
 * accounts, until when), each one's page with its accounts or results, and
 * the approval — for admins only, never by the one who asked (checked by
 * approveMassChange on the server as well as hidden here). An approved bulk
 * action runs at once, as the approving admin, and its page shows the
 * per-item results from then on; one approved through the API can be run
 * from its page.
 */
export function mountApprovalsPage(console: Hono<ConsoleEnv>): void {
  console.get('/approvals', requireRole(READERS), async (c) => listPage(c));

  console.get('/approvals/:id', requireRole(READERS), async (c) => {
    const id = c.req.param('id');
    const change = await c.var.deps.store.read.getMassChange(id);
    if (change === undefined) return listPage(c, { kind: 'error', text: s.notFound(id) }, 404);
    return c.html(<DetailPage c={c} change={change} />);
  });

  console.post('/approvals/:id/approve', requireRole(ADMINS), async (c) => {
    const id = c.req.param('id');
    const ctx = consoleAppContext(c);
    const change = await ctx.store.read.getMassChange(id);
    if (change === undefined) return listPage(c, { kind: 'error', text: s.notFound(id) }, 404);
    let approved: MassChange;
    try {
      approved = await approveMassChange(ctx, id, { tokenId: null });
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'conflict') throw e;
      return c.html(<DetailPage c={c} change={await requireMassChange(ctx, id)} notice={{ kind: 'error', text: s.refused(e.message) }} />, 409);
    }
    if (bulkOfMassChange(approved) === undefined) return c.html(<DetailPage c={c} change={approved} notice={{ kind: 'info', text: s.approvedMessage(ctx.actor) }} />);
    return runAndShow(c, approved, true);
  });

  console.post('/approvals/:id/run', requireRole(WRITERS), async (c) => {
    const id = c.req.param('id');
    const change = await c.var.deps.store.read.getMassChange(id);
    if (change === undefined) return listPage(c, { kind: 'error', text: s.notFound(id) }, 404);
    return runAndShow(c, change, false);
  });
}
