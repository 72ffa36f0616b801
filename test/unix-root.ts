/**
 * Temporary root prefixes for the unix target's tests: a small Debian-like
 * base (root, daemon, nobody, groups shadow and users), the shells inside
 * the root, and the shadow-utils judges of DESIGN.md §8 run against it.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredHost } from '../src/desired/desired-host.js';
import { fixedClock } from '../src/domain/clock.js';
import type { ChangeResult, Change, TargetContext } from '../src/targets/target.js';
import type { UnixConfig } from '../src/targets/unix/unix-config.js';
import { unixTarget } from '../src/targets/unix/unix-target.js';

export const BASE = {
  passwd: 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  shadow: 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n',
  group: 'root:x:0:\ndaemon:x:1:\nshadow:x:42:\nusers:x:100:\nnogroup:x:65534:\n',
  gshadow: 'root:*::\ndaemon:*::\nshadow:*::\nusers:*::\nnogroup:*::\n',
} as const;

export const ETC = ['passwd', 'shadow', 'group', 'gshadow'] as const;
export type EtcFileName = (typeof ETC)[number];

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(file: string, args: readonly string[], options: { readonly input?: string; readonly timeout?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: options.timeout ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
    // A tool that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}

/** A fresh root with the base files (modes as on Debian) and the base homes and shells inside it. */
export async function makeRoot(options: { readonly base?: boolean } = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'roster-unix-'));
  await mkdir(join(root, 'etc'), { recursive: true });
  for (const dir of ['root', 'usr/sbin', 'bin', 'nonexistent', 'home']) await mkdir(join(root, dir), { recursive: true });
  for (const shell of ['bin/bash', 'bin/sh', 'usr/sbin/nologin']) {
    await writeFile(join(root, shell), '#!/bin/false\n');
    await chmod(join(root, shell), 0o755);
  }
  if (options.base !== false) {
    for (const f of ETC) {
      const path = join(root, 'etc', f);
      await writeFile(path, BASE[f]);
      const secret = f === 'shadow' || f === 'gshadow';
      await chown(path, 0, secret ? 42 : 0);
      await chmod(path, secret ? 0o640 : 0o644);
    }
  }
  return root;
}

export async function removeRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/** The homes of these accounts, inside the root, so pwck judges only what Roster wrote. */
export async function makeHomes(root: string, desired: DesiredHost): Promise<void> {
  for (const a of desired.accounts) await mkdir(join(root, a.home), { recursive: true });
}

export async function etcBytes(root: string): Promise<Record<EtcFileName, Buffer>> {
  const out = {} as Record<EtcFileName, Buffer>;
  for (const f of ETC) out[f] = await readFile(join(root, 'etc', f)).catch(() => Buffer.alloc(0));
  return out;
}

/** `pwck -r` and `grpck -r` on the root: both must exit 0 with nothing to say. */
export async function judge(root: string): Promise<{ readonly pwck: Ran; readonly grpck: Ran }> {
  const [pwck, grpck] = await Promise.all([run('pwck', ['-r', '-R', root]), run('grpck', ['-r', '-R', root])]);
  return { pwck, grpck };
}

export function testContext(root: string): TargetContext {
  return { root, host: 'test', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
}

export function unixConfig(over: Partial<UnixConfig> = {}): UnixConfig {
  return unixTarget.hostSettings.parse(over);
}

/** observe → plan → apply, as the reconcile loop does. */
export async function converge(root: string, desired: DesiredHost, config: UnixConfig = unixConfig()): Promise<{ readonly plan: readonly Change[]; readonly results: readonly ChangeResult[] }> {
  const ctx = testContext(root);
  const observed = await unixTarget.observe(ctx, config, desired);
  const plan = unixTarget.plan(desired, observed, config);
  const results = plan.length === 0 ? [] : await unixTarget.apply(ctx, config, plan, desired);
  return { plan, results };
}

export async function planOnly(root: string, desired: DesiredHost, config: UnixConfig = unixConfig()): Promise<readonly Change[]> {
  const observed = await unixTarget.observe(testContext(root), config, desired);
  return unixTarget.plan(desired, observed, config);
}
