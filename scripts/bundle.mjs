// Bundles the compiled command (dist/cli/main.js) and its pure-JS
// dependencies into one CommonJS file, dist/roster.cjs, and puts the launcher
// (dist/cli/launcher.js) in front of it as dist/roster.mjs, the `roster` bin,
// which runs the bundle through a V8 code cache (see src/cli/launcher.ts).
// Native addons stay external and load from node_modules (better-sqlite3's
// JavaScript is bundled; only its .node object is loaded from there). Then a
// representative command (a freeze applied to the example host) leaves a
// warm cache.
//
// The same code is bundled a second time from src/cli/snapshot-entry.ts into
// dist/roster-snapshot.cjs, from which contrib/bin/make-snapshot builds the
// V8 startup snapshot dist/roster.blob with this node; dist/roster is the
// wrapper (contrib/bin/roster) that runs a command from it.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

await rm('dist/chunks', { recursive: true, force: true });
await rm('dist/vendor', { recursive: true, force: true });
await rm('dist/roster.cjs.cache', { force: true });
await rm('dist/roster.blob.node', { force: true });
await rm('dist/roster.blob', { force: true });
// Libraries only some commands load (a MariaDB or PostgreSQL connection, mail,
// SCIM) each go into a file of their own under dist/vendor, required when first
// used: every command reads, decodes and compiles the whole bundle it starts
// with, and these were more than half of it.
const VENDOR = ['mariadb', 'nodemailer', 'scimmy', 'pg', 'prom-client', 'csv-parse'];
const vendorFiles = {
  name: 'vendor',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (a) => ({ path: `./vendor/${a.path}.cjs`, external: true }));
  },
};
// better-sqlite3's JavaScript is bundled (compiled into the code cache and
// evaluated in the snapshot, not read from node_modules by every command);
// only its native object is required from node_modules, by its path rather
// than through the \`bindings\` package, which searches a dozen paths for it.
const SQLITE_ADDON = 'better-sqlite3/build/Release/better_sqlite3.node';
const sqliteAddon = (requireAddon) => ({
  name: 'sqlite-addon',
  setup(b) {
    b.onResolve({ filter: /^bindings$/ }, (a) => ({ path: a.path, namespace: 'sqlite-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'sqlite-addon' }, () => ({
      contents: `module.exports = (name) => { if (name !== 'better_sqlite3.node') throw new Error('bindings: ' + name); return ${requireAddon}; };`,
      loader: 'js',
      resolveDir: process.cwd(),
    }));
    b.onResolve({ filter: /\.node$/ }, (a) => ({ path: a.path, external: true }));
  },
});
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['koffi', 'pg-native'],
  // Names stay (errors and stack traces keep them); only layout and comments go, a third of the bytes.
  minifyWhitespace: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  // The launcher runs the bundle through vm.Script, which has no import():
  // dynamic imports of the vendor files become require() (still on first use).
  supported: { 'dynamic-import': false },
};
const metafiles = [(await build({ ...common, entryPoints: ['dist/cli/main.js'], outfile: 'dist/roster.cjs', plugins: [vendorFiles, sqliteAddon(`require(${JSON.stringify(SQLITE_ADDON)})`)] })).metafile];
for (const name of VENDOR) {
  const stdin = { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: process.cwd(), loader: 'js' };
  metafiles.push((await build({ ...common, stdin, outfile: `dist/vendor/${name}.cjs` })).metafile);
}
// The packages bundled into dist/ (the Debian package's copyright file lists them with their licences).
const bundledPackages = new Set();
for (const meta of metafiles) {
  for (const input of Object.keys(meta.inputs)) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m !== null) bundledPackages.add(`node_modules/${m[1]}`);
  }
}
await writeFile('dist/bundled-packages.txt', `${[...bundledPackages].sort().join('\n')}\n`);
// The bundle is run through vm.Script (CommonJS wrapper), where a shebang line is not allowed.
const bundled = await readFile('dist/roster.cjs', 'utf8');
if (bundled.startsWith('#!')) await writeFile('dist/roster.cjs', `//${bundled.slice(2)}`);
// The launcher reads the bundle as latin1 (three times faster than UTF-8):
// code must be ASCII (esbuild escapes strings; write regular expressions with
// \u escapes), only comments may hold other characters.
const code = bundled.split('\n').filter((line) => /[^\x00-\x7f]/.test(line) && !/^\s*(\/\/|\*|\/\*)/.test(line));
if (code.length > 0) throw new Error(`dist/roster.cjs has non-ASCII code (write it with \\u escapes):\n${code.slice(0, 5).join('\n')}`);
// vm.Script has no import(): a dynamic import left in the bundle fails when reached.
const dynamicImport = /\bimport\(\s*["'`]/.exec(bundled);
if (dynamicImport !== null) throw new Error(`dist/roster.cjs has a dynamic import, which the launcher's vm.Script cannot run: ${bundled.slice(dynamicImport.index, dynamicImport.index + 80)}`);
await writeFile('dist/roster.mjs', `#!/usr/bin/env node\n${await readFile('dist/cli/launcher.js', 'utf8')}`);
await chmod('dist/roster.mjs', 0o755);

// The snapshot's bundle. While a snapshot is built only some of Node's own
// modules can be loaded (the list in Node 20's lib/internal/main/mksnapshot.js)
// and no file: the others, the native addons and dist/vendor load when first
// used, through src/cli/snapshot-require.ts, once the snapshot's main
// function has set the real require.
const SNAPSHOT_BUILTINS = new Set(['_stream_duplex', '_stream_passthrough', '_stream_readable', '_stream_transform', '_stream_wrap', '_stream_writable', 'assert', 'assert/strict', 'buffer', 'console', 'constants', 'crypto', 'diagnostics_channel', 'dns', 'events', 'fs', 'fs/promises', 'net', 'os', 'path', 'path/posix', 'path/win32', 'process', 'punycode', 'querystring', 'stream', 'stream/promises', 'string_decoder', 'sys', 'timers', 'timers/promises', 'url', 'util', 'util/types', 'v8', 'zlib']);
const lazyBuiltins = builtinModules.filter((m) => !SNAPSHOT_BUILTINS.has(m));
const snapshotRequire = JSON.stringify(resolve('dist/cli/snapshot-require.js'));
const loadLater = (expression) => ({ contents: `module.exports = require(${snapshotRequire}).${expression};`, loader: 'js', resolveDir: process.cwd() });
const requireHere = createRequire(import.meta.url);
const snapshotExternals = {
  name: 'snapshot-externals',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (a) => ({ path: `./vendor/${a.path}.cjs`, namespace: 'vendor' }));
    b.onResolve({ filter: new RegExp(`^(${common.external.join('|')})$`) }, (a) => ({ path: a.path, namespace: 'addon' }));
    b.onResolve({ filter: new RegExp(`^(node:)?(${lazyBuiltins.map((m) => m.replace('/', '\\/')).join('|')})$`) }, (a) => ({ path: `node:${a.path.replace(/^node:/, '')}`, namespace: 'builtin' }));
    // Required where the code loads them today (on first use): the real require, then.
    b.onLoad({ filter: /.*/, namespace: 'vendor' }, (a) => loadLater(`runtimeRequire(${JSON.stringify(a.path)})`));
    b.onLoad({ filter: /.*/, namespace: 'addon' }, (a) => loadLater(`lazyModule(${JSON.stringify(a.path)})`));
    // Their export names, so that a namespace import copies them without loading the module.
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (a) => loadLater(`lazyModule(${JSON.stringify(a.path)}, ${JSON.stringify(Object.keys(requireHere(a.path)))})`));
  },
};
await build({ ...common, metafile: false, legalComments: 'none', external: [], entryPoints: ['dist/cli/snapshot-entry.js'], outfile: 'dist/roster-snapshot.cjs', plugins: [snapshotExternals, sqliteAddon(`require(${snapshotRequire}).runtimeRequire(${JSON.stringify(SQLITE_ADDON)})`)] });
execFileSync('contrib/bin/make-snapshot', [process.execPath, 'dist/roster-snapshot.cjs', 'dist/roster.blob'], { stdio: 'inherit' });
const wrapper = await readFile('contrib/bin/roster', 'utf8');
const quote = (path) => `'${path.replace(/'/g, "'\\''")}'`;
await writeFile('dist/roster', wrapper.replace('@LIB@', () => '"${0%/*}"').replace('@BLOB@', () => '"$lib/roster.blob"').replace('@NODE@', () => quote(process.execPath)));
await chmod('dist/roster', 0o755);

