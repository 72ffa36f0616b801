import type { Command } from 'commander';
import { createServer } from '../server/create-server.js';
import { startServer } from '../server/start-server.js';
import { describeDatabase } from '../store/database-url.js';
import { databaseFor, openSession } from './cli-context.js';
import { globalsOf } from './command-runner.js';

/** Waits for SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP server: REST API under /api/v1 (OpenAPI at /api/v1/openapi.json) and SCIM 2.0 under /scim/v2')
    .option('--listen <host:port>', 'address to listen on (default: server.listen in roster.yaml, 127.0.0.1:8080); port 0 picks a free one')
    .action(async (o: { listen?: string }, cmd: Command) => {
      const opts = globalsOf(cmd);
      const { ctx, loaded } = await openSession(opts, process.env);
      const { actor: _cli, ...deps } = ctx;
      try {
        const { app } = createServer(deps);
        const running = await startServer(app, o.listen ?? ctx.config.server.listen);
        // stdout: where to look (the first line is for scripts that wait for it); logs go to stderr.
        process.stdout.write(
          [
            `listening on ${running.url}`,
            `  API      ${running.url}/api/v1`,
            `  OpenAPI  ${running.url}/api/v1/openapi.json`,
            `  SCIM     ${running.url}/scim/v2`,
            `  config   ${loaded.path}`,
            `  database ${describeDatabase(databaseFor(opts, process.env, loaded))}`,
            '  tokens   roster token create --role admin|operator|auditor|scim|agent [--host H]',
            '',
          ].join('\n'),
        );
        const signal = await untilSignal();
        process.stderr.write(`roster serve: ${signal}, stopping\n`);
        await running.close();
      } finally {
        await ctx.store.close();
      }
    });
}
