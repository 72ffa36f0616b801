import { readFile } from 'node:fs/promises';
import { underRoot } from './path-safety.js';

/** The account's entries in the root's /etc files, kept with its archive (RATS removal step 2). */
export interface AccountLines {
  readonly passwd: readonly string[];
  readonly shadow: readonly string[];
  /** Its own group and every group listing it as a member. */
  readonly group: readonly string[];
  readonly gshadow: readonly string[];
}

async function lines(root: string, file: string): Promise<string[]> {
  try {
    return (await readFile(underRoot(root, file), 'utf8')).split('\n').filter((l) => l !== '');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function listed(field: string | undefined, username: string): boolean {
  return field !== undefined && field !== '' && field.split(',').includes(username);
}

/**
 * Read just before the archive is written, which is why the homes target runs
 * before unix in the registry: on a purge the unix target removes these lines
 * afterwards.
 */
export async function accountLines(root: string, username: string): Promise<AccountLines> {
  const [passwd, shadow, group, gshadow] = await Promise.all(['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'].map((f) => lines(root, f)));
  const own = (l: string): boolean => l.split(':')[0] === username;
  return {
    passwd: (passwd ?? []).filter(own),
    shadow: (shadow ?? []).filter(own),
    // group: name:password:gid:members; gshadow: name:password:admins:members.
    group: (group ?? []).filter((l) => own(l) || listed(l.split(':')[3], username)),
    gshadow: (gshadow ?? []).filter((l) => own(l) || listed(l.split(':')[2], username) || listed(l.split(':')[3], username)),
  };
}
