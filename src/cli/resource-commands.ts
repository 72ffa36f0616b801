import type { Command } from 'commander';
import { addResource, listResources, removeResource, showResource, type ResourceView } from '../app/resources.js';
import { RosterError } from '../domain/errors.js';
import { targetRegistry } from '../targets/registry.js';
import { collect, withContext } from './command-runner.js';

function line(r: ResourceView): string {
  return `${String(r.id).padStart(4)}  ${r.user.padEnd(12)} ${r.kind.padEnd(10)} ${r.host.padEnd(12)} ${r.name}`;
}

function details(r: ResourceView): string {
  const settings = Object.entries(r.settings).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [`resource ${r.id}: ${r.kind} ${r.name} on ${r.host}`, `owner: ${r.user}`, `created: ${r.createdAt}`, `updated: ${r.updatedAt}`, ...(settings.length === 0 ? ['settings: none'] : ['settings:', ...settings])].join('\n');
}

/**
 * `--set key=value` pairs as settings: the value as text, or with `key:=value`
 * as JSON (a number, true/false, a list), as httpie writes typed fields. A
 * key given twice is a usage error rather than a silent overwrite.
 */
function settingsOf(pairs: readonly string[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const json = at > 0 && pair[at - 1] === ':';
    const key = at <= 0 ? '' : pair.slice(0, json ? at - 1 : at);
    if (key === '') throw new RosterError('usage', `--set "${pair}" must be key=value or key:=JSON`, [{ where: '--set', message: 'expected key=value' }]);
    if (Object.hasOwn(settings, key)) throw new RosterError('usage', `--set ${key} is given twice`, [{ where: `--set ${key}`, message: 'given twice' }]);
    const text = pair.slice(at + 1);
    if (!json) {
      settings[key] = text;
      continue;
    }
    try {
      settings[key] = JSON.parse(text) as unknown;
    } catch {
      throw new RosterError('usage', `--set ${key}:= needs a JSON value (a number, true, false, "text", [..]), got ${text}`, [{ where: `--set ${key}`, message: 'not JSON' }]);
    }
  }
  return settings;
}

function idOf(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw new RosterError('usage', `resource id "${id}" is not a number`, [{ where: 'id', message: 'expected a number' }]);
  return Number(id);
}

export function registerResourceCommands(program: Command): void {
  const resource = program.command('resource').description('resources accounts own on hosts (a database, a mailing list, a web site), managed by the target that declares their kind');

  resource
    .command('add <user>')
    .description("add a resource owned by the account USER; its kind must be managed by a target enabled on the host, and its settings accepted by the kind's schema")
    .requiredOption('--kind <kind>', 'the kind of resource (roster config check --targets lists the kinds each target manages)')
    .requiredOption('--name <name>', 'its name on the host: letters, digits, . _ -, starting with a letter or digit')
    .requiredOption('--host <host>', 'the host, as declared under hosts in roster.yaml')
    .option('--set <key=value>', 'one setting of the resource: key=value as text, key:=value as JSON (a number, true/false, a list); repeatable', collect, [])
    .action(async (user: string, o: { kind: string; name: string; host: string; set: string[] }, cmd: Command) => {
      const settings = settingsOf(o.set);
      await withContext(cmd, async (ctx, out) => {
        const r = await addResource(ctx, targetRegistry, { user, kind: o.kind, name: o.name, host: o.host, settings });
        out.print(r, () => `added resource ${r.id}: ${r.kind} ${r.name} on ${r.host}, owned by ${r.user}`);
      });
    });

  resource
    .command('list')
    .description('list resources in id order (with --json, as JSON)')
    .option('--user <user>', 'only those this account owns')
    .option('--kind <kind>', 'only those of this kind')
    .action(async (o: { user?: string; kind?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out) => {
        const list = await listResources(ctx.store.read, { user: o.user, kind: o.kind });
        out.print(list, () => list.map(line).join('\n') || 'no resources');
      });
    });

  resource
    .command('show <id>')
    .description('show one resource with its settings')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const n = idOf(id);
      await withContext(cmd, async (ctx, out) => {
        const r = await showResource(ctx.store.read, n);
        out.print(r, () => details(r));
      });
    });

  resource
    .command('remove <id>')
    .description('remove a resource: its target no longer manages it')
    .option('--dry-run', 'show what would be removed and change nothing')
    .action(async (id: string, o: { dryRun?: boolean }, cmd: Command) => {
      const n = idOf(id);
      await withContext(cmd, async (ctx, out) => {
        const dryRun = o.dryRun === true;
        const r = await removeResource(ctx, n, { dryRun });
        out.print({ ...r, dryRun }, () => `${dryRun ? 'would remove' : 'removed'} resource ${r.id}: ${r.kind} ${r.name} on ${r.host}, owned by ${r.user}`);
        if (dryRun) out.pending(true);
      });
    });
}
