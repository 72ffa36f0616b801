// Bundles the compiled command (dist/cli/main.js) and its pure-JS
// dependencies into one CommonJS file, dist/roster.cjs, and puts the launcher
// (dist/cli/launcher.js) in front of it as dist/roster.mjs, the `roster` bin,
// which runs the bundle through a V8 code cache (see src/cli/launcher.ts).
// Native addons stay external and load from node_modules. Then one
// representative command (plan on the example host) leaves a warm cache.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

await rm('dist/chunks', { recursive: true, force: true });
await rm('dist/roster.cjs.cache', { force: true });
await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/roster.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['better-sqlite3', 'koffi', 'pg-native'],
  legalComments: 'linked',
  logLevel: 'warning',
});
// The bundle is run through vm.Script (CommonJS wrapper), where a shebang line is not allowed.
const bundled = await readFile('dist/roster.cjs', 'utf8');
if (bundled.startsWith('#!')) await writeFile('dist/roster.cjs', `//${bundled.slice(2)}`);
// The launcher reads the bundle as latin1 (three times faster than UTF-8):
// code must be ASCII (esbuild escapes strings; write regular expressions with
// \u escapes), only comments may hold other characters.
const code = bundled.split('\n').filter((line) => /[^\x00-\x7f]/.test(line) && !/^\s*(\/\/|\*|\/\*)/.test(line));
if (code.length > 0) throw new Error(`dist/roster.cjs has non-ASCII code (write it with \\u escapes):\n${code.slice(0, 5).join('\n')}`);
await writeFile('dist/roster.mjs', `#!/usr/bin/env node\n${await readFile('dist/cli/launcher.js', 'utf8')}`);
await chmod('dist/roster.mjs', 0o755);

const dir = await mkdtemp(join(tmpdir(), 'roster-warm-'));
try {
  const roster = (args, env = {}) => execFileSync(process.execPath, ['dist/roster.mjs', '--config', join(dir, 'roster.yaml'), ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  roster(['init', '--dir', dir], { ROSTER_CODE_CACHE: '0' });
  const yaml = await readFile(join(dir, 'roster.yaml'), 'utf8');
  // Kernel quotas need a quota-enabled filesystem; the btrfs backend has nothing to do without quotas in the types.
  await writeFile(join(dir, 'roster.yaml'), yaml.replace(/^( +)backend: setquota$/m, '$1backend: btrfs'));
  await mkdir(join(dir, 'root'));
  roster(['plan', '--host', 'shell', '--root', join(dir, 'root')]);
} catch (e) {
  process.stderr.write(`warning: no warm code cache (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); the first command writes one\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
