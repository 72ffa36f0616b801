import type { Command } from 'commander';
import type { AppContext } from '../app/app-context.js';
import type { DeliveryDeps } from '../notify/deliver-outbox.js';
import { openSession } from './cli-context.js';
import { globalsOf, outputFor, type GlobalOptions, type Output } from './global-options.js';
import { deliverQueued, deliveryDeps, outboxMark } from './notify-delivery.js';

export { globalsOf, outputFor, type Output } from './global-options.js';

/** Opens the context for a command, runs it, and always closes the store. */
export async function withContext(command: Command, fn: (ctx: AppContext, out: Output, opts: GlobalOptions & Record<string, unknown>) => Promise<void>): Promise<void> {
  const opts = globalsOf(command);
  const { ctx, loaded } = await openSession(opts, process.env);
  try {
    const mark = opts.dryRun === true ? null : await outboxMark(ctx, loaded);
    await fn(ctx, outputFor(opts), opts);
    // Notices the command queued go out after its changes committed.
    await deliverQueued(ctx, loaded, mark);
  } finally {
    await ctx.store.close();
  }
}

/** Like withContext, with the configured delivery (transport and templates) for commands that send. */
export async function withDelivery(
  command: Command,
  fn: (ctx: AppContext, out: Output, opts: GlobalOptions & Record<string, unknown>, deps: DeliveryDeps) => Promise<void>,
): Promise<void> {
  const opts = globalsOf(command);
  const { ctx, loaded } = await openSession(opts, process.env);
  let deps: DeliveryDeps | undefined;
  try {
    deps = await deliveryDeps(loaded);
    await fn(ctx, outputFor(opts), opts, deps);
  } finally {
    deps?.mailer?.close();
    await ctx.store.close();
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  return line;
}
