import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, fchmodSync, fchownSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { RosterError } from '../../domain/errors.js';
import { ensureDirectory, inspectPath, underRoot } from './path-safety.js';

/** A skeleton source as read once per run (copied into many homes). */
type SkeletonNode =
  | { readonly kind: 'file'; readonly mode: number; readonly data: Buffer }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'directory'; readonly mode: number; readonly children: ReadonlyArray<readonly [string, SkeletonNode]> }
  | { readonly kind: 'missing' };

/**
 * Skeleton sources are read under the root (`<root>/etc/skel/.bashrc`, as
 * `useradd -R` does) with lstat, like `cp -a`: a symlink is copied as a
 * symlink, never followed. Set-id bits are dropped: a set-id file owned by a
 * member has no business in a fresh home. A source that is not there is
 * skipped, as `useradd` skips a missing /etc/skel: the home is still made,
 * and the caller reports the missing file as a warning.
 */
class SkeletonCache {
  readonly #nodes = new Map<string, SkeletonNode>();

  constructor(private readonly root: string) {}

  get(from: string): SkeletonNode {
    let node = this.#nodes.get(from);
    if (node === undefined) {
      this.#checkInsideRoot(from);
      node = this.#read(underRoot(this.root, from));
      this.#nodes.set(from, node);
    }
    return node;
  }

  /**
   * Under a root prefix, a directory on the way to a source (`<root>/etc`
   * as a symlink to the host's /etc) would make the copy read files outside
   * the root: refused, like a path with '..' (which the config refuses).
   */
  #checkInsideRoot(from: string): void {
    if (this.root === '/') return;
    let dir: string;
    try {
      dir = realpathSync(posix.dirname(underRoot(this.root, from)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const root = realpathSync(this.root);
    if (dir !== root && !dir.startsWith(`${root}/`)) throw new RosterError('conflict', `skeleton source ${from} escapes the root ${this.root} (its directory resolves to ${dir})`);
  }

  #read(path: string): SkeletonNode {
    let st;
    try {
      st = lstatSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw e;
    }
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(path) };
    if (st.isDirectory()) {
      const children = readdirSync(path)
        .sort()
        .map((name) => [name, this.#read(posix.join(path, name))] as const);
      return { kind: 'directory', mode: st.mode & 0o1777, children };
    }
    if (st.isFile()) return { kind: 'file', mode: st.mode & 0o777, data: readFileSync(path) };
    throw new RosterError('conflict', `skeleton source ${path} is neither a file, a directory nor a symlink`);
  }
}

/**
 * What one apply's new homes share: the skeleton as read once, the parents
 * already made (a first apply puts 100,000 homes under /home, which is made
 * and checked once; each home's own check before its rename still looks at
 * every parent), and the staging names: one random tag per run and a
 * counter, not random bytes per home.
 */
export class HomeCreation {
  readonly skeleton: SkeletonCache;
  readonly #made = new Set<string>();
  readonly #tag = randomBytes(6).toString('hex');
  #count = 0;

  constructor(readonly root: string) {
    this.skeleton = new SkeletonCache(root);
  }

  /** ensureDirectory, once per directory and run. */
  ensureParent(hostPath: string): void {
    if (this.#made.has(hostPath)) return;
    ensureDirectory(this.root, hostPath);
    this.#made.add(hostPath);
  }

  /** The staging directory beside `final` (a path under the root): unique in this run, unguessable across runs. */
  stagingPath(final: string): string {
    this.#count += 1;
    return posix.join(posix.dirname(final), `.roster-new-${posix.basename(final)}-${this.#tag}-${this.#count}`);
  }
}

export interface NewHome {
  readonly home: string;
  /** Owner of the home directory itself (the user, or root with types.<type>.targets.homes.owner: root). */
  readonly ownerUid: number;
  readonly gid: number;
  /** The account's own UID: skeleton files belong to it. */
  readonly uid: number;
  readonly mode: number;
  readonly copy: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  readonly link: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

function writeNode(path: string, node: SkeletonNode, uid: number, gid: number): void {
  switch (node.kind) {
    case 'missing':
      return;
    case 'file': {
      // 'wx' is O_CREAT|O_EXCL: it never follows or overwrites anything.
      // Owner and mode (past the umask) are set through the descriptor, so
      // the path is looked up once, not three times.
      const fd = openSync(path, 'wx', node.mode);
      try {
        fchownSync(fd, uid, gid);
        fchmodSync(fd, node.mode);
        writeFileSync(fd, node.data);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'symlink':
      symlinkSync(node.target, path);
      lchownSync(path, uid, gid);
      return;
    case 'directory':
      mkdirSync(path, { mode: 0o700 });
      for (const [name, child] of node.children) writeNode(posix.join(path, name), child, uid, gid);
      chmodSync(path, node.mode);
      chownSync(path, uid, gid);
  }
}

/** Directories between the home and a skeleton entry (`.config` of `.config/app.conf`), owned by the user. */
function makeParents(home: string, to: string, uid: number, gid: number): void {
  const parts = to.split('/').slice(0, -1);
  let path = home;
  for (const part of parts) {
    path = posix.join(path, part);
    try {
      mkdirSync(path, { mode: 0o755 });
      chownSync(path, uid, gid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!lstatSync(path).isDirectory()) throw new RosterError('conflict', `skeleton entry ${to}: ${part} is not a directory`);
    }
  }
}

/**
 * Creates a new home with its skeleton (RATS steps 10, 14, 15: copy and link
 * startup files for new homes only). The home is built in a 0700 root-owned
 * directory beside its final path, given its owner and mode, and renamed into
 * place last: a crash leaves either no home (the next run starts again) or a
 * complete one, never a half-filled home that later runs would take as
 * existing and never fill. Synchronous file calls: this runs for thousands of
 * homes in one pass and each step is a single cheap system call.
 */
export interface CreatedHome {
  readonly copied: number;
  readonly linked: number;
  /** Skeleton sources (host paths) that were not there and were skipped. */
  readonly missing: readonly string[];
}

export function createHome(run: HomeCreation, spec: NewHome): CreatedHome {
  const { root, skeleton } = run;
  run.ensureParent(posix.dirname(spec.home));
  const final = underRoot(root, spec.home);
  const temp = run.stagingPath(final);
  mkdirSync(temp, { mode: 0o700 });
  const missing: string[] = [];
  try {
    for (const { from, to } of spec.copy) {
      const node = skeleton.get(from);
      if (node.kind === 'missing') {
        missing.push(from);
        continue;
      }
      makeParents(temp, to, spec.uid, spec.gid);
      writeNode(posix.join(temp, to), node, spec.uid, spec.gid);
    }
    for (const { from, to } of spec.link) {
      makeParents(temp, to, spec.uid, spec.gid);
      // The link text is the host's path: it is read on the host, whose / is the root.
      symlinkSync(from, posix.join(temp, to));
      lchownSync(posix.join(temp, to), spec.uid, spec.gid);
    }
    chownSync(temp, spec.ownerUid, spec.gid);
    chmodSync(temp, spec.mode);
    // rename(2) would replace an empty directory that appeared since the
    // plan; the check narrows that to a race with another root process.
    if (inspectPath(root, spec.home).kind !== 'missing') throw new RosterError('conflict', `${spec.home} appeared while it was being created`);
    renameSync(temp, final);
  } catch (e) {
    // Still root's own 0700 staging directory (or owned by the new user, who
    // has no passwd entry yet): nothing else can have placed links in it.
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  return { copied: spec.copy.length - missing.length, linked: spec.link.length, missing };
}
