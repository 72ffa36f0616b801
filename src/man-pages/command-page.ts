import type { EventEmitter } from 'node:events';
import type { Argument, Command, Help, Option } from 'commander';
import { roffArgument, roffBold, roffItalic, roffLiteral, roffText } from './roff.js';

/** What every page's .TH line carries besides its name. */
export interface PageHeader {
  /** YYYY-MM-DD: the date of the source, so a rebuild gives the same page. */
  readonly date: string;
  readonly version: string;
}

/** A page: its file name (roster-account.1) and roff source. */
export interface ManPage {
  readonly name: string;
  readonly section: 1 | 5;
  readonly text: string;
}

export const MANUAL = 'Roster Manual';

export function titleLine(name: string, section: number, header: PageHeader): string {
  return `.TH ${roffArgument(name.toUpperCase())} ${section} ${roffArgument(header.date)} ${roffArgument(`roster ${header.version}`)} ${roffArgument(MANUAL)}`;
}

/** The command's words from the program down: `roster account create`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The page a top-level command is described in: roster-account. */
export function pageName(command: Command): string {
  return commandPath(command).replace(/ /g, '-');
}

/** The NAME section's one line, what whatis(1) and apropos(1) show: the first paragraph of the summary. */
export function nameLine(name: string, summary: string): string {
  const first = summary.split(/\n\s*\n/)[0] ?? '';
  // Plain text before the dash: lexgrog(1), which reads this line for whatis, knows few escapes.
  return `${name.replace(/-/g, '\\-')} \\- ${roffText(first.replace(/\s+/g, ' '))}`;
}

/** The commands a reader can call: the implicit `help` command is left out (every group has one). */
export function subcommands(command: Command, help: Help = command.createHelp()): Command[] {
  return help.visibleCommands(command).filter((c) => command.commands.includes(c));
}

/**
 * A usage string as commander writes it ("[options] <username> [file...]")
 * in roff: placeholders in italics, the brackets and dots as they are.
 */
export function roffUsage(usage: string): string {
  return usage
    .split(' ')
    .filter((word) => word !== '')
    .map((word) => {
      const m = /^([[<])(.+?)(\.\.\.)?([\]>])$/.exec(word);
      if (m === null) return roffLiteral(word);
      const [, open = '', name = '', dots = ''] = m;
      // <x> is required and shown as an italic x; [x] is optional and keeps its brackets.
      return open === '<' ? `${roffItalic(name)}${dots}` : `[${roffItalic(name)}${dots}]`;
    })
    .join(' ');
}

