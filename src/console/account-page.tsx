import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { accountView, type AccountView } from '../app/account-view.js';
import { actionFields, applyAction, parseAccountAction, previewAction, type AccountAction, type ActionPlan, type ActionResult, type FieldChange, type HostPreview } from '../app/action-preview.js';
import { wallTime } from '../app/notices.js';
import { listUsage, type UsageView } from '../app/usage.js';
import type { Account, Hold } from '../domain/account.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { READERS, WRITERS } from '../server/permissions.js';
import type { AuditRecord, Resource } from '../store/store.js';
import { targetRegistry } from '../targets/registry.js';
import { can, consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, Message, ScrollTable } from './console-layout.js';

/** How many of the account's audit records the page lists, newest first (the audit page has them all). */
const AUDIT_ROWS = 50;

const s = {
  title: (u: string) => `Account ${u}`,
  factsHeading: 'Account',
  facts: {
    username: 'Username',
    uidGid: 'UID / GID',
    type: 'Type',
    person: 'Person',
    state: 'State',
    expires: 'Expires',
    purgeAt: 'Purge at',
    purged: 'Purged',
    gecos: 'GECOS',
    home: 'Home',
    shell: 'Shell',
    groups: 'Groups',
    password: 'Password',
    created: 'Created',
    updated: 'Last changed',
  },
  none: '–',
  passwordSet: (set: boolean) => (set ? 'set' : 'not set'),
  passwordKerberos: (principal: string) => `in Kerberos (principal ${principal})`,
  states: { pending: 'pending', active: 'active', disabled: 'disabled (on hold)', purged: 'purged' } as Readonly<Record<string, string>>,
  holdsHeading: 'Holds',
  holdsNone: 'No holds: nothing is disabled.',
  holdsCaption: 'Holds, each lifted on its own',
  holdCols: ['Hold', 'Why', 'Note', 'Since', 'Set by'],
  holdName: (h: Pick<Hold, 'kind' | 'reason'>) => (h.kind === 'retired' ? 'retired' : `freeze: ${h.reason}`),
  holdFuture: 'takes effect then',
  resourcesHeading: 'Resources',
  resourcesNone: 'This account owns no resources.',
  resourcesCaption: 'Resources the account owns',
  resourceCols: ['Kind', 'Name', 'Host'],
  usageHeading: 'Usage',
  usageNone: 'Nothing measured yet.',
  usageCaption: 'What the account uses, as last measured',
  usageCols: ['Host', 'Target', 'What', 'Size', 'Measured'],
  auditHeading: 'Audit trail',
  auditNone: 'Nothing recorded for this account.',
  auditCaption: (n: number) => `${n === 1 ? 'The one record' : `The newest ${n} records`} about this account`,
  auditCols: ['#', 'When', 'Who', 'What', 'Result'],
  auditAll: 'All of its records on the audit page',
  actionsHeading: 'Actions',
  actionsIntro: 'Each action first shows its plan: what changes in the account and on each host. Nothing changes until you confirm.',
  labels: {
    freezeReason: 'Freeze reason',
    freezeNote: 'Note (for the audit log and the member)',
    deactivateAfter: 'Deactivate after (days)',
    deleteAfter: 'Delete after (days)',
    purgeReason: 'Reason for the purge',
    type: 'New type',
    skipEligibility: 'Move even if the person is not eligible (recorded in the audit log)',
  },
  hints: {
    freezeReason: 'One word: billing, admin, security or your own.',
    retire: (d: number, p: number) => `Empty fields take the type’s grace: ${d} and ${p} days. Delete after 0 purges at once.`,
    purge: 'The account becomes a tombstone: its username and UID stay reserved, its home is archived where the host keeps archives.',
    type: 'The type decides the hosts, groups, services and dues; username, UID, home and password stay.',
    resetLink: (auth: string) => (auth === 'crypt' ? 'The member gets a link to set a new password, good for one use.' : 'This type’s password is not kept by Roster.'),
  },
  buttons: {
    freeze: 'Plan: freeze',
    lift: (h: Hold) => `Plan: lift ${s.holdName(h)}`,
    retire: 'Plan: retire',
    reactivate: 'Plan: reactivate',
    purge: 'Plan: purge now',
    restore: 'Plan: restore',
    moveType: 'Plan: move to the type',
    resetLink: 'Plan: send a password link',
  },
  headings: { freeze: 'Freeze', lift: 'Lift a hold', retire: 'Retire', reactivate: 'Reactivate', purge: 'Purge now', restore: 'Restore', moveType: 'Move to another type', resetLink: 'Reset the password' },
  liftIntro: 'Lifting one hold never lifts another.',
  reactivateIntro: 'Lifts the retired hold and clears the expiry and purge dates; freezes stay.',
  restoreIntro: 'Brings the account back with the same username and UID; hosts with an archive of its home restore it.',
  refused: (message: string) => `Nothing was planned: ${message}`,
  // ---- The plan and the results ----
  verbs: { freeze: 'freeze', unfreeze: 'lift a hold of', retire: 'retire', reactivate: 'reactivate', purge: 'purge', restore: 'restore', 'move-type': 'move', 'reset-link': 'send a password link to' } as Readonly<Record<string, string>>,
  planTitle: (verb: string, u: string) => `Plan: ${verb} ${u}`,
  planIntro: 'Nothing has changed yet. This is what confirming does, computed with the action’s own dry run.',
  parameters: 'Parameters',
  noParameters: 'none',
  accountHeading: 'The account',
  changeCaption: 'What changes',
  changeCols: ['Field', 'Before', 'After'],
  noChange: 'Nothing changes in the account.',
  nothingToDo: 'Nothing to do: the account is already as this action would leave it.',
  message: (to: string, what: string) => `Sends ${to} ${what}.`,
  hostHeading: (h: string, by: 'server' | 'agent') => `Host ${h} (${by === 'server' ? 'applied by this server' : 'applied by its agent'})`,
  desiredCaption: (h: string) => `The account in ${h}’s desired state`,
  desiredNone: 'The account’s entry in this host’s desired state does not change.',
  agentNote: 'Its agent applies the new desired state at its next poll.',
  targetsNone: 'Apply finds nothing to change on this host.',
  targetsIntro: 'What apply would do, per target, in order:',
  widened: (why: string) => `The whole host is planned (${why}); apply covers every change listed.`,
  hostError: (why: string) => `This host could not be planned: ${why}. The change to the account is still made when you confirm; apply the host when it can be.`,
  destructive: 'removes',
  confirm: 'Confirm',
  cancel: 'Cancel',
  resultTitle: (verb: string, u: string) => `Done: ${verb} ${u}`,
  resultIntro: 'The change is saved and audited. The hosts:',
  resultChanged: 'The account changed as planned:',
  resultUnchanged: 'The account did not need to change.',
  statuses: { applied: 'applied', failed: 'failed', skipped: 'left to its agent' },
  resultCaption: 'Each host’s outcome',
  resultCols: ['Host', 'Outcome', 'Summary'],
  outcomeCols: ['Target', 'Change', 'Outcome'],
  back: (u: string) => `Back to ${u}`,
  notFoundTitle: 'No such account',
  notFound: (u: string) => `There is no account ${u}.`,
  backToSearch: 'Back to the search',
};

