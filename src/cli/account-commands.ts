import type { Command } from 'commander';
import type { AppContext } from '../app/app-context.js';
import { accountView, type AccountView } from '../app/account-view.js';
import { applyHost } from '../app/apply-host.js';
import { createAccount, modifyAccount, requireAccount, setPassword, suggestUsernames } from '../app/accounts.js';
import { freezeAccount, reactivateAccount, retireAccount, unfreezeAccount, type LifecycleResult } from '../app/lifecycle-actions.js';
import { RosterError } from '../domain/errors.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { targetRegistry } from '../targets/registry.js';
import { collect, readStdinLine, withContext, type Output } from './command-runner.js';
import { hostApplyView } from './host-apply-view.js';

const STATES = ['pending', 'active', 'disabled', 'purged'] as const;

function describe(v: AccountView): string {
  return [
    `username:  ${v.username}`,
    `uid/gid:   ${v.uid}/${v.gid}`,
    `type:      ${v.type}`,
    `person:    ${v.personId}`,
    `state:     ${v.state}`,
    `holds:     ${v.holds.map((h) => `${h.kind}:${h.reason} since ${h.since}${h.note === null ? '' : ` (${h.note})`}`).join('; ') || '-'}`,
    `expires:   ${v.expiresAt ?? '-'}`,
    `purge at:  ${v.purgeAt ?? '-'}`,
    ...(v.purgedAt === null ? [] : [`purged:    ${v.purgedAt}`]),
    `gecos:     ${v.gecos}`,
    `home:      ${v.home}`,
    `shell:     ${v.shell}`,
    `groups:    ${[v.primaryGroup, ...v.groups].join(', ')}`,
    // A Kerberos account's password is the KDC's; Roster never holds it.
    v.principal === null ? `password:  ${v.passwordSet ? 'set' : 'not set'}` : `password:  in Kerberos (principal ${v.principal})`,
  ].join('\n');
}

/** Parses a whole number of days; anything else is bad input naming the flag. */
function days(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new RosterError('bad_input', `${flag} "${text}" must be a whole number of days (0 or more)`, [{ where: flag, message: 'expected a non-negative integer' }]);
  return Number(text);
}

interface ApplyNow {
  readonly apply?: string;
  readonly root: string;
}

/** `--apply HOST [--root DIR]`: after the change, bring that host up to date for this account. */
function withApplyOption(c: Command): Command {
  return c
    .option('--apply <host>', 'then apply the change to this host (roster.yaml hosts), for this account only, as roster apply --account does')
    .option('--root <dir>', 'with --apply: the root prefix the host lives under, like useradd -R', '/');
}

/**
 * Prints the account after a change and, with `--apply HOST`, applies that
 * host for this account right away (DESIGN.md §1: the change is committed
 * and audited first; the host follows).
 */
async function report(ctx: AppContext, out: Output, dryRun: boolean, verb: string, r: LifecycleResult, now: ApplyNow = { root: '/' }): Promise<void> {
  const view = accountView(r.account, ctx.clock.now());
  const applied = now.apply === undefined ? undefined : hostApplyView(await applyHost(ctx, targetRegistry, { host: now.apply, root: now.root, accounts: [view.username] }));
  if (applied !== undefined && applied.exitCode !== null) process.exitCode = applied.exitCode;
  out.print({ ...view, changed: r.changed, dryRun, ...(applied === undefined ? {} : { apply: applied.json }) }, () => {
    const head = r.changed ? `${dryRun ? 'would have ' : ''}${verb} ${view.username}` : `${view.username}: nothing to do`;
    return [head, describe(view), ...(applied === undefined ? [] : [applied.text])].join('\n');
  });
  out.pending(r.changed);
}

/**
 * Checked before the change, so a bad `--apply` or `--root` changes nothing:
 * --apply changes a host, so it cannot go with --dry-run, and must name a
 * host of roster.yaml; --root means nothing without it and must be a directory.
 */
