import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandPage, helpText, roffFlags, roffUsage } from './command-page.js';
import { programPage } from './program-page.js';
import { flatText, hasMan, renderMan } from './render-man.js';

const header = { date: '2026-01-02', version: '9.9.9' };

/** A program shaped like roster's: global options, a group with nested commands, a single command, help text. */
function sample(): Command {
  const program = new Command('tool').description('does things').version('9.9.9').option('--config <file>', 'the config file');
  const host = program.command('host').description('hosts: add and remove');
  host
    .command('add')
    .description('add a host')
    .argument('<name>', 'the host name')
    .argument('[aliases...]')
    .requiredOption('--role <role>', 'what it does')
    .addOption(new Option('--mode <mode>', 'how').choices(['fast', 'safe']).default('safe'))
    .option('--dry-run', 'change nothing')
    .addHelpText('after', 'Example: `tool host add web --role www`');
  const deep = host.command('disk').description('disks of a host');
  deep.command('wipe').description('wipe a disk').option('--yes-really', 'no questions');
  program.command('run').description('run once').argument('[job]').option('--at <time>', 'when');
  program.command('hidden', { hidden: true }).description('not for you');
  return program;
}

describe('roffUsage and roffFlags', () => {
  it('writes placeholders in italics, keeping optional brackets and variadic dots', () => {
    expect(roffUsage('[options] <name> [aliases...]')).toBe('[\\fI\\%options\\fR] \\fI\\%name\\fR [\\fI\\%aliases\\fR...]');
  });

  it('writes flags bold and their values italic', () => {
    expect(roffFlags('-V, --version')).toBe('\\fB\\%\\-V,\\fR \\fB\\%\\-\\-version\\fR');
    expect(roffFlags('--db <path|url>')).toBe('\\fB\\%\\-\\-db\\fR \\fI\\%path|url\\fR');
    expect(roffFlags('--level [n]')).toBe('\\fB\\%\\-\\-level\\fR [\\fI\\%n\\fR]');
  });
});

describe('helpText', () => {
  it('collects what addHelpText adds, from the command and the "All" texts of its ancestors', () => {
    const program = sample();
    program.addHelpText('afterAll', 'Report bugs to the list.');
    const add = program.commands[0]?.commands[0];
    expect(add?.name()).toBe('add');
    expect(helpText(add as Command, 'after')).toBe('Example: `tool host add web --role www`\nReport bugs to the list.');
    expect(helpText(add as Command, 'before')).toBe('');
  });
});

describe('commandPage', () => {
  it('names the page after the command and lists every runnable command in the synopsis', () => {
    const host = sample().commands[0] as Command;
    const page = commandPage(host, header);
    expect(page.name).toBe('tool-host');
    expect(page.text.split('\n')[0]).toBe('.TH "TOOL\\-HOST" 1 "2026\\-01\\-02" "roster 9.9.9" "Roster Manual"');
    const synopsis = /\.SH SYNOPSIS\n([\s\S]*?)\n\.SH/.exec(page.text)?.[1] ?? '';
    expect(synopsis.split('\n.br\n')).toEqual([
      '\\fB\\%tool host add\\fR [\\fI\\%options\\fR] \\fI\\%name\\fR [\\fI\\%aliases\\fR...]',
      '\\fB\\%tool host disk wipe\\fR [\\fI\\%options\\fR]',
    ]);
  });

  it('skips hidden commands and the implicit help command', () => {
    const program = sample();
    expect(programPage(program, header).text).not.toContain('hidden');
    expect(commandPage(program.commands[0] as Command, header).text).not.toMatch(/tool host help/);
  });
});

describe.skipIf(!hasMan())('pages as man(1) shows them', () => {
  it('renders a group page without warnings, with every command, argument, option, default, choice and help text', () => {
    const { text, warnings } = renderMan(commandPage(sample().commands[0] as Command, header).text);
    expect(warnings).toBe('');
    const flat = flatText(text);
    expect(flat).toContain('tool-host - hosts: add and remove');
    for (const s of ['tool host add [options] name [aliases...]', 'tool host disk wipe [options]', 'wipe a disk', '--yes-really no questions']) expect(flat).toContain(s);
    expect(flat).toContain('--role role what it does (required)');
    expect(flat).toContain('--mode mode how (choices: "fast", "safe", default: "safe")');
    expect(flat).toContain('name the host name');
    expect(flat).toContain('Example: tool host add web --role www');
    // Global options are repeated where they also work.
    expect(flat).toContain('GLOBAL OPTIONS');
    expect(flat).toContain('--config file the config file');
    expect(flat).not.toContain('--help');
  });

  it('renders the program page with every command and its page, the options and exit codes', () => {
    const { text, warnings } = renderMan(programPage(sample(), header).text);
    expect(warnings).toBe('');
    const flat = flatText(text);
    expect(flat).toContain('tool - does things');
    expect(flat).toContain('tool host add | disk hosts: add and remove (tool-host(1))');
    expect(flat).toContain('tool run [options] [job] run once (tool-run(1))');
    expect(flat).toContain('-h, --help');
    expect(flat).toMatch(/78 invalid configuration/);
  });
});
