import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { exampleConfig } from '../config/example-config.js';
import { loadConfig } from '../config/load-config.js';
import { RosterError } from '../domain/errors.js';
import { openStore } from '../store/open-store.js';
import { targetRegistry } from '../targets/registry.js';
import { formatTargetOrder, targetOrderView } from './target-order-view.js';
import { describeDatabase } from '../store/database-url.js';
import { databaseFor, loadCliConfig } from './cli-context.js';
import { globalsOf, outputFor } from './command-runner.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export function registerSetupCommands(program: Command): void {
  program
    .command('init')
    .description('write an example roster.yaml, an HMAC key and create the database')
    .option('--dir <dir>', 'where to put them', '.')
    .option('--force', 'overwrite an existing roster.yaml')
    .action(async (o: { dir: string; force?: boolean }, cmd: Command) => {
      const opts = globalsOf(cmd);
      const out = outputFor(opts);
      const dir = resolve(o.dir);
      const configPath = resolve(dir, 'roster.yaml');
      if ((await exists(configPath)) && o.force !== true) {
        throw new RosterError('conflict', `${configPath} already exists; pass --force to overwrite it`);
      }
      await mkdir(dir, { recursive: true });
      await writeFile(configPath, exampleConfig(), { mode: 0o644 });
      const loaded = await loadConfig(configPath, { targets: targetRegistry });
      if (!(await exists(loaded.hmacKeyPath))) {
        await writeFile(loaded.hmacKeyPath, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      }
      const db = databaseFor(opts, process.env, loaded);
      const store = await openStore(db);
      await store.close();
      out.print({ config: configPath, hmacKey: loaded.hmacKeyPath, database: describeDatabase(db) }, () =>
        [
          `wrote ${configPath}`,
          `HMAC key ${loaded.hmacKeyPath} (mode 0600; back it up: verification hashes depend on it)`,
          `database ${describeDatabase(db)} is ready`,
          '',
          'next: edit roster.yaml, check it with `roster config check`, then `roster person add …`',
        ].join('\n'),
      );
    });

  const config = program.command('config').description('roster.yaml');
  config
    .command('check')
    .description('validate roster.yaml and report every problem with file:line:column')
    .option('--targets', 'also list the targets in the order they are applied, with what each runs after, the services it stands for and the resource kinds it manages')
    .action(async (o: { targets?: boolean }, cmd: Command) => {
      const opts = globalsOf(cmd);
      const loaded = await loadCliConfig(opts, process.env);
      const c = loaded.config;
      const summary = { ok: true, path: loaded.path, types: Object.keys(c.types), hosts: Object.keys(c.hosts), sources: Object.keys(c.sources), timeZone: c.timeZone };
      const line = `${loaded.path}: ok (types ${Object.keys(c.types).join(', ')}; hosts ${Object.keys(c.hosts).join(', ') || '-'}; time zone ${c.timeZone})`;
      if (o.targets !== true) {
        outputFor(opts).print(summary, () => line);
        return;
      }
      const view = targetOrderView(targetRegistry, c.hosts);
      outputFor(opts).print({ ...summary, ...view }, () => [line, formatTargetOrder(view)].join('\n'));
    });
}
