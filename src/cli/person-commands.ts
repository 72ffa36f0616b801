import type { Command } from 'commander';
import { addPerson, personView, requirePerson } from '../app/people.js';
import { RosterError } from '../domain/errors.js';
import { collect, withContext } from './command-runner.js';

function pairs(list: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new RosterError('usage', `${flag} "${item}" must look like NAME=VALUE`, [{ where: flag, message: 'expected NAME=VALUE' }]);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

export function registerPersonCommands(program: Command): void {
  const person = program.command('person').description('people from roster sources, SCIM or the portal');

  person
    .command('add')
    .description('add a person by hand (source "manual")')
    .requiredOption('--id <id>', 'external id (record_uid)')
    .requiredOption('--first <name>', 'first name')
    .requiredOption('--last <name>', 'last name')
    .option('--role <role>', 'role such as STUDENT, STAFF, MEMBER (repeatable)', collect)
    .option('--class <class>', 'class roster entry (repeatable)', collect)
    .option('--campus <campus>', 'campus (repeatable)', collect)
    .option('--major <major>', 'major or school (repeatable)', collect)
    .option('--email <ROLE=ADDR>', 'e-mail address for a role (repeatable)', collect)
    .option('--verify <NAME=VALUE>', 'identity-verification attribute, stored only as an HMAC (repeatable)', collect)
    .option('--dry-run', 'show what would change and change nothing')
    .action(async (o: Record<string, string | string[] | boolean | undefined>, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const list = (k: string): string[] => (o[k] as string[] | undefined) ?? [];
        const p = await addPerson(ctx, {
          id: o.id as string,
          firstName: o.first as string,
          lastName: o.last as string,
          roles: list('role'),
          classes: list('class'),
          campuses: list('campus'),
          majors: list('major'),
          emails: pairs(list('email'), '--email'),
          verification: pairs(list('verify'), '--verify'),
        }, { dryRun: opts.dryRun === true });
        out.print(personView(p), () => `${opts.dryRun === true ? 'would add' : 'added'} person ${p.id} (${p.firstName} ${p.lastName})`);
        out.pending(true);
      });
    });

  person
    .command('show <id>')
    .description('show a person')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const p = await requirePerson(ctx.store.read, id);
        const accounts = await ctx.store.read.listAccounts({ personId: p.id, includePurged: true });
        const view = { ...personView(p), accounts: accounts.map((a) => a.username) };
        out.print(view, () =>
          [
            `id:        ${p.id}`,
            `source:    ${p.source}`,
            `name:      ${p.firstName} ${p.lastName}`,
            `roles:     ${p.roles.join(', ') || '-'}`,
            `classes:   ${p.classes.join(', ') || '-'}`,
            `campuses:  ${p.campuses.join(', ') || '-'}`,
            `majors:    ${p.majors.join(', ') || '-'}`,
            `emails:    ${Object.entries(p.emails).map(([r, a]) => `${r}=${a}`).join(', ') || '-'}`,
            `verified:  ${Object.keys(p.verification).join(', ') || '-'}`,
            `accounts:  ${view.accounts.join(', ') || '-'}`,
          ].join('\n'),
        );
      });
    });
}