const dir = await mkdtemp(join(tmpdir(), 'roster-warm-'));
try {
  const roster = (args, env = { ROSTER_CODE_CACHE: '0' }) => execFileSync(process.execPath, ['dist/roster.mjs', '--config', join(dir, 'roster.yaml'), ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  roster(['init', '--dir', dir]);
  const yaml = await readFile(join(dir, 'roster.yaml'), 'utf8');
  // Kernel quotas need a quota-enabled filesystem; the btrfs backend has nothing to do without quotas in the types.
  await writeFile(join(dir, 'roster.yaml'), yaml.replace(/^( +)backend: setquota$/m, '$1backend: btrfs'));
  const root = join(dir, 'root');
  await mkdir(join(root, 'etc/skel'), { recursive: true });
  for (const f of ['.bashrc', '.profile']) await writeFile(join(root, 'etc/skel', f), '# skeleton\n');
  roster(['person', 'add', '--id', 'W1', '--first', 'Warm', '--last', 'Up', '--role', 'MEMBER']);
  roster(['account', 'create', 'W1', '--type', 'member', '--username', 'warmup']);
  roster(['apply', '--host', 'shell', '--root', root]);
  // The cache is taken when this command ends: what a lifecycle change applied to one host compiles.
  roster(['account', 'freeze', 'warmup', '--reason', 'billing', '--apply', 'shell', '--root', root], {});
} catch (e) {
  process.stderr.write(`warning: no warm code cache (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); the first command writes one\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
