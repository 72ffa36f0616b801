import type { Hono } from 'hono';
import { parseSearchFields, SEARCH_STATES, searchSources, searchWithCount, type AccountSearchFilter, type SearchHit } from '../app/account-search.js';
import type { RosterConfig } from '../config/config-schema.js';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { READERS, WRITERS } from '../server/permissions.js';
import { can, consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, Message, ScrollTable } from './console-layout.js';

const FIELDS = ['q', 'state', 'hold', 'type', 'source', 'host'] as const;
type Field = (typeof FIELDS)[number];
type Input = Readonly<Record<Field, string>>;

/** Freeze reasons Roster itself sets (DESIGN.md §3), offered in the hold list; any other reason can still be asked for by URL. */
const KNOWN_REASONS = ['billing', 'admin', 'security', 'scim'];

const s = {
  title: 'Search accounts',
  intro: 'Find people and their accounts by username, name, person id or e-mail address, and narrow the result by state, hold, type, source and host.',
  legend: 'Find accounts',
  labels: { q: 'Search', state: 'State', hold: 'Hold', type: 'Type', source: 'Source', host: 'Host' } satisfies Record<Field, string>,
  qHint: 'Username, first or last name, person id or e-mail address; each word matches the start of one of them, in any case.',
  any: { state: 'Any but purged', hold: 'Any or none', type: 'Any type', source: 'Any source', host: 'Any host' },
  states: { active: 'Active', pending: 'Pending approval', disabled: 'Disabled (a hold in force)', purged: 'Purged (tombstones)' } as Record<string, string>,
  holds: { retired: 'Retired', frozen: 'Frozen, any reason' } as Record<string, string>,
  frozenFor: (reason: string) => `Frozen: ${reason}`,
  submit: 'Search',
  clear: 'Clear the search',
  fix: 'The search has a problem; nothing is shown until it is fixed.',
  count: (n: number, more: boolean) => (more ? `More than ${n.toLocaleString('en')} accounts match.` : n === 1 ? 'One account matches.' : `${n.toLocaleString('en')} accounts match.`),
  none: 'No account matches.',
  caption: 'Matching accounts, oldest first',
  cols: { select: 'Select', username: 'Username', name: 'Name', person: 'Person id', email: 'E-mail', type: 'Type', state: 'State', holds: 'Holds' },
  selectOne: (u: string) => `Select ${u}`,
  bulkSelected: 'Bulk action on the selected accounts',
  uncounted: 'More accounts match than one page shows.',
  countThem: 'Count them',
  bulkAllUncounted: 'Select all matching accounts for a bulk action',
  bulkAll: (n: number, more: boolean) => (more ? `Bulk action on all results (more than ${n.toLocaleString('en')})` : n === 1 ? 'Select the one result for a bulk action' : `Select all ${n.toLocaleString('en')} results for a bulk action`),
  next: 'Next page',
  first: 'First page',
  pages: 'Result pages',
};

