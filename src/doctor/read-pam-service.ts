import { posix } from 'node:path';
import { readTextIfExists } from '../system/read-text-if-exists.js';
import { parsePamFile, type PamRule } from './pam-rules.js';

/** A service's rules with `@include`, `include` and `substack` expanded, in stack order; null when the service file is missing. */
export interface PamService {
  readonly service: string;
  /** The service file as seen on the host, e.g. /etc/pam.d/sshd. */
  readonly file: string;
  readonly rules: readonly PamRule[];
}

// Debian's stacks nest two or three deep; a cycle or a deeper chain is cut here.
const MAX_DEPTH = 8;

/** Reads `<root>/etc/pam.d/<service>` and the files it includes. */
export async function readPamService(root: string, service: string): Promise<PamService | null> {
  const dir = '/etc/pam.d';
  const read = async (name: string, depth: number, onlyType?: string): Promise<PamRule[] | null> => {
    // Include names are file names in pam.d; anything with a slash is a path as PAM itself allows.
    const file = name.includes('/') ? posix.normalize(name) : posix.join(dir, name);
    if (file.split('/').includes('..') || !posix.isAbsolute(file)) return [];
    const text = await readTextIfExists(posix.join(root, file));
    if (text === null) return null;
    const rules: PamRule[] = [];
    for (const line of parsePamFile(file, text)) {
      if (line.kind === 'include') {
        if (depth < MAX_DEPTH) rules.push(...((await read(line.service, depth + 1, onlyType)) ?? []));
        continue;
      }
      const r = line.rule;
      if (onlyType !== undefined && r.type !== onlyType) continue;
      if ((r.control === 'include' || r.control === 'substack') && depth < MAX_DEPTH) {
        // `account include common-account` takes only that file's account lines.
        rules.push(...((await read(r.module, depth + 1, r.type)) ?? []));
        continue;
      }
      rules.push(r);
    }
    return rules;
  };
  const rules = await read(service, 0);
  return rules === null ? null : { service, file: posix.join(dir, service), rules };
}
