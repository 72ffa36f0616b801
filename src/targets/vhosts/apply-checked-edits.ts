import { lstat, readFile, rm } from 'node:fs/promises';
import { RosterError, errorMessage } from '../../domain/errors.js';
import { runCommand, type CommandResult, type RunCommand } from '../../system/run-command.js';
import { writeFileAtomic, type FileOwnership } from '../../system/write-file-atomic.js';

/** One file of the include dir to write or remove. */
export interface FileEdit {
  /** Absolute, under the root prefix. */
  readonly path: string;
  /** What the plan saw there; null: no file. Anything else found at apply time is someone else's change, left alone. */
  readonly expected: string | null;
  /** What to leave there; null: remove the file. */
  readonly content: string | null;
}

export interface EditOutcome {
  readonly ok: boolean;
  readonly error?: string;
}

/** Makes the web server load the checked files: null once done, else what went wrong. */
export type Reload = () => Promise<string | null>;

export interface CheckCommands {
  readonly test: readonly string[];
  readonly reload: Reload;
}

/** The file as it was before an edit, to put back byte for byte with its mode and owner; null: there was none. */
type Previous = (FileOwnership & { readonly content: Buffer }) | null;

interface Written {
  readonly index: number;
  readonly previous: Previous;
}

/** The last lines the tool printed, on either stream (apache2ctl says what is wrong on stderr, some wrappers on stdout). */
export function commandOutput(argv: readonly string[], result: CommandResult): string {
  const said = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-6)
    .join('; ');
  return `${argv.join(' ')}: ${result.failure ?? `exit ${result.code ?? '?'}`}${said === '' ? '' : `: ${said}`}`;
}

/**
 * Writes the edits so that the web server never loads a file its own check
 * refused (issue 12 item 4): all edits are written, the check runs, and only
 * if it passes is the server reloaded. If it fails, every file is put back as
 * it was, exactly; if there was more than one edit and the files as they were
 * pass the check, the edits are tried one at a time, so one broken vhost does
 * not hold back the others (each kept edit was checked together with the
 * ones kept before it). A reload that fails puts the files back too, so the
 * next run plans them again instead of finding them already in place.
 * Returns one outcome per edit, in order; never throws.
 */
export async function applyCheckedEdits(edits: readonly FileEdit[], commands: CheckCommands, run: RunCommand = runCommand): Promise<readonly EditOutcome[]> {
  const outcomes: EditOutcome[] = edits.map(() => ({ ok: false, error: 'not applied' }));
  const fail = (w: { readonly index: number }, error: string): void => void (outcomes[w.index] = { ok: false, error });
  const written: Written[] = [];
  for (const [index, edit] of edits.entries()) {
    try {
      written.push({ index, previous: await writeEdit(edit) });
    } catch (e) {
      fail({ index }, errorMessage(e));
    }
  }
  if (written.length === 0) return outcomes;
  const test = await run(commands.test);
  if (test.code === 0) {
    await reload(written);
    return outcomes;
  }
  const problems = await restoreAll(written);
  const refused = `${commandOutput(commands.test, test)}; nothing was reloaded and the previous files are back${problems}`;
  if (written.length === 1 || problems !== '') {
    for (const w of written) fail(w, refused);
    return outcomes;
  }
  const without = await run(commands.test);
  if (without.code !== 0) {
    // Not these edits' fault: the configuration fails as it was (a broken file of someone else's); trying them one by one would only fail each.
    for (const w of written) fail(w, `${refused}; the check fails without these changes too`);
    return outcomes;
  }
  const kept: Written[] = [];
  for (const w of written) {
    const edit = edits[w.index] as FileEdit;
    let one: Written;
    try {
      one = { index: w.index, previous: await writeEdit(edit) };
    } catch (e) {
      fail(w, errorMessage(e));
      continue;
    }
    const alone = await run(commands.test);
    if (alone.code === 0) {
      kept.push(one);
      continue;
    }
    fail(w, `${commandOutput(commands.test, alone)}; nothing was reloaded and the previous file is back${await restoreAll([one])}`);
  }
  if (kept.length > 0) await reload(kept);
  return outcomes;

  async function reload(ws: readonly Written[]): Promise<void> {
    const problem = await commands.reload();
    if (problem === null) {
      for (const w of ws) outcomes[w.index] = { ok: true };
      return;
    }
    const back = await restoreAll(ws);
    for (const w of ws) fail(w, `the check passed but the reload failed: ${problem}; the previous files are back${back}`);
  }

  /** Puts files back in reverse order; '' when all went back, else what did not (the server still runs what it loaded last). */
  async function restoreAll(ws: readonly Written[]): Promise<string> {
    const failed: string[] = [];
    for (const w of [...ws].reverse()) {
      const path = (edits[w.index] as FileEdit).path;
      try {
        await restoreFile(path, w.previous);
      } catch (e) {
        failed.push(`${path}: ${errorMessage(e)}`);
      }
    }
    return failed.length === 0 ? '' : `, except: ${failed.join('; ')} (left as written, unchecked; fix before the next reload)`;
  }
}

/** Makes one edit if the file is still what the plan saw; returns what was there. */
async function writeEdit(edit: FileEdit): Promise<Previous> {
  const stat = await lstat(edit.path).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  });
  if (stat !== null && !stat.isFile()) throw new RosterError('conflict', `${edit.path} is no longer a regular file; left alone`);
  const current = stat === null ? null : await readFile(edit.path);
  if ((current === null ? null : current.toString('utf8')) !== edit.expected) throw new RosterError('conflict', `${edit.path} changed since it was read; left alone`);
  if (edit.content === null) await rm(edit.path);
  else await writeFileAtomic(edit.path, edit.content, { mode: 0o644 });
  return stat === null || current === null ? null : { content: current, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

/** Puts a file back as it was (bytes, mode, owner), or removes it if there was none; through a temp file and a rename, as every write here. */
async function restoreFile(path: string, previous: Previous): Promise<void> {
  if (previous === null) await rm(path, { force: true });
  else await writeFileAtomic(path, previous.content, { ownership: previous });
}
