import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import type { AppContext } from '../app/app-context.js';
import { parseSearchFields, searchAllUsernames, searchFieldsOf, type AccountSearchFilter } from '../app/account-search.js';
import {
  bulkActionFields,
  describeBulkAction,
  parseBulkAction,
  planBulkAction,
  runBulkAction,
  selectedUsernames,
  type BulkAction,
  type BulkActionKind,
  type BulkItemResult,
  type BulkPlan,
  type HostEffect,
  type ItemOutcome,
  MAX_BULK_ITEMS,
  type ServerHostPlan,
} from '../app/bulk-actions.js';
import { RosterError } from '../domain/errors.js';
import { targetRegistry } from '../targets/registry.js';
import type { MassChange } from '../store/queries/mass-change-queries.js';
import { WRITERS } from '../server/permissions.js';
import { consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, described, FieldNotes, Message, ScrollTable } from './console-layout.js';

/** Rows of the item list a plan or result page shows; the counts cover all items. */
const SHOWN_ITEMS = 2_000;

const s = {
  formTitle: 'Bulk action',
  selected: (n: number) => `${n} ${n === 1 ? 'account' : 'accounts'} selected.`,
  selectedSearch: (n: number) => `${n} ${n === 1 ? 'account matches' : 'accounts match'} the search; the action applies to each.`,
  formIntro: 'Choose an action. Each button first shows the plan: nothing changes until you confirm it.',
  legends: { freeze: 'Freeze', unfreeze: 'Lift a hold', retire: 'Retire', notice: 'Send a notice' } satisfies Record<BulkActionKind, string>,
  labels: {
    freezeReason: 'Freeze reason',
    note: 'Note (optional)',
    unfreezeReason: 'Hold to lift (its reason)',
    deactivateAfter: 'Days until deactivation (D)',
    deleteAfter: 'Days until deletion (P)',
    subject: 'Subject',
    body: 'Message',
  },
  hints: {
    freezeReason: 'A lower-case word: admin, security, billing … The hold is named freeze:<reason>.',
    note: 'Why, for the audit log and the account page (at most 500 characters).',
    unfreezeReason: 'The reason of the freeze to lift: the other holds stay.',
    deactivateAfter: "Empty: each account type's own grace period. 0 disables at once.",
    deleteAfter: "Empty: each account type's own grace period. 0 purges at once. Not shorter than D.",
    subject: 'One line, at most 200 characters.',
    body: 'Sent to each member at the address of the account’s type; a member with several selected accounts gets it once.',
  },
  planButtons: { freeze: 'Plan the freeze', unfreeze: 'Plan lifting the hold', retire: 'Plan the retirement', notice: 'Plan the notice' } satisfies Record<BulkActionKind, string>,
  fix: 'Nothing was planned; fix the field marked below.',
  planTitle: 'Plan of the bulk action',
  planSummary: (what: string, n: number) => `Plan: ${what}, for ${n} ${n === 1 ? 'account' : 'accounts'}. This is a dry run: nothing has changed yet.`,
  countsCaption: 'What each account would see',
  outcomeNames: { changed: 'change', unchanged: 'nothing to do', error: 'would fail' } satisfies Record<ItemOutcome, string>,
  resultNames: { changed: 'changed', unchanged: 'nothing to do', error: 'failed' } satisfies Record<ItemOutcome, string>,
  hostsCaption: 'Accounts per host and target',
  hostsNone: 'No host changes: the accounts’ entries on their hosts stay as they are.',
  hostsNote: "Each target of a host applies the change in its own way: unix and ldap lock the password, the login list names the account, homes keep their data. Where a host runs no target nothing is applied there, and a host applied by its agent takes the change at the agent's next poll.",
  hostCols: ['Host', 'Target', 'Change', 'Accounts'],
  applyTitle: (host: string) => `What apply would do on host ${host}`,
  applyIntro: 'This host is applied by the server: these are the changes its next apply run makes for the selected accounts (the apply job, on its schedule), as roster plan --host shows them.',
  applyCols: ['Target', 'Changes', 'Accounts', 'Kinds of change'],
  oneFile: 'one file for all',
  applyNone: 'Apply finds nothing to change here for these accounts.',
  applyWidened: (why: string) => `The whole host had to be planned (${why}); only the selected accounts' changes are counted.`,
  applyError: (why: string) => `This host could not be planned: ${why}`,
  noTargets: '(no targets: nothing to apply)',
  effects: { disable: 'disabled', enable: 'enabled again', expire: 'expiry date set', remove: 'removed (purged)' } satisfies Record<HostEffect, string>,
  itemsCaption: 'Each account',
  itemCols: ['Account', 'Type', 'Now', 'After', 'What changes', 'Hosts'],
  resultCols: ['Account', 'Result', 'Detail'],
  more: (n: number) => `… and ${n} more, not listed here.`,
  rejectedTitle: 'Not acted on',
  breakerOver: (affected: number, total: number, limit: number) =>
    `This retires ${affected} of ${total} accounts, more than the circuit breaker allows in one run (${limit}). Confirming asks a second admin to approve it; it runs once approved.`,
  breakerUnder: (affected: number, limit: number) => `${affected} retirements, within the circuit breaker's limit of ${limit}.`,
  confirm: (what: string, n: number) => `Confirm: ${what} (${n} ${n === 1 ? 'account' : 'accounts'})`,
  askApproval: (n: number) => `Ask a second admin to approve (${n} accounts)`,
  nothingToRun: 'No account would change: there is nothing to confirm.',
  changedMeanwhile: 'The selection or the accounts changed since the plan was shown. Here is the plan as it is now; check it again.',
  resultsTitle: 'Bulk action results',
  hostsAfter: (server: readonly string[], schedule: string) =>
    `The hosts follow: ${server.length === 0 ? 'each agent applies its host at its next poll' : `the server applies ${server.join(', ')} at its apply job's next run (schedule ${schedule}), and each agent its own host at its next poll`}.`,
  resultsSummary: (what: string, c: Readonly<Record<ItemOutcome, number>>) => `Done: ${what}. ${c.changed} changed, ${c.unchanged} with nothing to do, ${c.error} failed.`,
  waitingTitle: 'Waiting for a second admin',
  waiting: (n: number, limit: number) => `Nothing has changed. ${n} retirements are more than the circuit breaker allows in one run (${limit}), so a second admin must approve them.`,
  waitingExpires: (at: string) => `The request is valid until ${at}. Once approved, it runs and its results show on its page.`,
  waitingLink: 'The approval request',
  back: 'Back to the search',
  noSelection: 'Select accounts in the search first.',
};