interface AccountData {
  readonly account: Account;
  readonly view: AccountView;
  readonly audit: readonly AuditRecord[];
  readonly resources: readonly Resource[];
  readonly usage: readonly UsageView[];
}

async function accountData(c: ConsoleContext, username: string): Promise<AccountData | undefined> {
  const read = c.var.deps.store.read;
  const account = await read.getAccount(username);
  if (account === undefined) return undefined;
  const [audit, resources, usage] = await Promise.all([
    read.listAudit({ target: `account:${account.username}`, newestFirst: true, limit: AUDIT_ROWS }),
    read.resourcesOfAccounts([account.id]),
    listUsage(read, { user: account.username }),
  ]);
  return { account, view: accountView(account, c.var.deps.clock.now()), audit, resources, usage };
}

function when(iso: string | null, tz: string): string {
  return iso === null ? s.none : wallTime(iso, tz);
}

function Facts(props: { readonly v: AccountView; readonly tz: string }) {
  const { v, tz } = props;
  return (
    <section aria-labelledby="account-facts">
      <h2 id="account-facts">{s.factsHeading}</h2>
      <dl class="facts">
        <dt>{s.facts.username}</dt>
        <dd>{v.username}</dd>
        <dt>{s.facts.uidGid}</dt>
        <dd>
          {v.uid} / {v.gid}
        </dd>
        <dt>{s.facts.type}</dt>
        <dd>{v.type}</dd>
        <dt>{s.facts.person}</dt>
        <dd>
          <a href={`/console/people/${encodeURIComponent(v.personId)}`}>{v.personId}</a>
        </dd>
        <dt>{s.facts.state}</dt>
        <dd id="account-state">{s.states[v.state] ?? v.state}</dd>
        <dt>{s.facts.expires}</dt>
        <dd>{when(v.expiresAt, tz)}</dd>
        <dt>{s.facts.purgeAt}</dt>
        <dd>{when(v.purgeAt, tz)}</dd>
        {v.purgedAt === null ? null : (
          <>
            <dt>{s.facts.purged}</dt>
            <dd>{when(v.purgedAt, tz)}</dd>
          </>
        )}
        <dt>{s.facts.gecos}</dt>
        <dd>{v.gecos}</dd>
        <dt>{s.facts.home}</dt>
        <dd>{v.home}</dd>
        <dt>{s.facts.shell}</dt>
        <dd>{v.shell}</dd>
        <dt>{s.facts.groups}</dt>
        <dd>{[v.primaryGroup, ...v.groups].join(', ')}</dd>
        <dt>{s.facts.password}</dt>
        {/* Whether a password is set, never its hash. */}
        <dd>{v.principal === null ? s.passwordSet(v.passwordSet) : s.passwordKerberos(v.principal)}</dd>
        <dt>{s.facts.created}</dt>
        <dd>{when(v.createdAt, tz)}</dd>
        <dt>{s.facts.updated}</dt>
        <dd>{when(v.updatedAt, tz)}</dd>
      </dl>
    </section>
  );
}