function query(input: Readonly<Record<string, string>>): string {
  const q = new URLSearchParams(Object.entries(input).filter(([, v]) => v !== ''));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

function FieldError(props: { readonly id: string; readonly error: string | undefined }) {
  return props.error === undefined ? null : (
    <p class="field-error" id={`${props.id}-error`}>
      {props.error}
    </p>
  );
}

function invalid(id: string, error: string | undefined, hint?: string): Record<string, string> {
  const described = [hint, error === undefined ? undefined : `${id}-error`].filter((x) => x !== undefined).join(' ');
  return { ...(described === '' ? {} : { 'aria-describedby': described }), ...(error === undefined ? {} : { 'aria-invalid': 'true' }) };
}

/** A select of a search field: "any" first, then the options; a value given by URL and not among them stays selected. */
function Select(props: { readonly field: Exclude<Field, 'q'>; readonly value: string; readonly options: ReadonlyArray<readonly [string, string]>; readonly error: string | undefined }) {
  const { field, value, error } = props;
  const id = `search-${field}`;
  const options = value === '' || props.options.some(([v]) => v === value) ? props.options : [...props.options, [value, value] as const];
  return (
    <div class="filter-field">
      <label for={id}>{s.labels[field]}</label>
      <select id={id} name={field} {...invalid(id, error)}>
        <option value="" selected={value === ''}>
          {s.any[field]}
        </option>
        {options.map(([v, label]) => (
          <option value={v} selected={v === value}>
            {label}
          </option>
        ))}
      </select>
      <FieldError id={id} error={error} />
    </div>
  );
}

function SearchForm(props: { readonly config: RosterConfig; readonly input: Input; readonly issues: readonly ErrorIssue[] }) {
  const { config, input } = props;
  const errorOf = (field: Field): string | undefined => props.issues.find((i) => i.where === field)?.message;
  const given = FIELDS.some((f) => input[f] !== '');
  return (
    <form class="filters search" method="get" action="/console">
      <fieldset>
        <legend>{s.legend}</legend>
        <div class="filter-field wide">
          <label for="search-q">{s.labels.q}</label>
          <input type="search" id="search-q" name="q" value={input.q} autocomplete="off" spellcheck={false} {...invalid('search-q', errorOf('q'), 'search-q-hint')} />
          <p class="hint" id="search-q-hint">
            {s.qHint}
          </p>
          <FieldError id="search-q" error={errorOf('q')} />
        </div>
        <Select field="state" value={input.state} error={errorOf('state')} options={SEARCH_STATES.map((v) => [v, s.states[v] ?? v] as const)} />
        <Select field="hold" value={input.hold} error={errorOf('hold')} options={[...Object.entries(s.holds), ...KNOWN_REASONS.map((r) => [r, s.frozenFor(r)] as const)]} />
        <Select field="type" value={input.type} error={errorOf('type')} options={Object.keys(config.types).map((t) => [t, t] as const)} />
        <Select field="source" value={input.source} error={errorOf('source')} options={searchSources(config).map((v) => [v, v] as const)} />
        <Select field="host" value={input.host} error={errorOf('host')} options={Object.keys(config.hosts).map((h) => [h, h] as const)} />
        <div class="filter-actions">
          <button type="submit">{s.submit}</button> {given ? <a href="/console">{s.clear}</a> : null}
        </div>
      </fieldset>
    </form>
  );
}

function holdsText(hit: SearchHit): string {
  return hit.account.holds.map((h) => (h.kind === 'freeze' ? `frozen: ${h.reason}` : 'retired')).join(', ');
}

function Results(props: { readonly c: ConsoleContext; readonly hits: readonly SearchHit[]; readonly selectable: boolean }) {
  const { hits, selectable } = props;
  return (
    <ScrollTable
      captionId="search-caption"
      caption={s.caption}
      cols={[...(selectable ? [s.cols.select] : []), s.cols.username, s.cols.name, s.cols.person, s.cols.email, s.cols.type, s.cols.state, s.cols.holds]}
      tableClass="search-results"
    >
      {hits.map((h) => (
        <tr>
          {selectable ? (
            <td class="select">
              <input type="checkbox" name="username" value={h.account.username} aria-label={s.selectOne(h.account.username)} />
            </td>
          ) : null}
          <td>
            <a href={`/console/accounts/${encodeURIComponent(h.account.username)}`}>{h.account.username}</a>
          </td>
          <td>{`${h.firstName} ${h.lastName}`.trim()}</td>
          <td>{h.account.personId}</td>
          <td>{h.emails.join(', ')}</td>
          <td>{h.account.type}</td>
          <td>{h.account.state}</td>
          <td>{holdsText(h)}</td>
        </tr>
      ))}
    </ScrollTable>
  );
}

function SearchPage(props: {
  readonly c: ConsoleContext;
  readonly input: Input;
  readonly issues: readonly ErrorIssue[];
  readonly hits: readonly SearchHit[];
  readonly next: number | null;
  readonly paged: boolean;
  /** How many match, when counted (a single page, or asked for); null when not counted. */
  readonly count: { readonly count: number; readonly more: boolean } | null;
}) {
  const { c, input, issues, hits, count } = props;
  const config = c.var.deps.config;
  const selectable = can(c, WRITERS);
  const fields: Record<string, string> = Object.fromEntries(FIELDS.filter((f) => input[f] !== '').map((f) => [f, input[f]]));
  return (
    <ConsoleLayout title={s.title} c={c}>
      <p>{s.intro}</p>
      {issues.length === 0 ? null : (
        <Message kind="error">
          {s.fix}
          {issues.filter((i) => !(FIELDS as readonly string[]).includes(i.where)).map((i) => ` ${i.where}: ${i.message}.`)}
        </Message>
      )}
      <SearchForm config={config} input={input} issues={issues} />
      {issues.length > 0 ? null : count?.count === 0 ? (
        <p role="status">{s.none}</p>
      ) : (
        <>
          {count === null ? (
            <p role="status">
              {s.uncounted} <a href={`/console${query({ ...fields, count: '1' })}`}>{s.countThem}</a>
            </p>
          ) : (
            <p role="status">{s.count(count.count, count.more)}</p>
          )}
          {selectable ? (
            <form method="post" action="/console/bulk" class="actions">
              <CsrfField c={c} />
              <input type="hidden" name="all" value="1" />
              {Object.entries(fields).map(([k, v]) => (
                <input type="hidden" name={k} value={v} />
              ))}
              <button type="submit" class="secondary">
                {count === null ? s.bulkAllUncounted : s.bulkAll(count.count, count.more)}
              </button>
            </form>
          ) : null}
          {selectable ? (
            <form method="post" action="/console/bulk">
              <CsrfField c={c} />
              <Results c={c} hits={hits} selectable />
              <div class="actions">
                <button type="submit">{s.bulkSelected}</button>
              </div>
            </form>
          ) : (
            <Results c={c} hits={hits} selectable={false} />
          )}
        </>
      )}
      {props.paged || props.next !== null ? (
        <nav class="pager" aria-label={s.pages}>
          {props.paged ? <a href={`/console${query(fields)}`}>{s.first}</a> : null} {props.next === null ? null : <a href={`/console${query({ ...fields, after: String(props.next) })}`}>{s.next}</a>}
        </nav>
      ) : null}
    </ConsoleLayout>
  );
}

/**
 * The console's first page (issue 16 item 2), for every role: search
 * accounts by username, name, person id and e-mail (word prefixes), state,
 * hold, type, source and host, 50 results a page (keyset pages), with the
 * number that match. Admins and operators select rows, or the whole
 * result, for a bulk action (/console/bulk); an auditor sees no selection.
 */
export function mountSearchPage(console: Hono<ConsoleEnv>): void {
  const page = async (c: ConsoleContext): Promise<Response> => {
    const input = Object.fromEntries(FIELDS.map((f) => [f, (c.req.query(f) ?? '').trim().slice(0, 300)])) as Record<Field, string>;
    const after = (c.req.query('after') ?? '').trim().slice(0, 30);
    const ctx = consoleAppContext(c);
    let filter: AccountSearchFilter;
    let cursor: number | undefined;
    try {
      ({ filter, after: cursor } = parseSearchFields(ctx.config, { ...input, after }));
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'bad_input') throw e;
      return c.html(<SearchPage c={c} input={input} issues={e.issues} hits={[]} next={null} paged={false} count={{ count: 0, more: false }} />, 400);
    }
    // A broad search is counted only on request: the page of results is one search.
    const { page: result, count } = await searchWithCount(ctx, filter, cursor, { count: c.req.query('count') === '1' });
    return c.html(<SearchPage c={c} input={input} issues={[]} hits={result.items} next={result.next} paged={cursor !== undefined} count={count} />);
  };
  console.get('/', requireRole(READERS), page);
  console.get('/search', requireRole(READERS), page);
}
