import type { Hono } from 'hono';
import { formatCents, ledgerStatement, parseAmount, recordLedger, type PersonBilling } from '../app/billing-run.js';
import { requirePerson } from '../app/people.js';
import { accountState, type Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { READERS, WRITERS } from '../server/permissions.js';
import type { LedgerEntry } from '../store/store.js';
import { can, consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, described, FieldNotes, Message, ScrollTable } from './console-layout.js';
import { consoleTime } from './time-words.js';

type Field = 'amount' | 'note';

/** The longest note a payment carries (a bank reference, a receipt number). */
const MAX_NOTE = 200;

const s = {
  title: (p: Person) => `${p.firstName} ${p.lastName}`,
  factsHeading: 'Person',
  facts: { id: 'Id', source: 'Source', roles: 'Roles', classes: 'Classes', campuses: 'Campuses', majors: 'Majors', emails: 'E-mail addresses', verified: 'Verified by', created: 'Added', updated: 'Last changed' },
  none: '–',
  accountsHeading: 'Accounts',
  accountsNone: 'This person has no account.',
  accountsCaption: 'Accounts of this person, purged ones too',
  accountCols: ['Username', 'Type', 'State', 'Holds'],
  states: { pending: 'pending', active: 'active', disabled: 'disabled (on hold)', purged: 'purged' } as Readonly<Record<string, string>>,
  hold: (kind: string, reason: string) => (kind === 'retired' ? 'retired' : `frozen: ${reason}`),
  ledgerHeading: 'Ledger',
  balance: 'Balance',
  dues: 'Monthly dues',
  runOut: 'Runs out',
  runOutNever: 'never (no dues)',
  runOutPast: (date: string) => `${date} (already run out)`,
  runOutDays: (date: string, days: number) => `${date} (in ${days} day${days === 1 ? '' : 's'})`,
  ledgerNone: 'Nothing charged or paid yet.',
  ledgerCaption: (tz: string) => `Charges and payments, newest first (times in ${tz})`,
  ledgerCols: ['Entry', 'When', 'Kind', 'Note', 'Amount'],
  kinds: { charge: 'charge', payment: 'payment' },
  payHeading: 'Record a payment',
  payIntro: 'A payment adds to the balance; when it moves the run-out date past the freeze lead, the billing freeze is lifted at once.',
  labels: { amount: 'Amount', note: 'Note or reference' } satisfies Record<Field, string>,
  hints: {
    amount: (currency: string) => `In ${currency}, e.g. 10 or 10.50.`,
    note: `Optional: what it is, e.g. a bank reference (at most ${MAX_NOTE} characters).`,
  },
  pay: 'Record the payment',
  fix: 'The payment was not recorded; fix the fields marked below.',
  errors: {
    amount: 'A positive amount with at most 2 decimals, e.g. 10 or 10.50.',
    note: `At most ${MAX_NOTE} characters, without control characters.`,
  } satisfies Record<Field, string>,
  recorded: (e: LedgerEntry, b: PersonBilling, currency: string) => `Recorded payment ${e.id} of ${formatCents(e.amountCents)} ${currency}; the balance is now ${formatCents(b.balanceCents)} ${currency}.`,
  notFoundTitle: 'No such person',
  notFound: (id: string) => `There is no person with id ${id}.`,
  back: 'Back to the search',
};

interface FormState {
  readonly values: Readonly<Record<Field, string>>;
  readonly errors: Partial<Record<Field, string>>;
}

const EMPTY: FormState = { values: { amount: '', note: '' }, errors: {} };

interface PersonData {
  readonly person: Person;
  readonly accounts: readonly Account[];
  readonly entries: readonly LedgerEntry[];
  readonly billing: PersonBilling;
}

async function personData(c: ConsoleContext, id: string): Promise<PersonData> {
  const ctx = consoleAppContext(c);
  const person = await requirePerson(ctx.store.read, id);
  const accounts = await ctx.store.read.listAccounts({ personId: person.id, includePurged: true });
  const { entries, billing } = await ledgerStatement(ctx, person.id);
  return { person, accounts, entries, billing };
}

function list(values: readonly string[]): string {
  return values.length === 0 ? s.none : values.join(', ');
}

function runOutWords(b: PersonBilling): string {
  if (b.runOut === null) return s.runOutNever;
  if (b.daysLeft === null || b.daysLeft <= 0) return s.runOutPast(b.runOut);
  return s.runOutDays(b.runOut, b.daysLeft);
}

function PersonFacts(props: { readonly person: Person; readonly tz: string }) {
  const { person, tz } = props;
  const emails = Object.entries(person.emails);
  return (
    <section aria-labelledby="person-facts">
      <h2 id="person-facts">{s.factsHeading}</h2>
      <dl class="facts">
        <dt>{s.facts.id}</dt>
        <dd>{person.id}</dd>
        <dt>{s.facts.source}</dt>
        <dd>{person.source}</dd>
        <dt>{s.facts.roles}</dt>
        <dd>{list(person.roles)}</dd>
        <dt>{s.facts.classes}</dt>
        <dd>{list(person.classes)}</dd>
        <dt>{s.facts.campuses}</dt>
        <dd>{list(person.campuses)}</dd>
        <dt>{s.facts.majors}</dt>
        <dd>{list(person.majors)}</dd>
        <dt>{s.facts.emails}</dt>
        <dd>
          {emails.length === 0 ? (
            s.none
          ) : (
            <ul class="plain">
              {emails.map(([role, address]) => (
                <li>
                  {address} <span class="muted">({role})</span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>{s.facts.verified}</dt>
        {/* Only the names of the verification attributes: their digests are never shown. */}
        <dd>{list(Object.keys(person.verification))}</dd>
        <dt>{s.facts.created}</dt>
        <dd>
          {consoleTime(person.createdAt, tz)} <span class="muted">({tz})</span>
        </dd>
        <dt>{s.facts.updated}</dt>
        <dd>
          {consoleTime(person.updatedAt, tz)} <span class="muted">({tz})</span>
        </dd>
      </dl>
    </section>
  );
}

function Accounts(props: { readonly accounts: readonly Account[]; readonly now: Date }) {
  const { accounts, now } = props;
  return (
    <section aria-labelledby="person-accounts">
      <h2 id="person-accounts">{s.accountsHeading}</h2>
      {accounts.length === 0 ? (
        <p>{s.accountsNone}</p>
      ) : (
        <ScrollTable captionId="person-accounts-caption" caption={s.accountsCaption} cols={s.accountCols}>
          {accounts.map((a) => {
            const state = accountState(a, now);
            return (
              <tr>
                <th scope="row">
                  <a href={`/console/accounts/${encodeURIComponent(a.username)}`}>{a.username}</a>
                </th>
                <td>{a.type}</td>
                <td>{s.states[state] ?? state}</td>
                <td>{a.holds.length === 0 ? s.none : a.holds.map((h) => s.hold(h.kind, h.reason)).join('; ')}</td>
              </tr>
            );
          })}
        </ScrollTable>
      )}
    </section>
  );
}

function Ledger(props: { readonly data: PersonData; readonly currency: string; readonly tz: string }) {
  const { data, currency, tz } = props;
  const b = data.billing;
  const entries = [...data.entries].reverse();
  return (
    <section aria-labelledby="person-ledger">
      <h2 id="person-ledger">{s.ledgerHeading}</h2>
      <dl class="facts">
        <dt>{s.balance}</dt>
        <dd id="person-balance">
          {formatCents(b.balanceCents)} {currency}
        </dd>
        <dt>{s.dues}</dt>
        <dd>
          {formatCents(b.monthlyDuesCents)} {currency}
        </dd>
        <dt>{s.runOut}</dt>
        <dd id="person-run-out">{runOutWords(b)}</dd>
      </dl>
      {entries.length === 0 ? (
        <p>{s.ledgerNone}</p>
      ) : (
        <ScrollTable captionId="person-ledger-caption" caption={s.ledgerCaption(tz)} cols={s.ledgerCols} num={[s.ledgerCols.length - 1]}>
          {entries.map((e) => (
            <tr>
              <td class="num">{e.id}</td>
              <td>{consoleTime(e.at, tz)}</td>
              <td>{s.kinds[e.kind]}</td>
              <td>{e.note ?? ''}</td>
              <td class="num">{`${e.kind === 'payment' ? '+' : '\u2212'}${formatCents(e.amountCents)} ${currency}`}</td>
            </tr>
          ))}
        </ScrollTable>
      )}
    </section>
  );
}

function PaymentForm(props: { readonly c: ConsoleContext; readonly person: Person; readonly form: FormState; readonly currency: string }) {
  const { c, person, form } = props;
  return (
    <section aria-labelledby="person-pay">
      <h2 id="person-pay">{s.payHeading}</h2>
      <p>{s.payIntro}</p>
      <form class="stacked" method="post" action={`/console/people/${encodeURIComponent(person.id)}/payments`}>
        <CsrfField c={c} />
        <label for="pay-amount">{s.labels.amount}</label>
        <input type="text" id="pay-amount" name="amount" inputmode="decimal" required value={form.values.amount} autocomplete="off" {...described('pay-amount', form.errors.amount)} />
        <FieldNotes id="pay-amount" hint={s.hints.amount(props.currency)} error={form.errors.amount} />
        <label for="pay-note">{s.labels.note}</label>
        <input type="text" id="pay-note" name="note" maxlength={MAX_NOTE} value={form.values.note} autocomplete="off" {...described('pay-note', form.errors.note)} />
        <FieldNotes id="pay-note" hint={s.hints.note} error={form.errors.note} />
        <button type="submit">{s.pay}</button>
      </form>
    </section>
  );
}

function PersonPage(props: { readonly c: ConsoleContext; readonly data: PersonData; readonly form: FormState; readonly notice?: string }) {
  const { c, data, form } = props;
  const { config, clock } = c.var.deps;
  const currency = config.billing.currency;
  const tz = config.timeZone;
  return (
    <ConsoleLayout title={s.title(data.person)} c={c}>
      {Object.keys(form.errors).length > 0 ? <Message kind="error">{s.fix}</Message> : null}
      {props.notice === undefined ? null : <Message kind="info">{props.notice}</Message>}
      <PersonFacts person={data.person} tz={tz} />
      <Accounts accounts={data.accounts} now={clock.now()} />
      <Ledger data={data} currency={currency} tz={tz} />
      {can(c, WRITERS) ? <PaymentForm c={c} person={data.person} form={form} currency={currency} /> : null}
    </ConsoleLayout>
  );
}

function NotFoundPage(props: { readonly c: ConsoleContext; readonly id: string }) {
  return (
    <ConsoleLayout title={s.notFoundTitle} c={props.c}>
      <Message kind="error">{s.notFound(props.id)}</Message>
      <p>
        <a href="/console">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

function text(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}

/** The form's fields checked before anything is written: each problem named by its field. */
function checkPayment(values: Readonly<Record<Field, string>>): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  try {
    parseAmount(values.amount, s.labels.amount);
  } catch (e) {
    if (!(e instanceof RosterError)) throw e;
    errors.amount = s.errors.amount;
  }
  if (values.note.length > MAX_NOTE || /[\u0000-\u001f\u007f]/.test(values.note)) errors.note = s.errors.note;
  return errors;
}

function isNotFound(e: unknown): boolean {
  return e instanceof RosterError && e.code === 'not_found';
}

/**
 * A person in the console (issue 16 item 5): who they are, their accounts
 * (each linking to its account page), the ledger with the balance and
 * run-out date as `roster ledger show` computes them, and, for admins and
 * operators, "Record a payment" — recorded as `roster ledger pay` records
 * it (a payment that moves the run-out date past the lead lifts the billing
 * freeze at once). After recording, the browser is sent back to the page
 * (303), so reloading it never records the payment twice.
 */
export function mountPersonPage(console: Hono<ConsoleEnv>): void {
  console.get('/people/:id', requireRole(READERS), async (c) => {
    const id = c.req.param('id');
    let data: PersonData;
    try {
      data = await personData(c, id);
    } catch (e) {
      if (isNotFound(e)) return c.html(<NotFoundPage c={c} id={id} />, 404);
      throw e;
    }
    const paid = c.req.query('paid');
    const entry = paid === undefined ? undefined : data.entries.find((e) => String(e.id) === paid && e.kind === 'payment');
    return c.html(<PersonPage c={c} data={data} form={EMPTY} {...(entry === undefined ? {} : { notice: s.recorded(entry, data.billing, c.var.deps.config.billing.currency) })} />);
  });

  console.post('/people/:id/payments', requireRole(WRITERS), async (c) => {
    const id = c.req.param('id');
    const body = await c.req.parseBody();
    const values = { amount: text(body, 'amount').trim(), note: text(body, 'note').trim() };
    let data: PersonData;
    try {
      data = await personData(c, id);
    } catch (e) {
      if (isNotFound(e)) return c.html(<NotFoundPage c={c} id={id} />, 404);
      throw e;
    }
    const errors = checkPayment(values);
    if (Object.keys(errors).length > 0) return c.html(<PersonPage c={c} data={data} form={{ values, errors }} />, 400);
    const { entry } = await recordLedger(consoleAppContext(c), data.person.id, 'payment', values.amount, values.note === '' ? undefined : values.note);
    return c.redirect(`/console/people/${encodeURIComponent(data.person.id)}?paid=${entry.id}`, 303);
  });
}
