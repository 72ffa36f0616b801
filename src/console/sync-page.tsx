import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { printable } from '../app/person-input.js';
import { pendingSyncApproval, planDigest, planSyncUpload, runSyncUpload, type SyncUploadFile } from '../app/sync-upload.js';
import { errorMessage, RosterError, type ErrorIssue } from '../domain/errors.js';
import type { SyncChange, SyncReport } from '../jobs/roster-sync.js';
import type { SyncNote } from '../jobs/sync-plan.js';
import { WRITERS } from '../server/permissions.js';
import type { MassChange } from '../store/queries/mass-change-queries.js';
import { consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, CsrfField, Message, ScrollTable } from './console-layout.js';
import { consoleTime } from './time-words.js';
import { field } from '../portal/form-field.js';

/** Changes, notes and failures listed on a page; the counts cover the rest. */
const SHOWN = 500;
/** How long an uploaded file waits for its run. */
const KEEP_MS = 60 * 60 * 1000;
/** Uploads kept at once, and their bytes together (the oldest goes first). */
const MAX_KEPT = 32;
const MAX_KEPT_BYTES = 256 * 1024 * 1024;

const s = {
  title: 'Sync a roster file',
  intro: 'Upload a source’s roster file (CSV, as roster sync reads it). The whole file is checked first; a file with problems changes nothing. Then you see the plan, a dry run of every change, and the sync runs only when you confirm it.',
  source: 'Source',
  sourceHint: (columns: string) => `columns ${columns}`,
  file: 'Roster file (CSV)',
  fileHint: (max: string) => `At most ${max}.`,
  check: 'Check the file and show the plan',
  noSources: 'roster.yaml declares no sources under sources:, so there is nothing to sync.',
  missingFile: 'Choose the roster file to upload.',
  emptyFile: 'The file is empty.',
  tooLarge: (max: string) => `The file is larger than ${max} (server.maxUploadBytes).`,
  unknownSource: 'Choose one of the sources.',
  fix: 'The upload was not checked; fix the fields marked below.',
  problemsTitle: 'The roster file has problems',
  problemsIntro: (file: string, n: number) => `${file}: ${n.toLocaleString('en')} problem${n === 1 ? '' : 's'}. Nothing was changed. Fix the file and upload it again.`,
  problemsCaption: 'Problems by row',
  problemsCols: ['Where', 'Problem'],
  refusedTitle: 'The roster file cannot be synced',
  planTitle: 'Plan of the sync',
  planIntro: (source: string, file: string, rows: number) => `Source ${source}, file ${file}: ${rows.toLocaleString('en')} row${rows === 1 ? '' : 's'}. This is a dry run: nothing has changed yet.`,
  countsCaption: 'What the sync would do',
  doneCaption: 'What the sync did',
  changesDone: 'Changes made',
  counts: { added: 'People added', updated: 'People updated', created: 'Accounts created', reactivated: 'Accounts reactivated', retired: 'Accounts retired', purged: 'of which purged at once', unchanged: 'People unchanged' },
  changesCaption: 'Changes',
  changesCols: ['Change', 'Person', 'Account', 'Details'],
  more: (n: number) => `… and ${n.toLocaleString('en')} more.`,
  nothing: 'The file matches the store: there is nothing to change.',
  notesCaption: 'Notes',
  breaker: (b: SyncReport['breaker']) => `Retirements: ${b.affected.toLocaleString('en')} of ${b.total.toLocaleString('en')} accounts of the source; the circuit breaker allows ${b.limit.toLocaleString('en')}.`,
  overBreaker: 'This is over the circuit breaker: running it asks a second admin to approve it first (on the Approvals page); then you run it here.',
  passwords: (n: number) => `${n.toLocaleString('en')} new account${n === 1 ? ' gets' : 's get'} a generated initial password, which only roster sync --password-file can hand out: run this file with the roster command instead.`,
  run: 'Run the sync',
  runApproved: (by: string) => `Run the sync approved by ${by}`,
  waiting: (c: MassChange, tz: string) => `Waiting for a second admin: mass change ${c.id}, asked by ${c.requestedBy}, must be approved on the Approvals page before it runs (until ${consoleTime(c.expiresAt, tz)}, ${tz}).`,
  approvals: 'The approval request',
  approved: (c: MassChange) => `Mass change ${c.id} was approved by ${c.approvedBy ?? '?'}: the run will use it.`,
  changedPlan: 'The plan changed since you saw it (the store or roster.yaml changed meanwhile). Nothing was changed. Check the new plan below and run it again if it is right.',
  waitingTitle: 'The sync waits for a second admin',
  waitingIntro: (affected: number, limit: number) => `It would retire ${affected.toLocaleString('en')} accounts, over the circuit breaker’s ${limit.toLocaleString('en')}. Nothing was changed.`,
  waitingNext: 'Once a second admin approves it, come back to this upload (or upload the same file again) and run it.',
  backToUpload: 'Back to the plan',
  doneTitle: 'Sync done',
  doneIntro: (source: string, ok: boolean) => `The sync of ${source} ran${ok ? '' : ', with failures'}.`,
  failuresCaption: 'Failures',
  failuresCols: ['Person', 'Row', 'Error'],
  another: 'Upload another file',
  goneTitle: 'This upload is gone',
  gone: 'The upload is not here any more: it was run already, it waited more than an hour, the server restarted, or it was made in another session. Upload the file again.',
  runFailed: (message: string) => `The sync was not run: ${message}`,
  changeLabel: { 'add-person': 'add person', 'update-person': 'update person', create: 'create account', reactivate: 'reactivate account', retire: 'retire account', purge: 'purge account' } satisfies Record<SyncChange['action'], string>,
};

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toLocaleString('en', { maximumFractionDigits: 1 })} MiB` : `${Math.ceil(bytes / 1024).toLocaleString('en')} KiB`;
}

/** An uploaded file between its plan and its run, kept for the session that sent it. */
interface Upload extends SyncUploadFile {
  /** The session's id hash: another session cannot see or run it. */
  readonly owner: string;
  readonly name: string;
  readonly at: number;
}

/**
 * Uploads between plan and run, in memory and keyed by 128 random bits.
 * A careful choice rather than a temporary file or a hidden field: the
 * file holds people's data (verification values in clear), which must not
 * go back into a page or sit on disk; a restart losing it only means
 * uploading again. Each is bound to the session that sent it, expires
 * after an hour, is dropped once run, and at most MAX_KEPT of at most
 * MAX_KEPT_BYTES together are kept.
 */
class UploadShelf {
  private readonly items = new Map<string, Upload>();

  put(upload: Upload): string {
    this.sweep(upload.at);
    const bytes = (): number => [...this.items.values()].reduce((n, u) => n + u.content.byteLength, 0);
    while (this.items.size >= MAX_KEPT || (this.items.size > 0 && bytes() + upload.content.byteLength > MAX_KEPT_BYTES)) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.items.delete(oldest);
    }
    const id = randomBytes(16).toString('base64url');
    this.items.set(id, upload);
    return id;
  }

  get(id: string, owner: string, now: number): Upload | undefined {
    this.sweep(now);
    const u = this.items.get(id);
    return u === undefined || u.owner !== owner ? undefined : u;
  }

  drop(id: string): void {
    this.items.delete(id);
  }

  private sweep(now: number): void {
    for (const [id, u] of this.items) if (now - u.at > KEEP_MS) this.items.delete(id);
  }
}

/** A change's cells; `linked` (after the run, when they exist) links the person and the account to their pages. */
function changeCells(c: SyncChange, timeZone: string, linked: boolean) {
  const account = 'username' in c ? c.username : '';
  const details = ((): string => {
    switch (c.action) {
      case 'add-person':
        return `${c.name}, row ${c.row}`;
      case 'update-person':
        return `${c.fields.join(', ')} (row ${c.row})`;
      case 'create':
        return `${c.type}${c.returning ? ', returning: same name and UID' : ''}`;
      case 'reactivate':
        return c.type;
      case 'retire':
        return `${c.type}: ${c.why}; deactivated ${c.deactivates === null ? 'now' : consoleTime(c.deactivates, timeZone)}, deleted ${c.deletes === null ? 'now' : consoleTime(c.deletes, timeZone)}`;
      case 'purge':
        return `${c.type}: ${c.why}; deleted now`;
    }
  })();
  return (
    <>
      <td>{s.changeLabel[c.action]}</td>
      <td>{linked ? <a href={`/console/people/${encodeURIComponent(c.personId)}`}>{c.personId}</a> : c.personId}</td>
      <td>{linked && account !== '' && c.action !== 'purge' ? <a href={`/console/accounts/${encodeURIComponent(account)}`}>{account}</a> : account}</td>
      <td>{details}</td>
    </>
  );
}

function noteText(n: SyncNote): string {
  return n.kind === 'not-eligible' ? `${n.personId} (row ${n.row}) gets no ${n.type} account: ${n.unmet.join('; ')}` : `${n.username} of ${n.personId} stays retired (retired by ${n.retiredBy}, not by this source)`;
}


function Counts(props: { readonly report: SyncReport; readonly caption: string }) {
  const sum = props.report.summary;
  const rows: Array<readonly [string, number]> = [
    [s.counts.added, sum.added],
    [s.counts.updated, sum.updated],
    [s.counts.created, sum.created],
    [s.counts.reactivated, sum.reactivated],
    [s.counts.retired, sum.retired],
    [s.counts.purged, sum.purged],
    [s.counts.unchanged, sum.unchanged],
  ];
  return (
    <table class="counts">
      <caption>{props.caption}</caption>
      <tbody>
        {rows.map(([label, n]) => (
          <tr>
            <th scope="row">{label}</th>
            <td class="num">{n.toLocaleString('en')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Changes(props: { readonly report: SyncReport; readonly timeZone: string; readonly caption: string; readonly linked: boolean }) {
  const { changes, notes } = props.report;
  return (
    <>
      {changes.length === 0 ? (
        <p>{s.nothing}</p>
      ) : (
        <ScrollTable captionId="changes-caption" caption={props.caption} cols={s.changesCols} tableClass="plan">
          {changes.slice(0, SHOWN).map((c) => (
            <tr class={`change-${c.action}`}>{changeCells(c, props.timeZone, props.linked)}</tr>
          ))}
        </ScrollTable>
      )}
      {changes.length > SHOWN ? <p>{s.more(changes.length - SHOWN)}</p> : null}
      {notes.length === 0 ? null : (
        <>
          <h2>{s.notesCaption}</h2>
          <ul>
            {notes.slice(0, SHOWN).map((n) => (
              <li>{noteText(n)}</li>
            ))}
          </ul>
          {notes.length > SHOWN ? <p>{s.more(notes.length - SHOWN)}</p> : null}
        </>
      )}
    </>
  );
}

interface UploadFormState {
  readonly source: string;
  readonly errors: { readonly source?: string; readonly file?: string };
}

function UploadPage(props: { readonly c: ConsoleContext; readonly form: UploadFormState }) {
  const { c, form } = props;
  const config = c.var.deps.config;
  const sources = Object.entries(config.sources);
  const max = megabytes(config.server.maxUploadBytes);
  const failed = form.errors.source !== undefined || form.errors.file !== undefined;
  const selected = sources.find(([name]) => name === form.source) ?? sources[0];
  const columns = (name: string): string =>
    Object.entries(config.sources[name]?.columns ?? {})
      .flatMap(([, v]) => (typeof v === 'string' ? [v] : Object.values(v as Record<string, string>)))
      .join(', ');
  return (
    <ConsoleLayout title={s.title} c={c}>
      {failed ? <Message kind="error">{s.fix}</Message> : null}
      <p>{s.intro}</p>
      {sources.length === 0 ? (
        <p>{s.noSources}</p>
      ) : (
        <form class="stacked" method="post" action="/console/sync" enctype="multipart/form-data">
          <CsrfField c={c} />
          <label for="sync-source">{s.source}</label>
          <select id="sync-source" name="source" aria-describedby={`sync-source-hint${form.errors.source === undefined ? '' : ' sync-source-error'}`} {...(form.errors.source === undefined ? {} : { 'aria-invalid': 'true' })}>
            {sources.map(([name]) => (
              <option value={name} selected={name === selected?.[0]}>
                {name}
              </option>
            ))}
          </select>
          <p class="hint" id="sync-source-hint">
            {sources.map(([name]) => `${name}: ${s.sourceHint(columns(name))}`).join(' · ')}
          </p>
          {form.errors.source === undefined ? null : (
            <p class="field-error" id="sync-source-error">
              {form.errors.source}
            </p>
          )}
          <label for="sync-file">{s.file}</label>
          <input type="file" id="sync-file" name="file" accept=".csv,text/csv,text/plain" required aria-describedby={`sync-file-hint${form.errors.file === undefined ? '' : ' sync-file-error'}`} {...(form.errors.file === undefined ? {} : { 'aria-invalid': 'true' })} />
          <p class="hint" id="sync-file-hint">
            {s.fileHint(max)}
          </p>
          {form.errors.file === undefined ? null : (
            <p class="field-error" id="sync-file-error">
              {form.errors.file}
            </p>
          )}
          <button type="submit">{s.check}</button>
        </form>
      )}
    </ConsoleLayout>
  );
}

function ProblemsPage(props: { readonly c: ConsoleContext; readonly name: string; readonly error: RosterError }) {
  const { c, name, error } = props;
  const issues: readonly ErrorIssue[] = error.issues;
  return (
    <ConsoleLayout title={issues.length === 0 ? s.refusedTitle : s.problemsTitle} c={c}>
      {issues.length === 0 ? <Message kind="error">{errorMessage(error)}</Message> : <Message kind="error">{s.problemsIntro(name, issues.length)}</Message>}
      {issues.length === 0 ? null : (
        <ScrollTable captionId="problems-caption" caption={s.problemsCaption} cols={s.problemsCols} tableClass="problems">
          {issues.slice(0, SHOWN).map((i) => (
            <tr>
              <td>{i.where}</td>
              <td>{i.message}</td>
            </tr>
          ))}
        </ScrollTable>
      )}
      {issues.length > SHOWN ? <p>{s.more(issues.length - SHOWN)}</p> : null}
      <p>
        <a href="/console/sync">{s.another}</a>
      </p>
    </ConsoleLayout>
  );
}

function PlanPage(props: { readonly c: ConsoleContext; readonly id: string; readonly upload: Upload; readonly report: SyncReport; readonly pending: MassChange | undefined; readonly error?: string }) {
  const { c, id, upload, report, pending } = props;
  const tz = c.var.deps.config.timeZone;
  const b = report.breaker;
  const over = b.affected > b.limit || (b.total > 0 && b.affected === b.total);
  const approved = pending !== undefined && pending.approvedAt !== null ? pending : undefined;
  const waiting = pending !== undefined && pending.approvedAt === null ? pending : undefined;
  const blocked = report.passwords !== null;
  return (
    <ConsoleLayout title={s.planTitle} c={c}>
      {props.error === undefined ? null : <Message kind="error">{props.error}</Message>}
      <p>{s.planIntro(upload.source, upload.name, report.rows)}</p>
      <Counts report={report} caption={s.countsCaption} />
      <p>{s.breaker(b)}</p>
      {blocked ? <Message kind="error">{s.passwords(report.passwords.count)}</Message> : null}
      {over && pending === undefined && !blocked ? <Message kind="info">{s.overBreaker}</Message> : null}
      {approved === undefined ? null : <Message kind="info">{s.approved(approved)}</Message>}
      {waiting === undefined ? null : (
        <>
          <Message kind="info">{s.waiting(waiting, tz)}</Message>
          <p>
            <a href={`/console/approvals/${waiting.id}`}>{s.approvals}</a>
          </p>
        </>
      )}
      {blocked || waiting !== undefined || report.changes.length === 0 ? null : (
        <form method="post" action={`/console/sync/uploads/${id}/run`}>
          <CsrfField c={c} />
          <input type="hidden" name="plan" value={planDigest(report)} />
          {approved === undefined ? null : <input type="hidden" name="approval" value={approved.id} />}
          <button type="submit">{approved === undefined ? s.run : s.runApproved(approved.approvedBy ?? '?')}</button>
        </form>
      )}
      <Changes report={report} timeZone={tz} caption={s.changesCaption} linked={false} />
      <p>
        <a href="/console/sync">{s.another}</a>
      </p>
    </ConsoleLayout>
  );
}

function DonePage(props: { readonly c: ConsoleContext; readonly report: SyncReport }) {
  const { c, report } = props;
  return (
    <ConsoleLayout title={s.doneTitle} c={c}>
      <Message kind={report.failures.length === 0 ? 'info' : 'error'}>{s.doneIntro(report.source, report.failures.length === 0)}</Message>
      <Counts report={report} caption={s.doneCaption} />
      {report.failures.length === 0 ? null : (
        <table>
          <caption>{s.failuresCaption}</caption>
          <thead>
            <tr>
              {s.failuresCols.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.failures.slice(0, SHOWN).map((f) => (
              <tr>
                <td>{f.personId}</td>
                <td>{f.row ?? ''}</td>
                <td>{f.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Changes report={report} timeZone={c.var.deps.config.timeZone} caption={s.changesDone} linked={true} />
      <p>
        <a href="/console/sync">{s.another}</a>
      </p>
    </ConsoleLayout>
  );
}

function GonePage(props: { readonly c: ConsoleContext }) {
  return (
    <ConsoleLayout title={s.goneTitle} c={props.c}>
      <Message kind="error">{s.gone}</Message>
      <p>
        <a href="/console/sync">{s.another}</a>
      </p>
    </ConsoleLayout>
  );
}

/**
 * Roster file uploads (issue 16 item 5), for admins and operators as
 * POST /api/v1/sync/{source} is: upload a source's CSV, see its problems by
 * row (the whole file is validated first and nothing changes on a bad one)
 * or its plan (a dry run), then run it. The run applies exactly the plan
 * shown or refuses; over the circuit breaker it becomes a mass change for a
 * second admin, and the upload waits (in this session) to be run with it.
 */
export function mountSyncPage(console: Hono<ConsoleEnv>): void {
  const shelf = new UploadShelf();
  const ownerOf = (c: ConsoleContext): string => c.var.user?.session.idHash ?? '';

  console.get('/sync', requireRole(WRITERS), (c) => c.html(<UploadPage c={c} form={{ source: '', errors: {} }} />));

  console.post('/sync', requireRole(WRITERS), async (c) => {
    const deps = c.var.deps;
    const body = await c.req.parseBody();
    const source = field(body, 'source');
    const file = body.file;
    const max = deps.config.server.maxUploadBytes;
    const errors: { source?: string; file?: string } = {};
    if (deps.config.sources[source] === undefined) errors.source = s.unknownSource;
    if (!(file instanceof File) || (file.name === '' && file.size === 0)) errors.file = s.missingFile;
    else if (file.size === 0) errors.file = s.emptyFile;
    else if (file.size > max) errors.file = s.tooLarge(megabytes(max));
    if (errors.source !== undefined || !(file instanceof File) || errors.file !== undefined) return c.html(<UploadPage c={c} form={{ source, errors }} />, 400);

    const upload: Upload = { source, content: new Uint8Array(await file.arrayBuffer()), owner: ownerOf(c), name: printable(file.name).slice(0, 200) || 'upload.csv', at: deps.clock.now().getTime() };
    const ctx = consoleAppContext(c);
    try {
      await planSyncUpload(ctx, upload);
    } catch (e) {
      if (!(e instanceof RosterError) || !['bad_input', 'bad_config', 'not_found', 'conflict'].includes(e.code)) throw e;
      return c.html(<ProblemsPage c={c} name={upload.name} error={e} />, 400);
    }
    // The plan itself is shown by the upload's own page, so a reload re-plans rather than re-uploads.
    return c.redirect(`/console/sync/uploads/${shelf.put(upload)}`, 303);
  });

  console.get('/sync/uploads/:id', requireRole(WRITERS), async (c) => {
    const id = c.req.param('id');
    const ctx = consoleAppContext(c);
    const upload = shelf.get(id, ownerOf(c), ctx.clock.now().getTime());
    if (upload === undefined) return c.html(<GonePage c={c} />, 404);
    try {
      const report = await planSyncUpload(ctx, upload);
      return await c.html(<PlanPage c={c} id={id} upload={upload} report={report} pending={await pendingSyncApproval(ctx, upload)} />);
    } catch (e) {
      if (!(e instanceof RosterError) || !['bad_input', 'bad_config', 'not_found', 'conflict'].includes(e.code)) throw e;
      return c.html(<ProblemsPage c={c} name={upload.name} error={e} />, 400);
    }
  });

  console.post('/sync/uploads/:id/run', requireRole(WRITERS), async (c) => {
    const id = c.req.param('id');
    const ctx = consoleAppContext(c);
    const upload = shelf.get(id, ownerOf(c), ctx.clock.now().getTime());
    if (upload === undefined) return c.html(<GonePage c={c} />, 404);
    const body = await c.req.parseBody();
    const approval = field(body, 'approval');
    let run: Awaited<ReturnType<typeof runSyncUpload>>;
    try {
      run = await runSyncUpload(ctx, upload, { planned: field(body, 'plan'), ...(approval === '' ? {} : { approval }) });
    } catch (e) {
      if (!(e instanceof RosterError)) throw e;
      // Nothing ran (a refused approval, a file that no longer validates): the plan as it is now, and why.
      try {
        const report = await planSyncUpload(ctx, upload);
        return await c.html(<PlanPage c={c} id={id} upload={upload} report={report} pending={await pendingSyncApproval(ctx, upload)} error={s.runFailed(errorMessage(e))} />, 409);
      } catch (again) {
        if (!(again instanceof RosterError)) throw again;
        return c.html(<ProblemsPage c={c} name={upload.name} error={again} />, 400);
      }
    }
    if (run.kind === 'plan-changed') {
      return c.html(<PlanPage c={c} id={id} upload={upload} report={run.report} pending={await pendingSyncApproval(ctx, upload)} error={s.changedPlan} />, 409);
    }
    if (run.kind === 'waiting') {
      return c.html(
        <ConsoleLayout title={s.waitingTitle} c={c}>
          <Message kind="info">{s.waiting(run.change, c.var.deps.config.timeZone)}</Message>
          <p>{s.waitingIntro(run.change.summary.affected, run.change.summary.limit)}</p>
          <p>{s.waitingNext}</p>
          <p>
            <a href={`/console/approvals/${run.change.id}`}>{s.approvals}</a>
          </p>
          <p>
            <a href={`/console/sync/uploads/${id}`}>{s.backToUpload}</a>
          </p>
        </ConsoleLayout>,
        202,
      );
    }
    shelf.drop(id);
    return c.html(<DonePage c={c} report={run.report} />);
  });
}
