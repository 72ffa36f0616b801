import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import type { Change, TargetContext } from '../target.js';
import { hooksConfigSchema, type HooksConfig } from './hooks-config.js';
import { hooksTarget } from './hooks-target.js';

let dir: string;
let root: string;
let ctx: TargetContext;
let script: string;
let log: string;
const config: HooksConfig = hooksConfigSchema.parse({ environment: { SITE: 'test' }, maxOutputBytes: 64 });

/** A hook that appends its event and environment to a log, and fails for usernames starting with "bad". */
function writeHook(): void {
  script = join(dir, 'hook.sh');
  log = join(dir, 'hook.log');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `echo "$1 $ROSTER_EVENT $ROSTER_USERNAME uid=$ROSTER_UID gid=$ROSTER_GID home=$ROSTER_HOME type=$ROSTER_TYPE host=$ROSTER_HOST root=$ROSTER_ROOT groups=$ROSTER_GROUPS site=$SITE db=\${DATABASE_URL-unset}" >> ${log}`,
      'case "$ROSTER_USERNAME" in bad*) echo "cannot set up $ROSTER_USERNAME" >&2; exit 3;; esac',
      'case "$ROSTER_USERNAME" in slow*) sleep 30;; esac',
      'case "$ROSTER_USERNAME" in loud*) head -c 1000 /dev/zero | tr "\\0" x;; esac',
      'exit 0',
    ].join('\n'),
    { mode: 0o755 },
  );
}

const hooked = (name: string, uid: number, over: Partial<DesiredAccount> = {}): DesiredAccount =>
  fixtureAccount(name, uid, { groups: ['members', 'web'], targets: { hooks: { onCreate: [script, 'first'], onEnsure: [script, 'again'], timeoutSeconds: 5 } }, ...over });

async function run(desired: DesiredHost): Promise<{ changes: readonly Change[]; results: Awaited<ReturnType<typeof hooksTarget.apply>> }> {
  const changes = hooksTarget.plan(desired, await hooksTarget.observe(ctx, config, desired), config);
  return { changes, results: await hooksTarget.apply(ctx, config, changes, desired) };
}

function logLines(): string[] {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-hooks-'));
  root = join(dir, 'root');
  mkdirSync(root);
  ctx = { root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
  writeHook();
  process.env.DATABASE_URL = 'postgres://secret@db/roster';
});
afterEach(async () => {
  delete process.env.DATABASE_URL;
  await rm(dir, { recursive: true, force: true });
});

