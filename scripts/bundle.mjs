// Bundles the compiled command (dist/cli/main.js) and its pure-JS dependencies
// into dist/roster.mjs, the `roster` bin, plus chunks in dist/chunks/ for
// what only some commands load (the server, the jobs, mail, PostgreSQL,
// CSV): every command starts by compiling one file of what it needs instead
// of several hundred modules. Native addons stay external and load from
// node_modules.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { roster: 'dist/cli/main.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'koffi', 'pg-native'],
  // CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as rosterCreateRequire } from 'node:module'; const require = rosterCreateRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
});