async function checkApply(ctx: AppContext, o: ApplyNow, dryRun: boolean): Promise<void> {
  if (o.apply === undefined) {
    if (o.root !== '/') throw new RosterError('usage', '--root is the root of the host named by --apply; give --apply HOST too', [{ where: '--root', message: 'needs --apply' }]);
    return;
  }
  if (dryRun) throw new RosterError('usage', '--apply cannot be combined with --dry-run (roster plan --host H --account U shows what would change)', [{ where: '--apply', message: 'not with --dry-run' }]);
  if (!Object.hasOwn(ctx.config.hosts, o.apply)) {
    const known = Object.keys(ctx.config.hosts).join(', ') || 'none';
    throw new RosterError('not_found', `--apply: no host "${o.apply}" in roster.yaml (declared: ${known}); nothing was changed`, [{ where: '--apply', message: 'unknown host' }]);
  }
  await resolveRoot(o.root);
}

/** `roster account …`; returns the `account` command, which other modules add subcommands to (restore). */
export function registerAccountCommands(program: Command): Command {
  const account = program.command('account').description('accounts: create, show, change and retire');

  account
    .command('suggest <personId>')
    .description('suggest 8 free usernames for a person, made from their names, best first')
    .requiredOption('--type <type>', 'account type')
    .action(async (personId: string, o: { type: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const names = await suggestUsernames(ctx, personId, o.type);
        out.print(names, () => names.join('\n'));
      });
    });

  account
    .command('create <personId>')
    .description('create an account of a type for a person')
    .requiredOption('--type <type>', 'account type')
    .option('--username <name>', 'username (default: the person\'s reserved name or the first suggestion)')
    .option('--password-stdin', 'read the initial password from standard input')
    .option('--skip-eligibility', 'create even if the person is not eligible (audited)')
    .option('--pending', 'create as pending until approved')
    .option('--dry-run', 'show what would change and change nothing')
    .action(async (personId: string, o: { type: string; username?: string; passwordStdin?: boolean; skipEligibility?: boolean; pending?: boolean }, cmd: Command) => {
      const password = o.passwordStdin === true ? await readStdinLine() : undefined;
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const a = await createAccount(ctx, { personId, type: o.type, username: o.username, password, skipEligibility: o.skipEligibility, pending: o.pending }, { dryRun });
        const view = accountView(a, ctx.clock.now());
        out.print({ ...view, dryRun }, () => `${dryRun ? 'would create' : 'created'} ${view.username} (uid ${view.uid}, type ${view.type})`);
        out.pending(true);
      });
    });

  account
    .command('show <username>')
    .description('show an account')
    .action(async (username: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const view = accountView(await requireAccount(ctx.store.read, username), ctx.clock.now());
        out.print(view, () => describe(view));
      });
    });

  account
    .command('list')
    .description('list accounts')
    .option('--state <state>', `only accounts in this state (${STATES.join(', ')})`)
    .option('--type <type>', 'only accounts of this type')
    .action(async (o: { state?: string; type?: string }, cmd: Command) => {
      if (o.state !== undefined && !(STATES as readonly string[]).includes(o.state)) {
        throw new RosterError('usage', `--state "${o.state}" is not one of ${STATES.join(', ')}`, [{ where: '--state', message: 'unknown state' }]);
      }
      await withContext(cmd, async (ctx, out) => {
        if (o.type !== undefined && ctx.config.types[o.type] === undefined) throw new RosterError('not_found', `no account type "${o.type}"`);
        const now = ctx.clock.now();
        const views: AccountView[] = [];
        let afterId = 0;
        for (;;) {
          const page = await ctx.store.read.listAccounts({ afterId, limit: 1000, includePurged: o.state === 'purged', ...(o.type === undefined ? {} : { type: o.type }) });
          for (const a of page) {
            const v = accountView(a, now);
            if (o.state === undefined || v.state === o.state) views.push(v);
          }
          const last = page.at(-1);
          if (last === undefined) break;
          afterId = last.id;
        }
        out.print(views, () =>
          views.map((v) => `${v.username.padEnd(16)} ${String(v.uid).padStart(7)}  ${v.type.padEnd(10)} ${v.state.padEnd(9)} ${v.personId}`).join('\n'),
        );
      });
    });

  withApplyOption(account
    .command('modify <username>')
    .description('change shell, GECOS or group memberships')
    .option('--shell <shell>', 'login shell')
    .option('--gecos <gecos>', 'GECOS (full name)')
    .option('--add-group <group>', 'add a supplementary group (repeatable)', collect)
    .option('--remove-group <group>', 'remove a supplementary group (repeatable)', collect)
    .option('--dry-run', 'show what would change and change nothing'))
    .action(async (username: string, o: ApplyNow & { shell?: string; gecos?: string; addGroup?: string[]; removeGroup?: string[] }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        await checkApply(ctx, o, dryRun);
        const r = await modifyAccount(ctx, username, { shell: o.shell, gecos: o.gecos, addGroups: o.addGroup ?? [], removeGroups: o.removeGroup ?? [] }, { dryRun });
        await report(ctx, out, dryRun, 'modified', r, o);
      });
    });

  account
    .command('passwd <username>')
    .description('set the password (read from standard input)')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .option('--dry-run', 'check the password and change nothing')
    .action(async (username: string, _o: unknown, cmd: Command) => {
      const password = await readStdinLine();
      await withContext(cmd, async (_ctx, out, opts) => {
        await setPassword(_ctx, username, password, { dryRun: opts.dryRun === true });
        out.print({ username, changed: true, dryRun: opts.dryRun === true }, () => `${opts.dryRun === true ? 'would set' : 'set'} the password of ${username}`);
        out.pending(true);
      });
    });

  withApplyOption(account
    .command('freeze <username>')
    .description('add a freeze hold (reversible; mail and portal keep working)')
    .requiredOption('--reason <reason>', 'billing, admin, security or another word')
    .option('--note <text>', 'why, for the audit log and the member')
    .option('--dry-run', 'show what would change and change nothing'))
    .action(async (username: string, o: ApplyNow & { reason: string; note?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        await checkApply(ctx, o, opts.dryRun === true);
        await report(ctx, out, opts.dryRun === true, 'froze', await freezeAccount(ctx, username, { reason: o.reason, note: o.note }, { dryRun: opts.dryRun === true }), o);
      });
    });

  withApplyOption(account
    .command('unfreeze <username>')
    .description('lift the freeze hold with this reason (other holds stay)')
    .requiredOption('--reason <reason>', 'the reason of the hold to lift')
    .option('--dry-run', 'show what would change and change nothing'))
    .action(async (username: string, o: ApplyNow & { reason: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        await checkApply(ctx, o, opts.dryRun === true);
        await report(ctx, out, opts.dryRun === true, 'unfroze', await unfreezeAccount(ctx, username, { reason: o.reason }, { dryRun: opts.dryRun === true }), o);
      });
    });

  withApplyOption(account
    .command('retire <username>')
    .description('retire with grace periods: deactivate after D days, delete after P days')
    .option('--deactivate-after <days>', 'deactivation grace D (default: the type\'s)')
    .option('--delete-after <days>', 'deletion grace P (default: the type\'s); 0 purges now')
    .option('--dry-run', 'show what would change and change nothing'))
    .action(async (username: string, o: ApplyNow & { deactivateAfter?: string; deleteAfter?: string }, cmd: Command) => {
      const input = { deactivateAfter: days(o.deactivateAfter, '--deactivate-after'), deleteAfter: days(o.deleteAfter, '--delete-after') };
      await withContext(cmd, async (ctx, out, opts) => {
        await checkApply(ctx, o, opts.dryRun === true);
        const r = await retireAccount(ctx, username, input, { dryRun: opts.dryRun === true });
        await report(ctx, out, opts.dryRun === true, r.purged === true ? 'purged' : 'retired', r, o);
      });
    });

  withApplyOption(account
    .command('reactivate <username>')
    .description('lift the retired hold and clear the expiry and purge dates (freezes stay)')
    .option('--dry-run', 'show what would change and change nothing'))
    .action(async (username: string, o: ApplyNow, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        await checkApply(ctx, o, opts.dryRun === true);
        await report(ctx, out, opts.dryRun === true, 'reactivated', await reactivateAccount(ctx, username, { dryRun: opts.dryRun === true }), o);
      });
    });
  return account;
}
