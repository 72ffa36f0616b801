/**
 * The entry of Roster's V8 startup snapshot (scripts/bundle.mjs bundles it
 * into dist/roster-snapshot.cjs and builds dist/roster.blob from it with
 * contrib/bin/make-snapshot; the `roster` wrapper, contrib/bin/roster, runs
 * `node --snapshot-blob roster.blob roster.mjs ARGS`). Building evaluates the
 * whole command's modules (the config schema, the programs' code, the
 * libraries) once; every command then starts from that heap instead of
 * reading, compiling and evaluating the 2 MB bundle.
 *
 * What must not be fixed at build time is read when a command runs: the
 * arguments, the environment and the files (no module reads them at load),
 * and the native addons and dist/vendor, which load through the real
 * `require` set here (src/cli/snapshot-require.ts). Long-running commands
 * (serve, agent) never come here: the wrapper starts them the ordinary way,
 * as their zod schemas are compiled to functions (src/cli/one-shot.ts).
 */
// one-shot.js first: it configures zod before any schema is built.
import './one-shot.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { lockedTurn } from '../agent/watch/host-watch.js';
import { defaultWatchSettings } from '../config/watch-settings.js';
import { systemClock } from '../domain/clock.js';
import type { RosterDatabase } from '../store/database-schema.js';
import { kyselyQueries } from '../store/kysely-queries.js';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { targetRegistry } from '../targets/registry.js';
// Evaluated now, into the snapshot: both programs' modules (run-command.js loads them on demand).
import { buildProgram } from './program.js';
import { deferExtraCaCerts } from './deferred-ca-certs.js';
import { runCommand } from './run-command.js';
import { useRuntimeRequire } from './snapshot-require.js';
import { buildWatchProgram } from './watch-program.js';

// The snapshot keeps the bytecode of the functions that ran while it was
// built, and a command compiles every other function it calls: run the code
// every command runs (building its program, reading roster.yaml) on data of
// our own, and `roster watch`'s turn (every five minutes and at every apt
// run) on a tree of its own, made and removed here. The results are dropped.
// The main function below loads node:module through process.getBuiltinModule (Node 20.16 and later):
// on an older node no snapshot is made, and the wrapper runs roster the ordinary way.
if (typeof process.getBuiltinModule !== 'function') throw new Error(`the startup snapshot needs Node 20.16 or later (this is ${process.version})`);

buildProgram();
buildWatchProgram();
parseConfig(exampleConfig(), 'roster.yaml', { targets: targetRegistry });

/** Two watch turns (the first snapshot, then one with nothing changed) over a small tree in a temp directory. */
async function warmWatch(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'roster-snapshot-'));
  try {
    mkdirSync(join(root, 'etc/default'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/hostname'), 'warm\n');
    writeFileSync(join(root, 'etc/default/roster'), '# warm\n');
    writeFileSync(join(root, 'var/lib/dpkg/status'), 'Package: roster\nStatus: install ok installed\nVersion: 0\n\n');
    const ctx = { root, host: null, settings: defaultWatchSettings(), clock: systemClock, changelog: () => Promise.resolve([]) };
    await lockedTurn(ctx);
    await lockedTurn(ctx);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The store's reads most commands make (an account, its person, groups and
 * accounts, the audit log's head),
 * through Kysely's DummyDriver, which compiles each query and answers it
 * with no rows: Kysely's builder, compiler and result path, and ours.
 */
async function warmQueries(): Promise<void> {
  const db = new Kysely<RosterDatabase>({
    dialect: { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (k) => new SqliteIntrospector(k), createQueryCompiler: () => new SqliteQueryCompiler() },
  });
  const q = kyselyQueries(db, { dialect: 'sqlite', writable: false });
  // No rows: a read finds nothing (or, where it expects a row, fails); either way its code ran.
  await Promise.allSettled([q.getAccount('warm'), q.accountsByUsernames(['warm']), q.getPerson('warm'), q.accountsOfPeople(['warm']), q.getGroup('warm'), q.auditHead()]);
  await db.destroy();
}

// The builder takes the snapshot once the event loop is empty, after these; a failed watch turn fails the build.
Promise.all([warmWatch(), warmQueries()]).catch((e: unknown) => {
  process.exitCode = 1;
  throw e;
});

startupSnapshot.setDeserializeMainFunction(() => {
  // process.argv[1] is the launcher beside the bundle (dist/roster.mjs, /usr/lib/roster/roster.mjs),
  // as the wrapper was called: relative when it was (dist/roster), which node leaves so under a snapshot.
  const launcher = process.argv[1];
  if (launcher === undefined) throw new Error('roster.blob: run as node --snapshot-blob roster.blob …/roster.mjs ARGS');
  // node:module is loaded now: the snapshot builder supports only some of Node's modules.
  useRuntimeRequire(process.getBuiltinModule('node:module').createRequire(process.getBuiltinModule('node:path').resolve(launcher)));
  deferExtraCaCerts();
  void runCommand(process.argv.slice(2));
});
