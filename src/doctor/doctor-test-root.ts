import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig, type LoadedConfig } from '../config/load-config.js';
import { targetRegistry } from '../targets/registry.js';
import { liveSystem, type DoctorSystem } from './doctor-system.js';
import type { GlobalCheckContext } from './global-check.js';
import type { TargetCheckContext } from './target-check.js';

/**
 * Test support for the doctor's checks: a temp directory holding a
 * roster.yaml and a root prefix with the files a check reads, and the real
 * machine behind them (its tools, and a mount table read from a real file
 * when a test lays one out). Not used by Roster itself.
 */
export interface DoctorTestRoot {
  readonly dir: string;
  /** The root prefix, `<dir>/root`. */
  readonly root: string;
  /** Writes `path` (as seen on the host) under the root. */
  put(path: string, text: string, mode?: number): Promise<string>;
  link(path: string, target: string): Promise<void>;
  /** Writes and loads roster.yaml (checked with the targets' schemas, as the command does). */
  config(yaml: string): Promise<LoadedConfig>;
  /** This machine, with the mount table from `mounts` (a file under dir) when given, and `env`. */
  system(o?: { readonly mounts?: string; readonly env?: NodeJS.ProcessEnv }): Promise<DoctorSystem>;
  target(loaded: LoadedConfig, system: DoctorSystem, host?: string): TargetCheckContext;
  global(loaded: LoadedConfig, system: DoctorSystem, databaseUrl?: string): GlobalCheckContext;
  cleanup(): Promise<void>;
}

export async function doctorTestRoot(): Promise<DoctorTestRoot> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-doctor-'));
  const root = join(dir, 'root');
  await mkdir(root);
  return {
    dir,
    root,
    async put(path, text, mode = 0o644) {
      const file = join(root, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
      await chmod(file, mode);
      return file;
    },
    async link(path, target) {
      const file = join(root, path);
      await mkdir(dirname(file), { recursive: true });
      await symlink(target, file);
    },
    async config(yaml) {
      const path = join(dir, 'roster.yaml');
      await writeFile(path, yaml);
      return parseConfig(await readFile(path, 'utf8'), path, { targets: targetRegistry });
    },
    async system(o = {}) {
      const live = liveSystem(o.env ?? {});
      if (o.mounts === undefined) return live;
      const file = join(dir, 'mounts');
      await writeFile(file, o.mounts);
      return { ...live, mounts: () => readFile(file, 'utf8') };
    },
    target: (loaded, system, host = 'shell') => ({ host, root, config: loaded.config, system }),
    global: (loaded, system, databaseUrl = loaded.databaseUrl) => ({ loaded, root, databaseUrl, system }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
