/**
 * The `roster` bin (copied to dist/roster.mjs by scripts/bundle.mjs): runs
 * the bundled command, dist/roster.cjs, through a V8 code cache kept beside
 * it (under /var/cache/roster for a copy installed under /usr). A command compiles much of Roster's code on its way (the config
 * schema, the store, the targets); the cache is taken when a command ends,
 * so it holds those functions compiled too, and the next command skips the
 * work — about 40 ms of the 0.3 s a `roster account freeze --apply` takes
 * among 100,000 accounts. Node 22 does this itself (module.enableCompileCache);
 * Node 20 does not.
 *
 * The cache is best effort and trusted like the bundle: it is used only when
 * owned by the bundle's owner (or root) and writable by no one else, written
 * only where the bundle's directory lets this user write (atomically, so
 * parallel commands never read half of one), and written anew when V8
 * rejects it (another Node version), it is older than the bundle (V8
 * itself compares only the source's length) or its SHA-256 does not match
 * (V8 would crash on damaged data). `ROSTER_CODE_CACHE=0` turns it off.
 * Help and version output and failed commands leave no cache behind: it
 * would hold little of what commands compile.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = join(dirname(fileURLToPath(import.meta.url)), 'roster.cjs');
// An installed copy lives under /usr, which stays as its package wrote it
// (FHS: shareable, read-only data): its cache goes to /var/cache/roster.
const cacheFile = bundle.startsWith('/usr/') ? '/var/cache/roster/roster.cjs.cache' : `${bundle}.cache`;
const enabled = process.env.ROSTER_CODE_CACHE !== '0';
/** The cache file starts with the SHA-256 of the data after it. */
const DIGEST = 32;

function trustedCache(): Buffer | undefined {
  if (!enabled) return undefined;
  try {
    const code = statSync(bundle);
    const st = statSync(cacheFile);
    if ((st.uid !== code.uid && st.uid !== 0) || (st.mode & 0o022) !== 0 || !st.isFile()) return undefined;
    // V8 checks a cache against the source's length only: one older than the bundle may be of another build.
    if (st.mtimeMs < code.mtimeMs) return undefined;
    // V8 does not check the data itself, and a damaged cache would crash every command: it carries its SHA-256.
    const file = readFileSync(cacheFile);
    const data = file.subarray(DIGEST);
    return file.length > DIGEST && createHash('sha256').update(data).digest().equals(file.subarray(0, DIGEST)) ? data : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(data: Buffer): void {
  const temp = `${cacheFile}.${process.pid}`;
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeSync(fd, createHash('sha256').update(data).digest());
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, cacheFile);
  } catch {
    // Not writable here (an installed copy run by an ordinary user): run without.
    try {
      unlinkSync(temp);
    } catch {
      // Never made.
    }
  }
}

const cached = trustedCache();
// The bundle's code is ASCII (scripts/bundle.mjs checks): read as latin1, three times faster than as UTF-8.
const source = readFileSync(bundle, 'latin1');
const script = new Script(Module.wrap(source), { filename: bundle, ...(cached === undefined ? {} : { cachedData: cached }) });
const argv = process.argv.slice(2);
const trivial = argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V' || a === 'help');
if (enabled && (cached === undefined || script.cachedDataRejected === true) && !trivial) {
  process.once('exit', (code) => {
    if (code === 0) writeCache(script.createCachedData());
  });
}
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
const module = { exports: {}, filename: bundle };
run(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
