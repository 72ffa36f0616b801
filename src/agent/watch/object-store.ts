import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';

/** SHA-256 of `content`, in hex: the name of its object. */
export function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * The file contents `roster watch` keeps, named by their SHA-256 (as git
 * keeps blobs): a file that is the same in a hundred snapshots is stored
 * once. `objects/ab/cdef…`, each 0600 in the watch directory (0700).
 *
 * Objects are written without fsync (the first snapshot of /etc writes two
 * thousand of them); a torn one after a crash is caught on reading, where
 * its hash no longer matches, and reads as missing.
 */
export class ObjectStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(hash: string): string {
    return posix.join(this.#dir, hash.slice(0, 2), hash.slice(2));
  }

  has(hash: string): boolean {
    return existsSync(this.#path(hash));
  }

  /** Stores `content` under its hash (given, as the caller has just computed it); nothing when it is there already. */
  put(hash: string, content: Uint8Array): void {
    const path = this.#path(hash);
    if (existsSync(path)) return;
    mkdirSync(posix.dirname(path), { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    renameSync(temp, path);
  }

  /** The content, or null when it is missing or damaged. */
  get(hash: string): Buffer | null {
    if (!HASH.test(hash)) return null;
    let content: Buffer;
    try {
      content = readFileSync(this.#path(hash));
    } catch {
      return null;
    }
    return sha256(content) === hash ? content : null;
  }

  /** Every stored hash. */
  list(): string[] {
    const out: string[] = [];
    let fans: string[];
    try {
      fans = readdirSync(this.#dir);
    } catch {
      return out;
    }
    for (const fan of fans) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const rest of readdirSync(posix.join(this.#dir, fan))) {
        const hash = fan + rest;
        if (HASH.test(hash)) out.push(hash);
        // A temp file left by a crash mid-write.
        else rmSync(posix.join(this.#dir, fan, rest), { force: true });
      }
    }
    return out;
  }

  remove(hash: string): void {
    rmSync(this.#path(hash), { force: true });
  }
}
