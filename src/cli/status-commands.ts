import type { Command } from 'commander';
import type { AppContext } from '../app/app-context.js';
import { wallTime } from '../app/notices.js';
import { clearComponentState, completeMaintenance, openIncident, resolveIncident, scheduleMaintenance, setComponentState, startMaintenance, updateIncident, type StatusChange } from '../app/status-events.js';
import { statusSnapshot, type StatusEventView } from '../app/status-snapshot.js';
import { COMPONENT_STATES, INCIDENT_IMPACTS, STATE_WORDS } from '../domain/component-state.js';
import { RosterError } from '../domain/errors.js';
import { targetRegistry } from '../targets/registry.js';
import { collect, withContext, type Output } from './command-runner.js';
import { parseNow } from './parse-now.js';

async function messageOf(text: string | undefined, what = 'MESSAGE'): Promise<string> {
  if (text !== '-') return text ?? '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const read = Buffer.concat(chunks).toString('utf8');
  if (read.trim() === '') throw new RosterError('usage', `${what} "-" reads the message from standard input, which was empty`, [{ where: what, message: 'empty standard input' }]);
  return read;
}

function eventId(text: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new RosterError('usage', `ID "${text}" is not an incident or maintenance number`, [{ where: 'ID', message: 'expected a number such as 3' }]);
  return Number(text);
}

function describeEvent(e: StatusEventView, tz: string): string {
  const what = e.kind === 'incident' ? `incident #${e.id} ${e.state} (${e.impact})` : `maintenance #${e.id} ${e.state.replace('_', ' ')}`;
  const window = e.scheduledStart !== null && e.scheduledEnd !== null ? `, ${wallTime(e.scheduledStart, tz)} to ${wallTime(e.scheduledEnd, tz)}` : '';
  return `${what}: ${e.title} [${e.components.join(', ')}]${window}`;
}

/** "will notify 212 members of host shell" (a plan), or what was queued. */
function memberLines(r: StatusChange, planned: boolean): string[] {
  if (r.members === null) return [];
  return r.members.map((m) => {
    const n = m.recipients.length;
    const none = m.unaddressed.length === 0 ? '' : ` (${m.unaddressed.length} more have no address on record)`;
    return `${planned ? 'will notify' : 'notified'} ${n} member${n === 1 ? '' : 's'} of host ${m.host}${none}`;
  });
}

/**
 * Runs a change that may tell the members of a host: with `--notify` and
 * without `--yes`, or with `--dry-run`, it is a plan — printed, nothing
 * stored or sent (as `roster announce --dry-run`).
 */
async function planOrDo(
  ctx: AppContext,
  out: Output,
  o: { readonly notify?: boolean; readonly yes?: boolean },
  dryRunFlag: boolean,
  verb: { readonly done: string; readonly would: string },
  run: (dryRun: boolean) => Promise<StatusChange>,
): Promise<void> {
  const planOnly = dryRunFlag || (o.notify === true && o.yes !== true);
  const r = await run(planOnly);
  const tz = ctx.config.timeZone;
  out.print({ ...r, dryRun: planOnly }, () =>
    [
      `${planOnly ? verb.would : verb.done} ${describeEvent(r.event, tz)}`,
      ...(r.subscribers === 0 ? [] : [`${planOnly ? 'would mail' : 'mailed'} ${r.subscribers} subscriber${r.subscribers === 1 ? '' : 's'} of the status page`]),
      ...memberLines(r, planOnly),
      ...(planOnly && !dryRunFlag ? ['nothing was changed: add --yes to do it and send the notices'] : []),
    ].join('\n'),
  );
  out.pending(planOnly);
}

interface WhereOptions {
  readonly host: string[];
  readonly component: string[];
}

