import { readFileSync } from 'node:fs';
import { chmod, mkdir, open } from 'node:fs/promises';
import { posix } from 'node:path';
import { lineStartsWith } from '../../system/line-starts.js';

export interface CreatedRecord {
  readonly username: string;
  readonly uid: number;
  /** `onCreate` (the hook ran and succeeded), `none` (the type had none), `adopted` (in /etc/passwd before hooks were enabled). */
  readonly how: 'onCreate' | 'none' | 'adopted';
  readonly at: string;
}

const HOW = new Set<CreatedRecord['how']>(['onCreate', 'none', 'adopted']);

/** One record per line: `username<TAB>uid<TAB>how<TAB>at`. Usernames and ISO times never hold tabs. */
function formatRecord(r: CreatedRecord): string {
  return `${r.username}\t${r.uid}\t${r.how}\t${r.at}\n`;
}

/**
 * The per-host record of accounts whose creation the hooks target handled:
 * one tab-separated line per account, appended and fsynced after each
 * onCreate, so a crash after a hook ran never makes it run twice (at most
 * the one running hook is repeated), and a run of 10,000 hooks costs 10,000
 * small appends, not 10,000 rewrites. Plain fields rather than JSON lines:
 * on a host of 100,000 accounts this file is read on every apply. Each
 * account is appended once (a later line for the same name wins), so the
 * file needs no compaction. A torn last line is ignored. `null` when the
 * file does not exist yet.
 */
export async function readCreated(path: string, only?: readonly string[]): Promise<Map<string, CreatedRecord> | null> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const out = new Map<string, CreatedRecord>();
  const take = (line: string): void => {
    const [username, uid, how, at] = line.split('\t');
    if (username === undefined || uid === undefined || at === undefined || !/^\d+$/.test(uid) || !HOW.has(how as CreatedRecord['how'])) return;
    out.set(username, { username, uid: Number(uid), how: how as CreatedRecord['how'], at });
  };
  if (only !== undefined) {
    // `only` these accounts (a scoped apply): their lines are found by search, in file order.
    // The bytes are searched, and only the lines found are decoded.
    for (const name of only) {
      for (const from of lineStartsWith(bytes, `${name}\t`)) {
        const end = bytes.indexOf(0x0a, from);
        // A line without its newline is an interrupted append.
        if (end >= 0) take(bytes.toString('utf8', from, end));
      }
    }
    return out;
  }
  const lines = bytes.toString('utf8').split('\n');
  // The last element is '' after a final newline, or an interrupted append.
  lines.pop();
  for (const line of lines) take(line);
  return out;
}

export class CreatedLog {
  private constructor(private readonly handle: Awaited<ReturnType<typeof open>>) {}

  /** Opens for appending, creating the file and its directory's entry (mode 0600). */
  static async open(path: string): Promise<CreatedLog> {
    const made = await mkdir(posix.dirname(path), { recursive: true, mode: 0o755 });
    // Only a directory made here is tightened; an existing one keeps its mode.
    if (made !== undefined) await chmod(posix.dirname(path), 0o700);
    const handle = await open(path, 'a+', 0o600);
    // After an interrupted append, start on a fresh line so the next record is not glued to the torn one.
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.appendFile('\n');
    }
    return new CreatedLog(handle);
  }

  async append(records: readonly CreatedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.handle.appendFile(records.map(formatRecord).join(''));
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
