/**
 * One unix apply in its own process, for the crash test to SIGKILL:
 * argv = root, version (old|new), n. Prints `ready` once loaded, waits for a
 * line on stdin, then observes, plans and applies, and prints what it did.
 */
import { createInterface } from 'node:readline';
import { fixedClock } from '../src/domain/clock.js';
import { unixTarget } from '../src/targets/unix/unix-target.js';
import { crashDesired } from './unix-crash-desired.js';

const [root, version, n] = process.argv.slice(2);
if (root === undefined || (version !== 'old' && version !== 'new') || n === undefined) throw new Error('usage: unix-apply-driver ROOT old|new N');
const desired = crashDesired(version, Number(n));
const config = unixTarget.hostSettings.parse({});
const ctx = { root, host: 'crash', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const _ of lines) break;
const start = performance.now();
const observed = await unixTarget.observe(ctx, config, desired);
const plan = unixTarget.plan(desired, observed, config);
const results = await unixTarget.apply(ctx, config, plan, desired);
process.stdout.write(`${JSON.stringify({ changes: plan.length, failed: results.filter((r) => !r.ok).length, ms: performance.now() - start })}\n`);
process.exit(0);
