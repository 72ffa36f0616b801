// Bundles the compiled command (dist/cli/main.js) and its pure-JS dependencies
// into one file, dist/roster.mjs, the `roster` bin: every command starts by
// loading one module instead of several hundred (about half the start-up
// time). Native addons stay external and load from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/roster.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'koffi', 'pg-native'],
  // CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as rosterCreateRequire } from 'node:module'; const require = rosterCreateRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
});
