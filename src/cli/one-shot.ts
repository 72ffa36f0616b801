import * as z from 'zod';

// Imported first by the CLI entry, before any schema is built: a one-shot
// command validates a handful of documents once, and compiling every object
// schema to a function first (zod's JIT) costs it more than it saves. The
// long-running server keeps the JIT.
if (!process.argv.slice(2).includes('serve')) z.config({ jitless: true });
