import type { Hono } from 'hono';
import { readAuditFilter, searchAudit, type AuditSearchInput } from '../app/audit-search.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { READERS } from '../server/permissions.js';
import type { AuditRecord } from '../store/store.js';
import { verifyAudit, type AuditVerification } from '../store/verify-audit.js';
import { requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, Message, ScrollTable } from './console-layout.js';

/** Records per page: a screenful to scan, and a seek per page however deep. */
const PAGE = 50;

const FIELDS = ['actor', 'action', 'target', 'from', 'to'] as const;
type Field = (typeof FIELDS)[number];

const s = {
  title: 'Audit log',
  intro: 'Every change Roster made, who made it and when, in a hash chain: a record edited, removed or reordered breaks the chain. Nothing here can clear or change the log.',
  filter: 'Filter',
  labels: { actor: 'Actor', action: 'Action', target: 'Target', from: 'From', to: 'Until' } satisfies Record<Field, string>,
  hints: {
    actor: 'Starts with, e.g. console: or cli:alice',
    action: 'Starts with, e.g. account. or token.create',
    target: 'Exactly, e.g. account:alice or person:S123',
    from: 'A date or time, e.g. 2026-12-04 or 2026-12-04T22:55 (site time unless it ends in Z or an offset)',
    to: 'Up to, not including, this date or time',
  } satisfies Record<Field, string>,
  apply: 'Show records',
  clear: 'Clear the filter',
  fix: 'The filter has a problem; nothing is shown until it is fixed.',
  caption: (filtered: boolean, tz: string) => `${filtered ? 'Matching records' : 'Records'}, newest first (times in ${tz})`,
  none: 'No record matches.',
  cols: ['Record', 'When', 'Actor', 'Action', 'Target', 'Result', 'Change'],
  older: 'Older records',
  newest: 'Newest records',
  verifyTitle: 'Verify the chain',
  verifyIntro: 'Recomputes every record’s hash and checks each links to the one before it. Keep the head it shows outside the database; given back here later, it also detects records removed from the end.',
  expectHead: 'Head kept earlier (optional)',
  expectHint: 'SEQ:HASH as shown after an earlier verification',
  verify: 'Verify the chain',
  verifiedTitle: 'Audit chain verification',
  ok: (n: number) => `The chain is intact: ${n.toLocaleString('en')} record${n === 1 ? '' : 's'} verified.`,
  broken: (n: number) => `The chain is BROKEN: ${n.toLocaleString('en')} problem${n === 1 ? '' : 's'} found. Records were changed outside Roster.`,
  head: 'Chain head (keep it outside the database)',
  headHint: 'Record number and hash of the last record; copy it and compare it next time.',
  problems: 'Problems',
  problemCols: ['Record', 'Kind', 'What was found'],
  back: 'Back to the audit log',
  badHead: 'Not SEQ:HASH or a 64-digit hex SHA-256.',
  pageKey: 'The page link',
  targetLink: 'Every record about this target',
};

