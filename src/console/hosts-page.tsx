import type { Hono } from 'hono';
import { hostOverview, hostOverviews, type HostOverview, type ReportedChange, type ReportFacts } from '../app/host-overview.js';
import { RosterError } from '../domain/errors.js';
import { READERS } from '../server/permissions.js';
import type { JobRun } from '../store/store.js';
import { consoleAppContext, requireRole } from './console-auth.js';
import type { ConsoleContext, ConsoleEnv } from './console-env.js';
import { ConsoleLayout, Message, ScrollTable } from './console-layout.js';
import { consoleTime, elapsedWords } from './time-words.js';

/** Reports listed on a host's page. */
const REPORTS = 20;

const s = {
  title: 'Hosts',
  intro: 'Each host in roster.yaml: who applies it, its targets, what its agent last reported, and whether that is the revision the server hands out now.',
  caption: (tz: string) => `Hosts (times in ${tz})`,
  cols: ['Host', 'Applied by', 'Targets', 'Last report', 'Revision', 'Result', 'Drift'],
  none: 'roster.yaml declares no host.',
  appliedBy: { agent: 'its agent', server: 'roster serve' },
  noTargets: 'none',
  noReport: 'never',
  serverApplied: (run: JobRun | null, at: string) => (run === null ? 'no agent; the apply job has not run' : `no agent; the apply job: ${run.result}, ${at}`),
  reported: (at: string, ago: string) => `${at} (${ago})`,
  revisionCurrent: 'current',
  revisionBehind: 'behind',
  revisionNone: '–',
  result: (r: ReportFacts) =>
    r.error !== null ? `nothing applied: ${r.error.message}` : r.lockTimeout ? 'lock timeout' : r.failed > 0 ? `${r.failed} failed` : r.skipped > 0 ? `${r.skipped} skipped` : 'ok',
  hostTitle: (host: string) => `Host ${host}`,
  factsHeading: 'Settings',
  facts: { description: 'Description', appliedBy: 'Applied by', targets: 'Targets' },
  revisionHeading: 'Revision',
  revisionFacts: { desired: 'Handed out now', applied: 'Last reported', since: 'Reported since' },
  revisionIsCurrent: 'The host runs the revision the server hands out now.',
  revisionIsBehind: (ago: string) => `The host has not reported the revision handed out now: changes made since wait for its agent's next poll. Its last report came ${ago}.`,
  revisionNever: 'The agent has not reported yet.',
  serverNote: 'roster serve applies this host itself, on the apply job’s schedule; such hosts send no agent reports.',
  lastApply: (r: JobRun, at: string) => `The apply job last ran ${at}: ${r.result}${Object.keys(r.counts).length === 0 ? '' : ` (${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`}.`,
  noApply: 'The apply job has not run yet.',
  jobsLink: 'The jobs',
  lastHeading: 'Last report',
  failuresHeading: 'Failed changes',
  failuresCaption: (id: number, shown: number, total: number) => `Failed changes of report ${id}${shown < total ? ` (${shown} of ${total}: the agent lists some)` : ''}`,
  driftHeading: 'Drift',
  driftIntro: 'Changes the agent found when applying a revision already applied: someone changed the host by hand, and the agent put it back.',
  driftCaption: (id: number, shown: number, total: number) => `Drifted changes of report ${id}${shown < total ? ` (${shown} of ${total}: the agent lists some)` : ''}`,
  changeCols: ['Target', 'Change', 'Subject', 'Error'],
  reportsHeading: 'Recent reports',
  reportsCaption: (tz: string) => `The last reports, newest first (times in ${tz})`,
  reportCols: ['Report', 'Received', 'From', 'Revision', 'Result', 'Applied', 'Failed', 'Skipped', 'Drift'],
  noReports: 'No report yet.',
  back: 'All hosts',
  notFoundTitle: 'No such host',
  notFound: (host: string) => `roster.yaml declares no host ${host}.`,
};

/** Revisions are digests: the first characters tell them apart, as git's short hashes do. */
function short(revision: string | null): string {
  return revision === null ? s.revisionNone : revision.slice(0, 12);
}

function hostHref(host: string): string {
  return `/console/hosts/${encodeURIComponent(host)}`;
}

function HostsPage(props: { readonly c: ConsoleContext; readonly hosts: readonly HostOverview[] }) {
  const { c, hosts } = props;
  const { config, clock } = c.var.deps;
  const tz = config.timeZone;
  const now = clock.now();
  return (
    <ConsoleLayout title={s.title} c={c}>
      <p>{s.intro}</p>
      {hosts.length === 0 ? (
        <p>{s.none}</p>
      ) : (
        <ScrollTable captionId="hosts-caption" caption={s.caption(tz)} cols={s.cols}>
          {hosts.map((h) => {
            const last = h.reports[0];
            return (
              <tr>
                <th scope="row">
                  <a href={hostHref(h.host)}>{h.host}</a>
                </th>
                <td>{s.appliedBy[h.appliedBy]}</td>
                <td>{h.targets.length === 0 ? s.noTargets : h.targets.join(', ')}</td>
                <td>{last === undefined ? (h.appliedBy === 'server' ? s.serverApplied(h.lastApplyRun, h.lastApplyRun === null ? '' : consoleTime(h.lastApplyRun.startedAt, tz)) : s.noReport) : s.reported(consoleTime(last.receivedAt, tz), elapsedWords(last.receivedAt, now))}</td>
                <td>{last === undefined ? s.revisionNone : `${short(h.revision.applied)} (${h.revision.current ? s.revisionCurrent : s.revisionBehind})`}</td>
                <td>{last === undefined ? s.revisionNone : s.result(last)}</td>
                <td class="num">{last === undefined ? s.revisionNone : last.drift}</td>
              </tr>
            );
          })}
        </ScrollTable>
      )}
    </ConsoleLayout>
  );
}

function Changes(props: { readonly id: string; readonly caption: string; readonly changes: readonly ReportedChange[]; readonly withError: boolean }) {
  const cols = props.withError ? s.changeCols : s.changeCols.slice(0, -1);
  return (
    <ScrollTable captionId={`${props.id}-caption`} caption={props.caption} cols={cols}>
      {props.changes.map((x) => (
        <tr>
          <td>{x.target}</td>
          <td>{x.summary ?? x.action}</td>
          <td>{x.subject}</td>
          {props.withError ? <td>{x.error ?? ''}</td> : null}
        </tr>
      ))}
    </ScrollTable>
  );
}

function LastReport(props: { readonly report: ReportFacts; readonly tz: string; readonly now: Date }) {
  const { report: r, tz, now } = props;
  return (
    <section aria-labelledby="host-last">
      <h2 id="host-last">{s.lastHeading}</h2>
      <p>
        {s.reported(consoleTime(r.receivedAt, tz), elapsedWords(r.receivedAt, now))}: {s.result(r)}.
      </p>
      {r.error === null ? null : <Message kind="error">{`${r.error.code}: ${r.error.message}`}</Message>}
      {r.failures.length === 0 ? null : (
        <>
          <h3>{s.failuresHeading}</h3>
          <Changes id="host-failures" caption={s.failuresCaption(r.id, r.failures.length, r.failed)} changes={r.failures} withError={true} />
        </>
      )}
      {r.drift === 0 ? null : (
        <>
          <h3>{s.driftHeading}</h3>
          <p>{s.driftIntro}</p>
          <Changes id="host-drift" caption={s.driftCaption(r.id, r.drifted.length, r.drift)} changes={r.drifted} withError={false} />
        </>
      )}
    </section>
  );
}

function Reports(props: { readonly reports: readonly ReportFacts[]; readonly tz: string }) {
  const { reports, tz } = props;
  return (
    <section aria-labelledby="host-reports">
      <h2 id="host-reports">{s.reportsHeading}</h2>
      {reports.length === 0 ? (
        <p>{s.noReports}</p>
      ) : (
        <ScrollTable captionId="host-reports-caption" caption={s.reportsCaption(tz)} cols={s.reportCols} num={[5, 6, 7, 8]}>
          {reports.map((r) => (
            <tr>
              <td class="num">{r.id}</td>
              <td>{consoleTime(r.receivedAt, tz)}</td>
              <td>{r.actor}</td>
              <td>
                <code class="revision">{short(r.revision)}</code>
              </td>
              <td>{s.result(r)}</td>
              <td class="num">{r.applied}</td>
              <td class="num">{r.failed}</td>
              <td class="num">{r.skipped}</td>
              <td class="num">{r.drift}</td>
            </tr>
          ))}
        </ScrollTable>
      )}
    </section>
  );
}

function HostPage(props: { readonly c: ConsoleContext; readonly host: HostOverview }) {
  const { c, host: h } = props;
  const { config, clock } = c.var.deps;
  const tz = config.timeZone;
  const now = clock.now();
  const last = h.reports[0];
  return (
    <ConsoleLayout title={s.hostTitle(h.host)} c={c}>
      <p>
        <a href="/console/hosts">{s.back}</a>
      </p>
      <section aria-labelledby="host-facts">
        <h2 id="host-facts">{s.factsHeading}</h2>
        <dl class="facts">
          {h.description === null ? null : (
            <>
              <dt>{s.facts.description}</dt>
              <dd>{h.description}</dd>
            </>
          )}
          <dt>{s.facts.appliedBy}</dt>
          <dd>{s.appliedBy[h.appliedBy]}</dd>
          <dt>{s.facts.targets}</dt>
          <dd>{h.targets.length === 0 ? s.noTargets : h.targets.join(', ')}</dd>
        </dl>
      </section>
      {h.appliedBy === 'server' ? (
        <section aria-labelledby="host-apply">
          <h2 id="host-apply">{s.revisionHeading}</h2>
          <p>{s.serverNote}</p>
          <p>{h.lastApplyRun === null ? s.noApply : s.lastApply(h.lastApplyRun, `${consoleTime(h.lastApplyRun.startedAt, tz)} (${tz})`)}</p>
          <p>
            <a href="/console/jobs">{s.jobsLink}</a>
          </p>
        </section>
      ) : null}
      {h.appliedBy === 'agent' || last !== undefined ? (
        <section aria-labelledby="host-revision">
          <h2 id="host-revision">{h.appliedBy === 'server' ? s.reportsHeading : s.revisionHeading}</h2>
          <dl class="facts">
            <dt>{s.revisionFacts.desired}</dt>
            <dd>
              <code class="revision">{short(h.revision.desired)}</code>
            </dd>
            <dt>{s.revisionFacts.applied}</dt>
            <dd>
              <code class="revision">{short(h.revision.applied)}</code>
            </dd>
            <dt>{s.revisionFacts.since}</dt>
            <dd>{h.revision.appliedSince === null ? s.revisionNone : s.reported(consoleTime(h.revision.appliedSince, tz), elapsedWords(h.revision.appliedSince, now))}</dd>
          </dl>
          <p>{last === undefined ? s.revisionNever : h.revision.current ? s.revisionIsCurrent : s.revisionIsBehind(elapsedWords(last.receivedAt, now))}</p>
        </section>
      ) : null}
      {last === undefined ? null : <LastReport report={last} tz={tz} now={now} />}
      {h.appliedBy === 'agent' || last !== undefined ? <Reports reports={h.reports} tz={tz} /> : null}
    </ConsoleLayout>
  );
}

/**
 * Hosts in the console (issue 16 item 5): every host of roster.yaml with
 * who applies it, its targets, its agent's last report and whether the host
 * runs the revision the server hands out now (GET /console/hosts), and one
 * host's page with the drift and failures its last report names and its
 * recent reports (GET /console/hosts/:host). Read-only, for every role.
 */
export function mountHostsPage(console: Hono<ConsoleEnv>): void {
  console.get('/hosts', requireRole(READERS), async (c) => {
    const hosts = await hostOverviews(consoleAppContext(c));
    return c.html(<HostsPage c={c} hosts={hosts} />);
  });

  console.get('/hosts/:host', requireRole(READERS), async (c) => {
    const name = c.req.param('host');
    let host: HostOverview;
    try {
      host = await hostOverview(consoleAppContext(c), name, { reports: REPORTS });
    } catch (e) {
      if (!(e instanceof RosterError) || e.code !== 'not_found') throw e;
      return c.html(
        <ConsoleLayout title={s.notFoundTitle} c={c}>
          <Message kind="error">{s.notFound(name)}</Message>
          <p>
            <a href="/console/hosts">{s.back}</a>
          </p>
        </ConsoleLayout>,
        404,
      );
    }
    return c.html(<HostPage c={c} host={host} />);
  });
}