describe('hooks target', () => {
  it('runs onCreate once, before onEnsure, and onEnsure on every apply, with the account in a clean environment', async () => {
    const desired = fixtureHost([hooked('alice', 61001)]);
    const first = await run(desired);
    expect(first.changes.map((c) => `${c.action}${c.recurring === true ? '~' : ''}`)).toEqual(['run-hook', 'run-hook~']);
    expect(first.results.every((r) => r.ok)).toBe(true);
    const second = await run(desired);
    expect(second.changes.map((c) => c.summary)).toEqual([`run onEnsure for alice: ${script} again`]);
    expect(second.changes.every((c) => c.recurring === true)).toBe(true);
    await run(desired);
    expect(logLines()).toEqual([
      `first create alice uid=61001 gid=61001 home=/home/alice type=member host=shell root=${root} groups=members,web site=test db=unset`,
      `again ensure alice uid=61001 gid=61001 home=/home/alice type=member host=shell root=${root} groups=members,web site=test db=unset`,
      `again ensure alice uid=61001 gid=61001 home=/home/alice type=member host=shell root=${root} groups=members,web site=test db=unset`,
      `again ensure alice uid=61001 gid=61001 home=/home/alice type=member host=shell root=${root} groups=members,web site=test db=unset`,
    ]);
    expect(readFileSync(join(root, 'var/lib/roster/hooks-created.tsv'), 'utf8')).toBe('alice\t61001\tonCreate\t2026-11-23T12:00:00.000Z\n');
  });

  it('a failing onCreate fails only that account (its onEnsure is skipped) and is retried on the next apply', async () => {
    const desired = fixtureHost([hooked('bad-bob', 61002), hooked('carol', 61003)]);
    const { results } = await run(desired);
    const by = (name: string): string[] => results.filter((r) => r.change.account === name).map((r) => (r.ok ? 'ok' : (r.error ?? '')));
    expect(by('bad-bob')).toEqual(['onCreate hook exited 3', 'skipped: the onCreate hook of bad-bob failed']);
    expect(by('carol')).toEqual(['ok', 'ok']);
    const failed = results.find((r) => r.change.account === 'bad-bob');
    expect(failed?.detail).toMatchObject({ exitCode: 3, stderr: 'cannot set up bad-bob\n' });
    const again = await run(desired);
    expect(again.changes.filter((c) => c.account === 'bad-bob').map((c) => c.summary)).toEqual([`run onCreate for bad-bob: ${script} first`, `run onEnsure for bad-bob: ${script} again`]);
  });

  it('kills a hook that outlives timeoutSeconds and fails that account', async () => {
    const desired = fixtureHost([hooked('slow', 61004, { targets: { hooks: { onCreate: [script, 'first'], timeoutSeconds: 1 } } })]);
    const started = Date.now();
    const { results } = await run(desired);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(results[0]?.ok).toBe(false);
    expect(results[0]?.error).toBe('onCreate hook timed out after 1 s');
  });

  it('keeps at most maxOutputBytes of output for the audit', async () => {
    const { results } = await run(fixtureHost([hooked('loud', 61005, { targets: { hooks: { onCreate: [script, 'first'], timeoutSeconds: 5 } } })]));
    const detail = results[0]?.detail as { stdout: string };
    expect(detail.stdout).toBe(`${'x'.repeat(64)}\n[… 936 more bytes not kept]`);
  });

  it('reports a missing program as a failed change, not a crash', async () => {
    const { results } = await run(fixtureHost([hooked('dan', 61006, { targets: { hooks: { onCreate: [join(dir, 'nope')], timeoutSeconds: 5 } } })]));
    expect(results[0]?.ok).toBe(false);
    expect(results[0]?.error).toMatch(/ENOENT/);
  });

  it('waits while an account is disabled, and runs onCreate when it is first enabled', async () => {
    const frozen = fixtureHost([hooked('erin', 61007, { holds: [FREEZE_BILLING], disabled: true })]);
    expect((await run(frozen)).changes).toEqual([]);
    const { changes } = await run(fixtureHost([hooked('erin', 61007)]));
    expect(changes.map((c) => c.summary)).toEqual([`run onCreate for erin: ${script} first`, `run onEnsure for erin: ${script} again`]);
  });

  it('on the first run adopts accounts already in /etc/passwd instead of running their onCreate; records types without onCreate', async () => {
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nold:x:61008:61008::/home/old:/bin/sh\n');
    const desired = fixtureHost([hooked('old', 61008, { targets: { hooks: { onCreate: [script, 'first'], timeoutSeconds: 5 } } }), fixtureAccount('plain', 61009), hooked('new', 61010, { targets: { hooks: { onCreate: [script, 'first'], timeoutSeconds: 5 } } })]);
    const { changes, results } = await run(desired);
    expect(changes.map((c) => c.summary)).toEqual(['record 2 accounts as created (1 adopted from /etc/passwd, 1 without an onCreate hook)', `run onCreate for new: ${script} first`]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(logLines().map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['first create new']);
    expect((await run(desired)).changes).toEqual([]);
  });

  it('ignores a torn last line of the state file (an interrupted append), so that onCreate runs again', async () => {
    const desired = fixtureHost([hooked('gus', 61011, { targets: { hooks: { onCreate: [script, 'first'], timeoutSeconds: 5 } } })]);
    mkdirSync(join(root, 'var/lib/roster'), { recursive: true });
    writeFileSync(join(root, 'var/lib/roster/hooks-created.tsv'), 'old\t61000\tadopted\t2026-01-01T00:00:00.000Z\ngus\t61011\tonCr');
    const { changes } = await run(desired);
    expect(changes.map((c) => c.summary)).toEqual([`run onCreate for gus: ${script} first`]);
    // The record of the rerun is on a line of its own, so it counts.
    expect((await run(desired)).changes).toEqual([]);
  });

  it('config: refuses ROSTER_ variables and a relative state file', () => {
    expect(hooksConfigSchema.safeParse({ environment: { ROSTER_UID: '0' } }).success).toBe(false);
    expect(hooksConfigSchema.safeParse({ stateFile: 'state.jsonl' }).success).toBe(false);
    expect(hooksConfigSchema.parse({}).stateFile).toBe('/var/lib/roster/hooks-created.tsv');
  });
});
