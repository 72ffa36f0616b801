import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RosterError } from '../../domain/errors.js';
import { commandProblem, type RunCommand } from '../../system/run-command.js';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import type { MailListsConfig } from './mail-lists-config.js';

/** The file postmap makes of a source, by map type (postmap(1), DATABASE_README). */
export function compiledSuffix(table: MailListsConfig['table']): string {
  return table === 'cdb' ? '.cdb' : table === 'lmdb' ? '.lmdb' : '.db';
}

/**
 * Whether the compiled map is there and not older than its source, as
 * Postfix itself judges ("database is older than source file"): a write
 * whose postmap did not run (a crash between the two, postmap failing) is
 * found again at the next plan.
 */
export async function compiledUpToDate(path: string, table: MailListsConfig['table']): Promise<boolean> {
  const [source, compiled] = await Promise.all([stat(path).catch(() => null), stat(`${path}${compiledSuffix(table)}`).catch(() => null)]);
  return source !== null && compiled !== null && compiled.mtimeMs >= source.mtimeMs;
}

/**
 * Compiles `content` (the map source just written at `path`) with postmap
 * into `path` + suffix. postmap rewrites its output in place, and a running
 * smtpd notices a changed table by its mtime in whole seconds (or by the
 * file being unlinked), so a freeze and an unfreeze within one second could
 * leave smtpd on the old table. Instead the map is compiled from a copy
 * beside it and renamed over the old compiled file: smtpd sees it unlinked
 * and restarts on the new one at its next connection, and never reads a
 * half-built table.
 */
export async function compilePostfixMap(run: RunCommand, config: Pick<MailListsConfig, 'postmap' | 'table'>, path: string, content: string): Promise<void> {
  const suffix = compiledSuffix(config.table);
  const temp = join(dirname(path), `.${basename(path)}.roster-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFileAtomic(temp, content, { mode: 0o644 });
    const argv = [...config.postmap, `${config.table}:${temp}`];
    const result = await run(argv);
    if (result.code !== 0) throw new RosterError('unavailable', commandProblem(argv, result));
    await rename(`${temp}${suffix}`, `${path}${suffix}`);
  } finally {
    await rm(temp, { force: true });
    await rm(`${temp}${suffix}`, { force: true });
    // LMDB keeps a lock file beside the database.
    await rm(`${temp}${suffix}-lock`, { force: true });
  }
}