function Table(props: { readonly id: string; readonly caption: string; readonly cols: readonly string[]; readonly children?: Child; readonly num?: readonly number[] }) {
  return (
    <ScrollTable captionId={`${props.id}-caption`} caption={props.caption} tableId={props.id} cols={props.cols} num={props.num ?? []}>
      {props.children}
    </ScrollTable>
  );
}

function Holds(props: { readonly account: Account; readonly now: Date; readonly tz: string }) {
  const { account, now, tz } = props;
  const at = now.toISOString();
  return (
    <section aria-labelledby="account-holds">
      <h2 id="account-holds">{s.holdsHeading}</h2>
      {account.holds.length === 0 ? (
        <p>{s.holdsNone}</p>
      ) : (
        <Table id="holds" caption={s.holdsCaption} cols={s.holdCols}>
          {account.holds.map((h) => (
            <tr>
              <th scope="row">{s.holdName(h)}</th>
              <td>{h.reason}</td>
              <td>{h.note ?? s.none}</td>
              <td>
                {wallTime(h.since, tz)}
                {h.since > at ? <span class="muted"> ({s.holdFuture})</span> : null}
              </td>
              <td>{h.setBy}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function Resources(props: { readonly data: AccountData; readonly tz: string }) {
  const { data, tz } = props;
  return (
    <>
      <section aria-labelledby="account-resources">
        <h2 id="account-resources">{s.resourcesHeading}</h2>
        {data.resources.length === 0 ? (
          <p>{s.resourcesNone}</p>
        ) : (
          <Table id="resources" caption={s.resourcesCaption} cols={s.resourceCols}>
            {data.resources.map((r) => (
              <tr>
                <td>{r.kind}</td>
                <td>{r.name}</td>
                <td>{r.host}</td>
              </tr>
            ))}
          </Table>
        )}
      </section>
      <section aria-labelledby="account-usage">
        <h2 id="account-usage">{s.usageHeading}</h2>
        {data.usage.length === 0 ? (
          <p>{s.usageNone}</p>
        ) : (
          <Table id="usage" caption={s.usageCaption} cols={s.usageCols} num={[3]}>
            {data.usage.map((u) => (
              <tr>
                <td>{u.host}</td>
                <td>{u.target}</td>
                <td>{u.subject}</td>
                <td class="num">{bytes(u.bytes)}</td>
                <td>{wallTime(u.measuredAt, tz)}</td>
              </tr>
            ))}
          </Table>
        )}
      </section>
    </>
  );
}

function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i] ?? ''}`;
}

function AuditTrail(props: { readonly data: AccountData; readonly tz: string }) {
  const { data, tz } = props;
  const target = `account:${data.account.username}`;
  return (
    <section aria-labelledby="account-audit">
      <h2 id="account-audit">{s.auditHeading}</h2>
      {data.audit.length === 0 ? (
        <p>{s.auditNone}</p>
      ) : (
        <Table id="audit" caption={s.auditCaption(data.audit.length)} cols={s.auditCols} num={[0]}>
          {data.audit.map((r) => (
            <tr>
              <td class="num">{r.seq}</td>
              <td>{wallTime(r.at, tz)}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>{r.result}</td>
            </tr>
          ))}
        </Table>
      )}
      <p>
        <a href={`/console/audit?target=${encodeURIComponent(target)}`}>{s.auditAll}</a>
      </p>
    </section>
  );
}

/** One action's form: posts to the plan page with the action's kind and fields. */
function ActionForm(props: { readonly c: ConsoleContext; readonly username: string; readonly kind: AccountAction['kind']; readonly button: string; readonly children?: Child }) {
  return (
    <form class="stacked" method="post" action={`/console/accounts/${encodeURIComponent(props.username)}/plan`}>
      <CsrfField c={props.c} />
      <input type="hidden" name="kind" value={props.kind} />
      {props.children}
      <div>
        <button type="submit">{props.button}</button>
      </div>
    </form>
  );
}

function Hint(props: { readonly id: string; readonly text: string }) {
  return (
    <p class="hint" id={props.id}>
      {props.text}
    </p>
  );
}

function Actions(props: { readonly c: ConsoleContext; readonly account: Account }) {
  const { c, account } = props;
  const config = c.var.deps.config;
  const u = account.username;
  const type = config.types[account.type];
  if (account.purgedAt !== null) {
    return (
      <section aria-labelledby="account-actions">
        <h2 id="account-actions">{s.actionsHeading}</h2>
        <p>{s.actionsIntro}</p>
        <h3>{s.headings.restore}</h3>
        <p>{s.restoreIntro}</p>
        <ActionForm c={c} username={u} kind="restore" button={s.buttons.restore} />
      </section>
    );
  }
  const freezes = account.holds.filter((h) => h.kind === 'freeze');
  const retiring = account.holds.some((h) => h.kind === 'retired') || account.expiresAt !== null || account.purgeAt !== null;
  const otherTypes = Object.keys(config.types).filter((t) => t !== account.type);
  const auth = type === undefined ? 'locked' : typeof type.auth === 'object' ? 'literal' : type.auth;
  return (
    <section aria-labelledby="account-actions">
      <h2 id="account-actions">{s.actionsHeading}</h2>
      <p>{s.actionsIntro}</p>

      <h3>{s.headings.freeze}</h3>
      <ActionForm c={c} username={u} kind="freeze" button={s.buttons.freeze}>
        <label for="freeze-reason">{s.labels.freezeReason}</label>
        <input type="text" id="freeze-reason" name="reason" required autocomplete="off" aria-describedby="freeze-reason-hint" />
        <Hint id="freeze-reason-hint" text={s.hints.freezeReason} />
        <label for="freeze-note">{s.labels.freezeNote}</label>
        <input type="text" id="freeze-note" name="note" autocomplete="off" />
      </ActionForm>

      {freezes.length === 0 ? null : (
        <>
          <h3>{s.headings.lift}</h3>
          <p>{s.liftIntro}</p>
          <div class="actions">
            {freezes.map((h) => (
              <form method="post" action={`/console/accounts/${encodeURIComponent(u)}/plan`}>
                <CsrfField c={c} />
                <input type="hidden" name="kind" value="unfreeze" />
                <input type="hidden" name="reason" value={h.reason} />
                <button type="submit">{s.buttons.lift(h)}</button>
              </form>
            ))}
          </div>
        </>
      )}

      <h3>{s.headings.retire}</h3>
      <ActionForm c={c} username={u} kind="retire" button={s.buttons.retire}>
        <Hint id="retire-hint" text={type === undefined ? '' : s.hints.retire(type.grace.deactivation, type.grace.deletion)} />
        <label for="retire-d">{s.labels.deactivateAfter}</label>
        <input type="number" id="retire-d" name="deactivateAfter" min={0} step={1} aria-describedby="retire-hint" />
        <label for="retire-p">{s.labels.deleteAfter}</label>
        <input type="number" id="retire-p" name="deleteAfter" min={0} step={1} aria-describedby="retire-hint" />
      </ActionForm>

      {retiring ? (
        <>
          <h3>{s.headings.reactivate}</h3>
          <p>{s.reactivateIntro}</p>
          <ActionForm c={c} username={u} kind="reactivate" button={s.buttons.reactivate} />
        </>
      ) : null}

      <h3>{s.headings.purge}</h3>
      <ActionForm c={c} username={u} kind="purge" button={s.buttons.purge}>
        <label for="purge-reason">{s.labels.purgeReason}</label>
        <input type="text" id="purge-reason" name="reason" required autocomplete="off" aria-describedby="purge-hint" />
        <Hint id="purge-hint" text={s.hints.purge} />
      </ActionForm>

      {otherTypes.length === 0 ? null : (
        <>
          <h3>{s.headings.moveType}</h3>
          <ActionForm c={c} username={u} kind="move-type" button={s.buttons.moveType}>
            <label for="move-type">{s.labels.type}</label>
            <select id="move-type" name="type" aria-describedby="move-type-hint">
              {otherTypes.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
            <Hint id="move-type-hint" text={s.hints.type} />
            <div class="choice">
              <input type="checkbox" id="move-skip" name="skipEligibility" value="on" />
              <label for="move-skip">{s.labels.skipEligibility}</label>
            </div>
          </ActionForm>
        </>
      )}

      <h3>{s.headings.resetLink}</h3>
      <p>{s.hints.resetLink(auth)}</p>
      {auth === 'crypt' ? <ActionForm c={c} username={u} kind="reset-link" button={s.buttons.resetLink} /> : null}
    </section>
  );
}

function AccountPage(props: { readonly c: ConsoleContext; readonly data: AccountData; readonly error?: string }) {
  const { c, data } = props;
  const tz = c.var.deps.config.timeZone;
  const now = c.var.deps.clock.now();
  return (
    <ConsoleLayout title={s.title(data.account.username)} c={c}>
      {props.error === undefined ? null : <Message kind="error">{s.refused(props.error)}</Message>}
      <Facts v={data.view} tz={tz} />
      <Holds account={data.account} now={now} tz={tz} />
      {can(c, WRITERS) ? <Actions c={c} account={data.account} /> : null}
      <Resources data={data} tz={tz} />
      <AuditTrail data={data} tz={tz} />
    </ConsoleLayout>
  );
}

function Changes(props: { readonly id: string; readonly caption: string; readonly changes: readonly FieldChange[] }) {
  return (
    <Table id={props.id} caption={props.caption} cols={s.changeCols}>
      {props.changes.map((f) => (
        <tr>
          <th scope="row">{f.field}</th>
          <td>{f.before}</td>
          <td>{f.after}</td>
        </tr>
      ))}
    </Table>
  );
}

function parameterWords(action: AccountAction): string {
  const fields = Object.entries(actionFields(action));
  return fields.length === 0 ? s.noParameters : fields.map(([k, v]) => `${k}: ${v}`).join('; ');
}

function HostPlan(props: { readonly h: HostPreview }) {
  const { h } = props;
  const id = `host-${h.host}`;
  const byTarget = new Map<string, Array<NonNullable<HostPreview['changes']>[number]>>();
  for (const change of h.changes ?? []) byTarget.set(change.target, [...(byTarget.get(change.target) ?? []), change]);
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{s.hostHeading(h.host, h.appliedBy)}</h2>
      {h.desired.length === 0 ? <p>{s.desiredNone}</p> : <Changes id={`${id}-desired`} caption={s.desiredCaption(h.host)} changes={h.desired} />}
      {h.appliedBy === 'agent' ? <p>{s.agentNote}</p> : null}
      {h.error === undefined ? null : <Message kind="error">{s.hostError(h.error)}</Message>}
      {h.widened === undefined ? null : <p>{s.widened(h.widened)}</p>}
      {h.changes === undefined ? null : h.changes.length === 0 ? (
        <p>{s.targetsNone}</p>
      ) : (
        <>
          <p>{s.targetsIntro}</p>
          {[...byTarget].map(([target, changes]) => (
            <>
              <h3>{target}</h3>
              <ul class="plan" aria-label={`${h.host}: ${target}`}>
                {changes.map((change) => (
                  <li class={change.destructive ? 'destructive' : undefined}>
                    {change.destructive ? `${s.destructive}: ` : ''}
                    {change.summary} <span class="muted">({change.subject})</span>
                  </li>
                ))}
              </ul>
            </>
          ))}
        </>
      )}
    </section>
  );
}

function PlanPage(props: { readonly c: ConsoleContext; readonly plan: ActionPlan }) {
  const { c, plan } = props;
  const verb = s.verbs[plan.action.kind] ?? plan.action.kind;
  const u = plan.username;
  return (
    <ConsoleLayout title={s.planTitle(verb, u)} c={c}>
      <p>{s.planIntro}</p>
      <dl class="facts">
        <dt>{s.parameters}</dt>
        <dd>{parameterWords(plan.action)}</dd>
      </dl>
      <section aria-labelledby="plan-account">
        <h2 id="plan-account">{s.accountHeading}</h2>
        {!plan.changed ? <Message kind="info">{s.nothingToDo}</Message> : null}
        {plan.changes.length === 0 ? <p>{s.noChange}</p> : <Changes id="plan-changes" caption={s.changeCaption} changes={plan.changes} />}
        {plan.message === undefined ? null : <p>{s.message(plan.message.to, plan.message.what)}</p>}
      </section>
      {plan.hosts.map((h) => (
        <HostPlan h={h} />
      ))}
      <div class="actions">
        <form method="post" action={`/console/accounts/${encodeURIComponent(u)}/apply`}>
          <CsrfField c={c} />
          <input type="hidden" name="kind" value={plan.action.kind} />
          {Object.entries(actionFields(plan.action)).map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <button type="submit" class={plan.action.kind === 'purge' ? 'danger' : undefined}>
            {s.confirm}
          </button>
        </form>
        <a href={`/console/accounts/${encodeURIComponent(u)}`}>{s.cancel}</a>
      </div>
    </ConsoleLayout>
  );
}

function ResultPage(props: { readonly c: ConsoleContext; readonly result: ActionResult }) {
  const { c, result } = props;
  const verb = s.verbs[result.action.kind] ?? result.action.kind;
  const u = result.username;
  return (
    <ConsoleLayout title={s.resultTitle(verb, u)} c={c}>
      <section aria-labelledby="result-account">
        <h2 id="result-account">{s.accountHeading}</h2>
        {result.changes.length === 0 ? <p>{result.changed ? s.noChange : s.resultUnchanged}</p> : <Changes id="result-changes" caption={s.resultChanged} changes={result.changes} />}
        {result.message === undefined ? null : <Message kind="info">{s.message(result.message.to, result.message.what)}</Message>}
      </section>
      <section aria-labelledby="result-hosts">
        <h2 id="result-hosts">{s.resultIntro}</h2>
        <Table id="hosts" caption={s.resultCaption} cols={s.resultCols}>
          {result.hosts.map((h) => (
            <tr>
              <th scope="row">{h.host}</th>
              <td class={h.status === 'failed' ? 'outcome error' : undefined}>{s.statuses[h.status]}</td>
              <td>{h.summary}</td>
            </tr>
          ))}
        </Table>
        {result.hosts
          .filter((h) => h.outcomes.length > 0)
          .map((h) => (
            <Table id={`outcomes-${h.host}`} caption={`Host ${h.host}: each change`} cols={s.outcomeCols}>
              {h.outcomes.map((o) => (
                <tr>
                  <td>{o.target}</td>
                  <td>{o.summary}</td>
                  <td class={o.status === 'failed' ? 'outcome error' : undefined}>{o.error === undefined ? o.status : `${o.status}: ${o.error}`}</td>
                </tr>
              ))}
            </Table>
          ))}
      </section>
      <p>
        <a href={`/console/accounts/${encodeURIComponent(u)}`}>{s.back(u)}</a>
      </p>
    </ConsoleLayout>
  );
}

function NotFoundPage(props: { readonly c: ConsoleContext; readonly username: string }) {
  return (
    <ConsoleLayout title={s.notFoundTitle} c={props.c}>
      <Message kind="error">{s.notFound(props.username)}</Message>
      <p>
        <a href="/console">{s.backToSearch}</a>
      </p>
    </ConsoleLayout>
  );
}

/** The form's string fields (a file upload or a repeated field is not one of this page's). */
function formFields(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** An expected refusal's HTTP status: bad input 400, a conflict 409, anything else the catalogue's. */
function refusalStatus(e: RosterError): 400 | 404 | 409 | 422 | 503 {
  if (e.code === 'not_found') return 404;
  if (e.code === 'conflict') return 409;
  if (e.code === 'not_eligible') return 422;
  return e.status >= 500 ? 503 : 400;
}

/**
 * The account page (issue 16 item 3): everything `roster account show`
 * shows, the holds with who set them, why and since when, its resources and
 * usage, and its audit trail. Admins and operators get a form per lifecycle
 * action; posting one shows the action's PLAN (src/app/action-preview.ts:
 * the use case's own dry run, the desired state of each host of the account
 * and, for hosts the server applies, the plan under its apply root) with a
 * Confirm button carrying the same parameters; confirming takes the action
 * and applies those hosts for the account, then shows each host's outcome.
 * Both POSTs are refused with 403 to an auditor before anything runs.
 */
export function mountAccountPage(pages: Hono<ConsoleEnv>): void {
  pages.get('/accounts/:username', requireRole(READERS), async (c) => {
    const username = c.req.param('username');
    const data = await accountData(c, username);
    if (data === undefined) return c.html(<NotFoundPage c={c} username={username} />, 404);
    return c.html(<AccountPage c={c} data={data} />);
  });

  const action = async (c: ConsoleContext, run: 'plan' | 'apply'): Promise<Response> => {
    const username = c.req.param('username') ?? '';
    const fields = formFields(await c.req.parseBody());
    const ctx = consoleAppContext(c);
    const deps = c.var.deps;
    const request = { username, applyRoot: deps.applyRoot ?? '/' };
    const targets = deps.targets ?? targetRegistry;
    try {
      const parsed = parseAccountAction(fields.kind ?? '', fields);
      if (run === 'plan') return await c.html(<PlanPage c={c} plan={await previewAction(ctx, targets, { ...request, action: parsed })} />);
      const result = await applyAction(ctx, targets, { ...request, action: parsed });
      deps.log.info(`console: ${ctx.actor} took ${parsed.kind} on ${username}`, { account: username, action: parsed.kind });
      return await c.html(<ResultPage c={c} result={result} />);
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      const data = await accountData(c, username);
      if (data === undefined) return c.html(<NotFoundPage c={c} username={username} />, 404);
      const why = [errorMessage(e), ...e.issues.filter((i) => !errorMessage(e).includes(i.message)).map((i) => `${i.where}: ${i.message}`)].join('; ');
      return c.html(<AccountPage c={c} data={data} error={why} />, refusalStatus(e));
    }
  };
  pages.post('/accounts/:username/plan', requireRole(WRITERS), (c) => action(c, 'plan'));
  pages.post('/accounts/:username/apply', requireRole(WRITERS), (c) => action(c, 'apply'));
}