function when(iso: string, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year ?? ''}-${p.month ?? ''}-${p.day ?? ''} ${p.hour ?? ''}:${p.minute ?? ''}:${p.second ?? ''}`;
}

/** A before/after summary as one line of JSON (null shown as a dash). */
function summary(value: unknown): string {
  return value === null || value === undefined ? '–' : canonicalJson(value);
}

function Change(props: { readonly r: AuditRecord }) {
  return (
    <span class="audit-change">
      <span>{summary(props.r.before)}</span>
      {' → '}
      <span>{summary(props.r.after)}</span>
    </span>
  );
}

function FilterField(props: { readonly field: Field; readonly value: string; readonly error: string | undefined }) {
  const { field, value, error } = props;
  const id = `audit-${field}`;
  return (
    <div class="filter-field">
      <label for={id}>{s.labels[field]}</label>
      <input
        type="text"
        id={id}
        name={field}
        value={value}
        autocomplete="off"
        spellcheck={false}
        aria-describedby={`${id}-hint${error === undefined ? '' : ` ${id}-error`}`}
        {...(error === undefined ? {} : { 'aria-invalid': 'true' })}
      />
      <p class="hint" id={`${id}-hint`}>
        {s.hints[field]}
      </p>
      {error === undefined ? null : (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function query(input: Readonly<Record<string, string>>): string {
  const q = new URLSearchParams(Object.entries(input).filter(([, v]) => v !== ''));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

function VerifyForm(props: { readonly value?: string; readonly error?: string }) {
  return (
    <form class="stacked" method="get" action="/console/audit/verify">
      <label for="expect-head">{s.expectHead}</label>
      <input
        type="text"
        id="expect-head"
        name="expectHead"
        value={props.value ?? ''}
        autocomplete="off"
        spellcheck={false}
        aria-describedby={`expect-head-hint${props.error === undefined ? '' : ' expect-head-error'}`}
        {...(props.error === undefined ? {} : { 'aria-invalid': 'true' })}
      />
      <p class="hint" id="expect-head-hint">
        {s.expectHint}
      </p>
      {props.error === undefined ? null : (
        <p class="field-error" id="expect-head-error">
          {props.error}
        </p>
      )}
      <button type="submit">{s.verify}</button>
    </form>
  );
}

function AuditPage(props: { readonly c: ConsoleContext; readonly input: Readonly<Record<Field, string>>; readonly issues: readonly ErrorIssue[]; readonly records: readonly AuditRecord[]; readonly next: number | null; readonly paged: boolean }) {
  const { c, input, issues, records } = props;
  const tz = c.var.deps.config.timeZone;
  const errorOf = (field: Field): string | undefined => issues.find((i) => i.where === field)?.message;
  const filtered = FIELDS.some((f) => input[f] !== '');
  return (
    <ConsoleLayout title={s.title} c={c}>
      <p>{s.intro}</p>
      {issues.length === 0 ? null : (
        <Message kind="error">
          {s.fix}
          {issues
            .filter((i) => !(FIELDS as readonly string[]).includes(i.where))
            .map((i) => ` ${s.pageKey}: ${i.message}.`)}
        </Message>
      )}
      <form class="filters" method="get" action="/console/audit">
        <fieldset>
          <legend>{s.filter}</legend>
          {FIELDS.map((f) => (
            <FilterField field={f} value={input[f]} error={errorOf(f)} />
          ))}
          <div class="filter-actions">
            <button type="submit">{s.apply}</button> {filtered ? <a href="/console/audit">{s.clear}</a> : null}
          </div>
        </fieldset>
      </form>
      {issues.length > 0 ? null : records.length === 0 ? (
        <p>{s.none}</p>
      ) : (
        <ScrollTable captionId="audit-caption" caption={s.caption(filtered, tz)} cols={s.cols} tableClass="audit">
          {records.map((r) => (
            <tr>
              <td class="num">{r.seq}</td>
              <td>
                <time datetime={r.at}>{when(r.at, tz)}</time>
              </td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>
                <a href={`/console/audit${query({ target: r.target })}`} title={s.targetLink}>
                  {r.target}
                </a>
              </td>
              <td>{r.result}</td>
              <td>
                <Change r={r} />
              </td>
            </tr>
          ))}
        </ScrollTable>
      )}
      <nav class="pager" aria-label="Audit pages">
        {props.paged ? <a href={`/console/audit${query(input)}`}>{s.newest}</a> : null} {props.next === null ? null : <a href={`/console/audit${query({ ...input, before: String(props.next) })}`}>{s.older}</a>}
      </nav>
      <h2>{s.verifyTitle}</h2>
      <p>{s.verifyIntro}</p>
      <VerifyForm />
    </ConsoleLayout>
  );
}

function VerifiedPage(props: { readonly c: ConsoleContext; readonly v: AuditVerification; readonly expectHead: string }) {
  const { c, v } = props;
  const head = `${v.head.seq}:${v.head.hash}`;
  return (
    <ConsoleLayout title={s.verifiedTitle} c={c}>
      {v.ok ? <Message kind="info">{s.ok(v.records)}</Message> : <Message kind="error">{s.broken(v.problems.length)}</Message>}
      <div class="stacked">
        <label for="chain-head">{s.head}</label>
        <input type="text" id="chain-head" class="copy" readonly value={head} aria-describedby="chain-head-hint" spellcheck={false} />
        <p class="hint" id="chain-head-hint">
          {s.headHint}
        </p>
      </div>
      {v.problems.length === 0 ? null : (
        <table>
          <caption>{s.problems}</caption>
          <thead>
            <tr>
              {s.problemCols.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {v.problems.map((p) => (
              <tr>
                <td class="num">{p.seq}</td>
                <td>{p.kind}</td>
                <td>{p.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{s.verifyTitle}</h2>
      <VerifyForm value={props.expectHead} />
      <p>
        <a href="/console/audit">{s.back}</a>
      </p>
    </ConsoleLayout>
  );
}

/**
 * The audit log (issue 16 item 5), for every console role: filter by
 * actor, action, target and time, page newest first by record number, and
 * verify the hash chain in place with the head shown to copy. Both are
 * reads (GET forms), so an auditor uses them like anyone; nothing in the
 * console writes to, clears or edits the log.
 */
export function mountAuditPage(console: Hono<ConsoleEnv>): void {
  console.get('/audit', requireRole(READERS), async (c) => {
    const raw = (name: string): string => (c.req.query(name) ?? '').slice(0, 300);
    const input = Object.fromEntries(FIELDS.map((f) => [f, raw(f)])) as Record<Field, string>;
    const before = raw('before');
    const deps = c.var.deps;
    try {
      const search: AuditSearchInput = { ...input, before };
      const page = await searchAudit(deps.store.read, readAuditFilter(search, deps.config.timeZone), PAGE);
      return await c.html(<AuditPage c={c} input={input} issues={[]} records={page.records} next={page.next} paged={before !== ''} />);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'bad_input') throw e;
      return c.html(<AuditPage c={c} input={input} issues={e.issues} records={[]} next={null} paged={false} />, 400);
    }
  });

  console.get('/audit/verify', requireRole(READERS), async (c) => {
    const expectHead = (c.req.query('expectHead') ?? '').trim().slice(0, 200);
    try {
      const v = await verifyAudit(c.var.deps.store.read, expectHead === '' ? {} : { expectHead });
      return await c.html(<VerifiedPage c={c} v={v} expectHead={expectHead} />);
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'bad_input') throw e;
      return c.html(
        <ConsoleLayout title={s.verifiedTitle} c={c}>
          <Message kind="error">{s.badHead}</Message>
          <VerifyForm value={expectHead} error={s.badHead} />
          <p>
            <a href="/console/audit">{s.back}</a>
          </p>
        </ConsoleLayout>,
        400,
      );
    }
  });
}