/** An option's flags: "-V, --version" and "--root <dir>" with the flags bold and the value italic. */
export function roffFlags(flags: string): string {
  return flags
    .split(/(?<=,) |(?<![,|]) (?=[<[])/)
    .map((part) => {
      const value = /^([[<])(.+)([\]>])$/.exec(part);
      if (value !== null) return value[1] === '<' ? roffItalic(value[2] ?? '') : `[${roffItalic(value[2] ?? '')}]`;
      return roffBold(part);
    })
    .join(' ');
}

/** Text commander prints around a command's help (`addHelpText`), collected by replaying its help events. */
export function helpText(command: Command, position: 'before' | 'after'): string {
  let text = '';
  const context = { error: false, command, write: (s: string) => void (text += s) };
  const events = position === 'before' ? ['beforeAllHelp', 'beforeHelp'] : ['afterHelp', 'afterAllHelp'];
  // The "All" variants are set on an ancestor and apply to every command below it.
  const ancestors: Command[] = [];
  for (let c = command.parent; c !== null; c = c.parent) ancestors.push(c);
  for (const event of events) {
    const owners = event.endsWith('AllHelp') ? (position === 'before' ? [...ancestors].reverse() : ancestors) : [command];
    // A Command is an EventEmitter (addHelpText listens on it); its typings declare only on().
    for (const owner of owners) (owner as unknown as EventEmitter).emit(event, context);
  }
  return text.trim();
}

function optionEntry(help: Help, option: Option): string {
  const description = help.optionDescription(option);
  const required = option.mandatory ? ' (required)' : '';
  return `.TP\n${roffFlags(help.optionTerm(option))}\n${roffText(`${description}${required}`)}`;
}

function argumentEntry(help: Help, argument: Argument): string {
  return `.TP\n${roffItalic(help.argumentTerm(argument))}\n${roffText(help.argumentDescription(argument))}`;
}

/**
 * The option and argument entries of one command. Every command has
 * -h, --help; roster(1) lists it once rather than each page every time.
 */
export function optionEntries(command: Command, help: Help = command.createHelp(), { withHelp = false } = {}): string[] {
  const options = help.visibleOptions(command).filter((o) => withHelp || !isHelpOption(command, o));
  return [...help.visibleArguments(command).map((a) => argumentEntry(help, a)), ...options.map((o) => optionEntry(help, o))];
}

/** Commander's own -h, --help (not one of the command's options). */
export function isHelpOption(command: Command, option: Option): boolean {
  return !command.options.includes(option) && option.long === '--help';
}

function synopsisLine(command: Command): string {
  return `${roffBold(commandPath(command))} ${roffUsage(command.usage())}`.trimEnd();
}

/** Every command under `command` that runs something, depth first: the lines of a synopsis. */
function runnable(command: Command, help: Help): Command[] {
  const subs = subcommands(command, help);
  // A group with options or arguments of its own (roster audit) runs by itself as well.
  const itself = subs.length === 0 || command.options.length > 0 || command.registeredArguments.length > 0;
  return [...(itself ? [command] : []), ...subs.flatMap((c) => runnable(c, c.createHelp()))];
}

/** One subcommand's part of a group's page, and its own subcommands' below it. */
function subcommandSection(command: Command): string[] {
  const help = command.createHelp();
  const out = [`.SS ${roffArgument(commandPath(command))}`, synopsisLine(command), '.PP', roffText(help.commandDescription(command))];
  const before = helpText(command, 'before');
  if (before !== '') out.push('.PP', roffText(before));
  out.push(...optionEntries(command, help));
  const after = helpText(command, 'after');
  if (after !== '') out.push('.PP', roffText(after));
  for (const sub of subcommands(command, help)) out.push(...subcommandSection(sub));
  return out;
}

/**
 * roster-<command>(1): one page per top-level command, with its subcommands
 * (if any) as subsections, each with its usage, description, arguments and
 * options as `roster … --help` shows them.
 */
export function commandPage(command: Command, header: PageHeader): ManPage {
  const help = command.createHelp();
  const name = pageName(command);
  const program = command.parent ?? command;
  const subs = subcommands(command, help);
  const out = [
    titleLine(name, 1, header),
    '.SH NAME',
    nameLine(name, help.subcommandDescription(command)),
    '.SH SYNOPSIS',
    runnable(command, help)
      .map((c) => synopsisLine(c))
      .join('\n.br\n'),
    '.SH DESCRIPTION',
    roffText(help.commandDescription(command)),
  ];
  const before = helpText(command, 'before');
  if (before !== '') out.push('.PP', roffText(before));
  const after = helpText(command, 'after');
  if (after !== '') out.push('.PP', roffText(after));
  const own = optionEntries(command, help);
  if (own.length > 0) out.push('.SH OPTIONS', ...own);
  if (subs.length > 0) {
    out.push('.SH COMMANDS');
    for (const sub of subs) out.push(...subcommandSection(sub));
  }
  const globals = program.options.filter((o) => !o.hidden);
  if (globals.length > 0 && program !== command) {
    out.push(
      '.SH GLOBAL OPTIONS',
      roffText(`These options of ${program.name()} work before or after the command name; see ${program.name()}(1).`),
      ...globals.map((o) => optionEntry(program.createHelp(), o)),
    );
  }
  out.push('.SH SEE ALSO', `${roffBold(program.name())}(1), ${roffBold('roster.yaml')}(5)`);
  return { name, section: 1, text: `${out.join('\n')}\n` };
}
