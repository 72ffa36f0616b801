import * as z from 'zod';

// Imported first by the CLI entry, before any schema is built: a one-shot
// command validates a handful of documents once, and compiling every object
// schema to a function first (zod's JIT) costs it more than it saves. The
// long-running server keeps the JIT, and so does the worker a scheduled job
// runs in (serve-job), which may go over 100,000 members.
if (!process.argv.slice(2).some((a) => a === 'serve' || a === 'serve-job')) z.config({ jitless: true });