const KINDS: readonly BulkActionKind[] = ['freeze', 'unfreeze', 'retire', 'notice'];

type Field = 'reason' | 'note' | 'deactivateAfter' | 'deleteAfter' | 'subject' | 'body';
const ACTION_FIELDS: Readonly<Record<BulkActionKind, readonly Field[]>> = {
  freeze: ['reason', 'note'],
  unfreeze: ['reason'],
  retire: ['deactivateAfter', 'deleteAfter'],
  notice: ['subject', 'body'],
};

/** The accounts a bulk action is for: named one by one, or every result of a search (resolved anew at each step). */
type Selection = { readonly kind: 'names'; readonly usernames: readonly string[] } | { readonly kind: 'search'; readonly filter: AccountSearchFilter };

type Body = Record<string, string | File | Array<string | File>>;

function texts(body: Body, name: string): string[] {
  const v = body[name];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter((x): x is string => typeof x === 'string');
}

function text(body: Body, name: string): string {
  return texts(body, name)[0] ?? '';
}

function readSelection(ctx: AppContext, body: Body): Selection {
  if (text(body, 'all') === '1') {
    const fields: Record<string, string> = {};
    for (const key of ['q', 'state', 'hold', 'type', 'source', 'host']) fields[key] = text(body, key);
    return { kind: 'search', filter: parseSearchFields(ctx.config, fields).filter };
  }
  return { kind: 'names', usernames: selectedUsernames(texts(body, 'username')) };
}

async function resolve(ctx: AppContext, selection: Selection): Promise<string[]> {
  if (selection.kind === 'names') return [...selection.usernames];
  const usernames = await searchAllUsernames(ctx, selection.filter);
  if (usernames.length > MAX_BULK_ITEMS) throw new RosterError('bad_input', `the search finds ${usernames.length} accounts, more than ${MAX_BULK_ITEMS} in one bulk action`, [{ where: 'username', message: `at most ${MAX_BULK_ITEMS} accounts` }]);
  return usernames;
}