/** `roster status …`: the public status page's incidents, maintenance and components (seed GlobeNet). */
export function registerStatusCommands(program: Command): void {
  const status = program.command('status').description('the public status page (/status): components, incidents, scheduled maintenance');
  const targets = targetRegistry;

  status
    .command('list')
    .description("every component's state and why, open incidents and maintenance in progress, scheduled and recent ones")
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const snap = await statusSnapshot(ctx, targets);
        const subscribers = await ctx.store.read.countStatusSubscribers();
        const tz = ctx.config.timeZone;
        out.print({ ...snap, subscribers }, () => {
          const width = Math.max(...snap.components.map((c) => c.id.length + (c.service === null ? 0 : 2)), 8);
          const lines = [`overall: ${STATE_WORDS[snap.overall]}`, ''];
          for (const c of snap.components) {
            const name = `${c.service === null ? '' : '  '}${c.id}`.padEnd(width);
            lines.push(`${name}  ${STATE_WORDS[c.state].padEnd(20)}${c.hidden ? ' (hidden)' : ''}`);
            for (const r of c.reasons) lines.push(`${' '.repeat(width + 4)}${r}`);
          }
          const section = (title: string, events: readonly StatusEventView[]): void => {
            if (events.length === 0) return;
            lines.push('', `${title}:`, ...events.map((e) => `  ${describeEvent(e, tz)}`));
          };
          section('open', snap.active);
          section('scheduled', snap.upcoming);
          section('ended recently', snap.recent.slice(0, 10));
          lines.push('', `subscribers: ${subscribers.confirmed} confirmed, ${subscribers.pending} waiting for their confirmation`);
          return lines.join('\n');
        });
      });
    });

  const incident = status.command('incident').description('incidents: open one, post updates, resolve it');
  incident
    .command('open <message>')
    .description('open an incident on hosts or components with its first message ("-" reads it from standard input); mailed to the page subscribers')
    .option('--host <host>', 'a host it affects, with its services (repeatable)', collect, [])
    .option('--component <id>', 'a component it affects: a host or a service of one, e.g. shell/login (repeatable)', collect, [])
    .requiredOption('--title <text>', 'one line shown on the page')
    .option('--impact <impact>', `${INCIDENT_IMPACTS.join(', ')} (degraded, partial outage, major outage)`, 'minor')
    .option('--notify', 'also tell the members with an account on the hosts (shown as a plan unless --yes)')
    .option('--yes', 'with --notify: do it and send')
    .option('--dry-run', 'show what would be done and change nothing')
    .action(async (text: string, o: WhereOptions & { title: string; impact: string; notify?: boolean; yes?: boolean }, cmd: Command) => {
      const message = await messageOf(text);
      await withContext(cmd, async (ctx, out, opts) => {
        await planOrDo(ctx, out, o, opts.dryRun === true, { done: 'opened', would: 'would open' }, (dryRun) =>
          openIncident(ctx, targets, { hosts: o.host, components: o.component, title: o.title, impact: o.impact, message, notifyMembers: o.notify === true }, { dryRun }),
        );
      });
    });
  incident
    .command('update <id> <message>')
    .description('post an update on an open incident, with its state now')
    .requiredOption('--state <state>', 'investigating, identified or monitoring')
    .option('--dry-run', 'show what would be done and change nothing')
    .action(async (id: string, text: string, o: { state: string }, cmd: Command) => {
      const n = eventId(id);
      const message = await messageOf(text);
      await withContext(cmd, async (ctx, out, opts) => {
        await planOrDo(ctx, out, {}, opts.dryRun === true, { done: 'updated', would: 'would update' }, (dryRun) => updateIncident(ctx, targets, n, { state: o.state, message }, { dryRun }));
      });
    });
  incident
    .command('resolve <id> <message>')
    .description('resolve an open incident with a last message')
    .option('--dry-run', 'show what would be done and change nothing')
    .action(async (id: string, text: string, _o: unknown, cmd: Command) => {
      const n = eventId(id);
      const message = await messageOf(text);
      await withContext(cmd, async (ctx, out, opts) => {
        await planOrDo(ctx, out, {}, opts.dryRun === true, { done: 'resolved', would: 'would resolve' }, (dryRun) => resolveIncident(ctx, targets, n, { message }, { dryRun }));
      });
    });

  const maintenance = status.command('maintenance').description('scheduled maintenance: announce a window, start it, complete it');
  maintenance
    .command('schedule <message>')
    .description('announce a maintenance window on hosts or components ("-" reads the message from standard input); mailed to the page subscribers')
    .option('--host <host>', 'a host it concerns, with its services (repeatable)', collect, [])
    .option('--component <id>', 'a component it concerns, e.g. shell/login (repeatable)', collect, [])
    .requiredOption('--title <text>', 'one line shown on the page')
    .requiredOption('--start <time>', 'when it begins: ISO 8601, e.g. 2026-03-05T20:00 (in timeZone) or 2026-03-05T19:00Z')
    .requiredOption('--end <time>', 'when it ends')
    .option('--notify', 'also tell the members with an account on the hosts (shown as a plan unless --yes)')
    .option('--yes', 'with --notify: do it and send')
    .option('--dry-run', 'show what would be done and change nothing')
    .action(async (text: string, o: WhereOptions & { title: string; start: string; end: string; notify?: boolean; yes?: boolean }, cmd: Command) => {
      const message = await messageOf(text);
      await withContext(cmd, async (ctx, out, opts) => {
        const start = parseNow(o.start, ctx.config.timeZone, '--start').toISOString();
        const end = parseNow(o.end, ctx.config.timeZone, '--end').toISOString();
        await planOrDo(ctx, out, o, opts.dryRun === true, { done: 'scheduled', would: 'would schedule' }, (dryRun) =>
          scheduleMaintenance(ctx, targets, { hosts: o.host, components: o.component, title: o.title, start, end, message, notifyMembers: o.notify === true }, { dryRun }),
        );
      });
    });
  for (const [name, verb, run] of [
    ['start', { done: 'started', would: 'would start' }, startMaintenance],
    ['complete', { done: 'completed', would: 'would complete' }, completeMaintenance],
  ] as const) {
    maintenance
      .command(`${name} <id> [message]`)
      .description(name === 'start' ? 'the maintenance begins: its components show under maintenance' : 'the maintenance is over')
      .option('--dry-run', 'show what would be done and change nothing')
      .action(async (id: string, text: string | undefined, _o: unknown, cmd: Command) => {
        const n = eventId(id);
        const message = text === undefined ? undefined : await messageOf(text);
        await withContext(cmd, async (ctx, out, opts) => {
          await planOrDo(ctx, out, {}, opts.dryRun === true, verb, (dryRun) => run(ctx, targets, n, message === undefined ? {} : { message }, { dryRun }));
        });
      });
  }

  const component = status.command('component').description("set a component's state by hand, or give it back to the agents");
  component
    .command('set <id>')
    .description('set the state of a component (a host, or a service of one: shell/login) until cleared')
    .requiredOption('--state <state>', COMPONENT_STATES.join(', '))
    .requiredOption('--note <text>', 'why (for admins: not shown on the page)')
    .option('--dry-run', 'show what would be done and change nothing')
    .action(async (id: string, o: { state: string; note: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const r = await setComponentState(ctx, targets, { component: id, state: o.state, note: o.note }, { dryRun });
        out.print({ ...r, dryRun }, () => `${dryRun ? 'would set' : 'set'} ${r.component} to ${o.state}: ${r.note}`);
        out.pending(true);
      });
    });
  component
    .command('clear <id>')
    .description("end a component's override: its state comes from the agents and the incidents again")
    .option('--dry-run', 'show what would be done and change nothing')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const cleared = await clearComponentState(ctx, targets, id, { dryRun });
        out.print({ component: id, cleared, dryRun }, () => (cleared ? `${dryRun ? 'would clear' : 'cleared'} the override of ${id}` : `${id} has no override`));
        out.pending(cleared);
      });
    });
}
