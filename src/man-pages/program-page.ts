import type { Command } from 'commander';
import { errorCatalogue } from '../domain/errors.js';
import { commandPath, type ManPage, nameLine, optionEntries, type PageHeader, pageName, roffUsage, subcommands, titleLine } from './command-page.js';
import { roffBold, roffText } from './roff.js';

/** EXIT STATUS from the error catalogue: each code with the errors that end with it. */
function exitStatus(): string[] {
  const byCode = new Map<number, string[]>();
  for (const { exit, title } of Object.values(errorCatalogue)) byCode.set(exit, [...(byCode.get(exit) ?? []), title.toLowerCase()]);
  const out = ['.SH EXIT STATUS', '.TP', roffBold('0'), roffText('success')];
  for (const [code, titles] of [...byCode].sort(([a], [b]) => a - b)) {
    out.push('.TP', roffBold(String(code)), roffText(titles.join('; ')));
  }
  return out;
}

/**
 * roster(1): the program's synopsis and global options, and every top-level
 * command with its subcommands and the page that describes them.
 */
export function programPage(program: Command, header: PageHeader): ManPage {
  const help = program.createHelp();
  const name = program.name();
  const out = [
    titleLine(name, 1, header),
    '.SH NAME',
    nameLine(name, help.commandDescription(program)),
    '.SH SYNOPSIS',
    `${roffBold(name)} ${roffUsage(program.usage())}`,
    '.SH DESCRIPTION',
    roffText(help.commandDescription(program)),
    '.PP',
    roffText(`Each command is described in its own page, named after it: ${name} account in ${name}-account(1). The configuration file is described in roster.yaml(5).`),
    '.SH OPTIONS',
    ...optionEntries(program, help, { withHelp: true }),
    '.SH COMMANDS',
  ];
  for (const command of subcommands(program, help)) {
    const subs = subcommands(command);
    out.push('.TP', `${roffBold(commandPath(command))} ${subs.length > 0 ? subs.map((s) => roffBold(s.name())).join(' | ') : roffUsage(command.usage())}`);
    out.push(`${roffText(command.createHelp().subcommandDescription(command))} (${roffBold(pageName(command))}(1))`);
  }
  out.push(...exitStatus());
  out.push('.SH SEE ALSO', [...subcommands(program, help).map((c) => `${roffBold(pageName(c))}(1)`), `${roffBold('roster.yaml')}(5)`].join(',\n'));
  return { name, section: 1, text: `${out.join('\n')}\n` };
}