/** The selection as hidden fields, so that every step posts the same selection again. */
function SelectionFields(props: { readonly selection: Selection }) {
  const { selection } = props;
  if (selection.kind === 'names') return <>{selection.usernames.map((u) => <input type="hidden" name="username" value={u} />)}</>;
  return (
    <>
      <input type="hidden" name="all" value="1" />
      {Object.entries(searchFieldsOf(selection.filter)).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
    </>
  );
}

/** The refusal of an empty selection (a form posted with no account ticked). */
function isNoSelection(e: RosterError): boolean {
  return e.issues[0]?.where === 'username' && e.issues[0].message === 'select at least one account';
}

/** What the confirmation binds to: the action and the exact accounts the plan showed. */
function planDigest(action: BulkAction, usernames: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify({ fields: bulkActionFields(action), usernames })).digest('hex');
}

function when(iso: string, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year ?? ''}-${p.month ?? ''}-${p.day ?? ''} ${p.hour ?? ''}:${p.minute ?? ''} (${timeZone})`;
}

interface FormErrors {
  readonly kind: BulkActionKind;
  readonly field: Field;
  readonly message: string;
}

/** One action's form: its fields, the selection, and the button that plans it. */
function ActionForm(props: { readonly c: ConsoleContext; readonly kind: BulkActionKind; readonly selection: Selection; readonly values: Readonly<Record<string, string>>; readonly error: FormErrors | undefined }) {
  const { c, kind, selection, values } = props;
  const err = (field: Field): string | undefined => (props.error?.kind === kind && props.error.field === field ? props.error.message : undefined);
  const input = (field: Field, label: string, hint: string, extra: Record<string, unknown> = {}) => {
    const id = `${kind}-${field}`;
    return (
      <>
        <label for={id}>{label}</label>
        <input type="text" id={id} name={field} value={props.error?.kind === kind ? (values[field] ?? '') : ''} autocomplete="off" {...extra} {...described(id, err(field))} />
        <FieldNotes id={id} hint={hint} error={err(field)} />
      </>
    );
  };
  return (
    <form class="stacked" method="post" action="/console/bulk">
      <CsrfField c={c} />
      <SelectionFields selection={selection} />
      <input type="hidden" name="action" value={kind} />
      <input type="hidden" name="step" value="plan" />
      <fieldset>
        <legend>{s.legends[kind]}</legend>
        {kind === 'freeze' ? (
          <>
            {input('reason', s.labels.freezeReason, s.hints.freezeReason, { spellcheck: false, maxlength: 32 })}
            {input('note', s.labels.note, s.hints.note, { maxlength: 500 })}
          </>
        ) : null}
        {kind === 'unfreeze' ? input('reason', s.labels.unfreezeReason, s.hints.unfreezeReason, { spellcheck: false, maxlength: 32 }) : null}
        {kind === 'retire' ? (
          <>
            {input('deactivateAfter', s.labels.deactivateAfter, s.hints.deactivateAfter, { inputmode: 'numeric', maxlength: 5 })}
            {input('deleteAfter', s.labels.deleteAfter, s.hints.deleteAfter, { inputmode: 'numeric', maxlength: 5 })}
          </>
        ) : null}
        {kind === 'notice' ? (
          <>
            {input('subject', s.labels.subject, s.hints.subject, { maxlength: 200 })}
            <label for="notice-body">{s.labels.body}</label>
            <textarea id="notice-body" name="body" rows={6} {...described('notice-body', err('body'))}>
              {props.error?.kind === kind ? (values.body ?? '') : ''}
            </textarea>
            <FieldNotes id="notice-body" hint={s.hints.body} error={err('body')} />
          </>
        ) : null}
        <div>
          <button type="submit">{s.planButtons[kind]}</button>
        </div>
      </fieldset>
    </form>
  );
}

function FormPage(props: { readonly c: ConsoleContext; readonly selection: Selection; readonly count: number; readonly values?: Readonly<Record<string, string>>; readonly error?: FormErrors }) {
  const { c, selection, count } = props;
  return (
    <ConsoleLayout title={s.formTitle} c={c}>
      {props.error === undefined ? null : <Message kind="error">{s.fix}</Message>}
      <p>{selection.kind === 'names' ? s.selected(count) : s.selectedSearch(count)}</p>
      <p>{s.formIntro}</p>
      {KINDS.map((kind) => (
        <ActionForm c={c} kind={kind} selection={selection} values={props.values ?? {}} error={props.error} />
      ))}
      <p>
        <a href="/console">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

function Counts(props: { readonly id: string; readonly counts: Readonly<Record<ItemOutcome, number>>; readonly names: Readonly<Record<ItemOutcome, string>> }) {
  return (
    <dl class="counts" id={props.id}>
      {(['changed', 'unchanged', 'error'] as const).map((o) => (
        <>
          <dt>{props.names[o]}</dt>
          <dd>{props.counts[o]}</dd>
        </>
      ))}
    </dl>
  );
}

function Rejected(props: { readonly rejected: BulkPlan['rejected'] }) {
  if (props.rejected.length === 0) return null;
  return (
    <>
      <h2>{s.rejectedTitle}</h2>
      <ul>
        {props.rejected.map((r) => (
          <li>
            {r.username}: {r.why}
          </li>
        ))}
      </ul>
    </>
  );
}

/** A server-applied host's plan for the selected accounts, per target. */
function ServerHost(props: { readonly plan: ServerHostPlan }) {
  const h = props.plan;
  const id = `apply-${h.host}`;
  return (
    <>
      <h2>{s.applyTitle(h.host)}</h2>
      <p>{s.applyIntro}</p>
      {h.error !== undefined ? <Message kind="error">{s.applyError(h.error)}</Message> : null}
      {h.widened !== undefined ? <p>{s.applyWidened(h.widened)}</p> : null}
      {h.error === undefined && h.targets.length === 0 ? <p>{s.applyNone}</p> : null}
      {h.targets.length === 0 ? null : (
        <ScrollTable captionId={id} caption={s.applyTitle(h.host)} hideCaption={true} cols={s.applyCols}>
          {h.targets.map((t) => (
            <tr>
              <td>{t.target}</td>
              <td class="num">{t.changes}</td>
              <td class="num">{t.accounts === 0 ? s.oneFile : t.accounts}</td>
              <td>{t.actions.join(', ')}</td>
            </tr>
          ))}
        </ScrollTable>
      )}
    </>
  );
}

function PlanPage(props: { readonly c: ConsoleContext; readonly selection: Selection; readonly plan: BulkPlan; readonly notice?: string }) {
  const { c, selection, plan } = props;
  const what = describeBulkAction(plan.action);
  const fields = bulkActionFields(plan.action);
  const runnable = plan.counts.changed > 0;
  return (
    <ConsoleLayout title={s.planTitle} c={c}>
      {props.notice === undefined ? null : <Message kind="error">{props.notice}</Message>}
      <p>{s.planSummary(what, plan.items.length)}</p>
      {plan.breaker.applies ? (
        plan.breaker.over ? (
          <Message kind="info">{s.breakerOver(plan.breaker.affected, plan.breaker.total, plan.breaker.limit)}</Message>
        ) : (
          <p>{s.breakerUnder(plan.breaker.affected, plan.breaker.limit)}</p>
        )
      ) : null}
      <h2>{s.countsCaption}</h2>
      <Counts id="plan-counts" counts={plan.counts} names={s.outcomeNames} />
      <h2>{s.hostsCaption}</h2>
      {plan.hosts.length === 0 ? (
        <p>{s.hostsNone}</p>
      ) : (
        <>
          <ScrollTable captionId="plan-hosts" caption={s.hostsCaption} hideCaption={true} cols={s.hostCols}>
            {plan.hosts.map((h) => (
              <tr>
                <td>{h.host}</td>
                <td>{h.target ?? s.noTargets}</td>
                <td>{s.effects[h.effect]}</td>
                <td class="num">{h.accounts}</td>
              </tr>
            ))}
          </ScrollTable>
          <p class="hint">{s.hostsNote}</p>
        </>
      )}
      {plan.serverHosts.map((h) => (
        <ServerHost plan={h} />
      ))}
      <Rejected rejected={plan.rejected} />
      {runnable ? (
        <form method="post" action="/console/bulk">
          <CsrfField c={c} />
          <SelectionFields selection={selection} />
          {Object.entries(fields).map(([k, v]) => (
            <input type="hidden" name={k} value={v} />
          ))}
          <input type="hidden" name="step" value="run" />
          <input type="hidden" name="plan" value={planDigest(plan.action, plan.usernames)} />
          <button type="submit" class={plan.action.kind === 'retire' ? 'danger' : undefined}>
            {plan.breaker.over ? s.askApproval(plan.breaker.affected) : s.confirm(what, plan.counts.changed)}
          </button>
        </form>
      ) : (
        <p>{s.nothingToRun}</p>
      )}
      <h2>{s.itemsCaption}</h2>
      <ScrollTable captionId="plan-items" caption={s.itemsCaption} hideCaption={true} cols={s.itemCols}>
        {plan.items.slice(0, SHOWN_ITEMS).map((i) => (
          <tr>
            <td>
              <a href={`/console/accounts/${encodeURIComponent(i.username)}`}>{i.username}</a>
            </td>
            <td>{i.type}</td>
            <td>{i.stateBefore}</td>
            <td>{i.stateAfter}</td>
            <td>
              <span class={`outcome ${i.outcome}`}>{s.outcomeNames[i.outcome]}</span>: {i.detail}
            </td>
            <td>{i.hosts.join(', ')}</td>
          </tr>
        ))}
      </ScrollTable>
      {plan.items.length > SHOWN_ITEMS ? <p>{s.more(plan.items.length - SHOWN_ITEMS)}</p> : null}
      <p>
        <a href="/console">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

/** The per-item results of a bulk run (also on an approved mass change's page). */
export function BulkResultsTable(props: { readonly id: string; readonly items: readonly BulkItemResult[] }) {
  return (
    <>
      <ScrollTable captionId={props.id} caption={s.itemsCaption} cols={s.resultCols}>
        {props.items.slice(0, SHOWN_ITEMS).map((i) => (
          <tr>
            <td>
              {i.outcome === 'error' ? i.username : <a href={`/console/accounts/${encodeURIComponent(i.username)}`}>{i.username}</a>}
            </td>
            <td>
              <span class={`outcome ${i.outcome}`}>{s.resultNames[i.outcome]}</span>
            </td>
            <td>{i.detail}</td>
          </tr>
        ))}
      </ScrollTable>
      {props.items.length > SHOWN_ITEMS ? <p>{s.more(props.items.length - SHOWN_ITEMS)}</p> : null}
    </>
  );
}

/** The one-line summary and counts of a bulk run's results, and when the hosts follow (a notice changes no host). */
export function BulkResultsSummary(props: { readonly c: ConsoleContext; readonly action: BulkAction; readonly counts: Readonly<Record<ItemOutcome, number>> }) {
  const config = props.c.var.deps.config;
  const server = Object.entries(config.hosts)
    .filter(([, h]) => h.appliedBy === 'server')
    .map(([name]) => name);
  return (
    <>
      <Message kind="info">{s.resultsSummary(describeBulkAction(props.action), props.counts)}</Message>
      <Counts id="result-counts" counts={props.counts} names={s.resultNames} />
      {props.action.kind === 'notice' || props.counts.changed === 0 ? null : <p>{s.hostsAfter(server, config.apply.schedule)}</p>}
    </>
  );
}

function WaitingPage(props: { readonly c: ConsoleContext; readonly change: MassChange }) {
  const { c, change } = props;
  return (
    <ConsoleLayout title={s.waitingTitle} c={c}>
      <Message kind="info">{s.waiting(change.summary.affected, change.summary.limit)}</Message>
      <p>{s.waitingExpires(when(change.expiresAt, c.var.deps.config.timeZone))}</p>
      <p>
        <a href={`/console/approvals/${change.id}`}>{s.waitingLink}</a>
      </p>
    </ConsoleLayout>
  );
}

function noSelectionPage(c: ConsoleContext, status: 200 | 400): Response | Promise<Response> {
  return c.html(
    <ConsoleLayout title={s.formTitle} c={c}>
      <Message kind={status === 200 ? 'info' : 'error'}>{s.noSelection}</Message>
      <p>
        <a href="/console">{s.back}</a>
      </p>
    </ConsoleLayout>,
    status,
  );
}

/** A selection that cannot be used (none, too many, a bad search field): why, and the way back. */
function selectionProblem(c: ConsoleContext, e: RosterError): Response | Promise<Response> {
  if (isNoSelection(e)) return noSelectionPage(c, 400);
  return c.html(
    <ConsoleLayout title={s.formTitle} c={c}>
      <Message kind="error">{e.message}</Message>
      <p>
        <a href="/console">{s.back}</a>
      </p>
    </ConsoleLayout>,
    400,
  );
}

const FIELD_OF: Readonly<Record<string, Field>> = { reason: 'reason', note: 'note', deactivateAfter: 'deactivateAfter', deleteAfter: 'deleteAfter', subject: 'subject', body: 'body' };

/**
 * Bulk actions in the console (issue 16 item 4), for admins and operators:
 * the search posts its selection (usernames, or `all=1` with the search's
 * fields) to POST /console/bulk, which shows the action forms; each plans
 * first (a dry run of every item: counts per host and target, each
 * account), and only the plan's Confirm runs it — if the accounts are still
 * the ones planned. A retirement over the circuit breaker becomes a mass
 * change that a second admin approves on /console/approvals. Every step is
 * a POST carrying the selection, so nothing depends on script or state.
 */
export function mountBulkPage(console: Hono<ConsoleEnv>): void {
  // A link may carry the selection too (`?all=1&type=member`, `?username=a&username=b`): the GET only shows the forms.
  console.get('/bulk', requireRole(WRITERS), async (c) => {
    const body: Body = c.req.queries();
    if (text(body, 'all') !== '1' && texts(body, 'username').length === 0) return noSelectionPage(c, 200);
    const ctx = consoleAppContext(c);
    try {
      const selection = readSelection(ctx, body);
      return await c.html(<FormPage c={c} selection={selection} count={(await resolve(ctx, selection)).length} />);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'bad_input') throw e;
      return selectionProblem(c, e);
    }
  });

  console.post('/bulk', requireRole(WRITERS), async (c) => {
    const body: Body = await c.req.parseBody({ all: true });
    const ctx = consoleAppContext(c);
    let selection: Selection;
    let usernames: string[];
    try {
      selection = readSelection(ctx, body);
      usernames = await resolve(ctx, selection);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'bad_input') throw e;
      return selectionProblem(c, e);
    }
    const step = text(body, 'step');
    const kind = text(body, 'action');
    if (step !== 'plan' && step !== 'run') return c.html(<FormPage c={c} selection={selection} count={usernames.length} />);
    const values: Record<string, string> = { action: kind };
    for (const f of ACTION_FIELDS[(KINDS as readonly string[]).includes(kind) ? (kind as BulkActionKind) : 'freeze']) values[f] = text(body, f);
    let action: BulkAction;
    try {
      action = parseBulkAction(values);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'bad_input') throw e;
      const where = e.issues[0]?.where ?? '';
      const field = FIELD_OF[where];
      if (field === undefined || !(KINDS as readonly string[]).includes(kind)) {
        return c.html(<FormPage c={c} selection={selection} count={usernames.length} />, 400);
      }
      return c.html(<FormPage c={c} selection={selection} count={usernames.length} values={values} error={{ kind: kind as BulkActionKind, field, message: e.issues[0]?.message ?? e.message }} />, 400);
    }
    const deps = c.var.deps;
    const plan = await planBulkAction(ctx, action, usernames, { targets: deps.targets ?? targetRegistry, applyRoot: deps.applyRoot ?? '/' });
    if (step === 'plan') return c.html(<PlanPage c={c} selection={selection} plan={plan} />);
    if (text(body, 'plan') !== planDigest(action, plan.usernames)) return c.html(<PlanPage c={c} selection={selection} plan={plan} notice={s.changedMeanwhile} />, 409);
    // The names the plan could not act on go along, so that the results name them too.
    const run = await runBulkAction(ctx, action, usernames);
    if (run.status === 'waiting') return c.html(<WaitingPage c={c} change={run.change} />, 202);
    return c.html(
      <ConsoleLayout title={s.resultsTitle} c={c}>
        <BulkResultsSummary c={c} action={run.results.action} counts={run.results.counts} />
        <BulkResultsTable id="result-items" items={run.results.items} />
        <p>
          <a href="/console">{s.back}</a>
        </p>
      </ConsoleLayout>,
    );
  });
}
