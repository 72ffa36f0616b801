import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredAccount, DesiredHost } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import type { Change, TargetContext } from '../target.js';
import type { HomeArchiveManifest } from './home-archive.js';
import { homesConfigSchema, type HomesConfig } from './homes-config.js';
import { homesTarget } from './homes-target.js';
import { homesTypeSettingsSchema, type HomesEntry } from './homes-type-settings.js';

let root: string;
let ctx: TargetContext;
const config: HomesConfig = homesConfigSchema.parse({ base: ['/home'], archiveDir: '/var/lib/roster/archive' });

async function plan(desired: DesiredHost, c: HomesConfig = config): Promise<readonly Change[]> {
  return homesTarget.plan(desired, await homesTarget.observe(ctx, c, desired), c);
}

async function converge(desired: DesiredHost, c: HomesConfig = config): Promise<{ changes: readonly Change[]; results: Awaited<ReturnType<typeof homesTarget.apply>> }> {
  const changes = await plan(desired, c);
  return { changes, results: await homesTarget.apply(ctx, c, changes, desired) };
}

/** Every entry under a directory with type, mode, owner and SHA-256: what must survive purge and restore. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const path = rel === '' ? dir : join(dir, rel);
    const st = lstatSync(path);
    const mode = (st.mode & 0o7777).toString(8);
    let what = 'dir';
    if (st.isFile()) what = `file ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    else if (st.isSymbolicLink()) what = `link ${readlinkSync(path)}`;
    out.push(`${rel || '.'} ${what} ${st.isSymbolicLink() ? '' : mode} ${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}

function skeleton(): void {
  mkdirSync(join(root, 'etc/skel/.config'), { recursive: true });
  writeFileSync(join(root, 'etc/skel/.bashrc'), '# bashrc\n', { mode: 0o644 });
  writeFileSync(join(root, 'etc/skel/.config/app.conf'), 'x=1\n', { mode: 0o600 });
  writeFileSync(join(root, 'etc/motd'), 'hello\n');
}

/** An account whose type sets these homes settings (the rest at their defaults). */
const homes = (over: Partial<HomesEntry>): Partial<DesiredAccount> => ({ targets: { homes: { ...homesTypeSettingsSchema.parse({}), ...over } } });

const withSkel = (name: string, uid: number, over: Partial<DesiredAccount> = {}, homesOver: Partial<HomesEntry> = {}): DesiredAccount =>
  fixtureAccount(name, uid, {
    ...homes({
      skeleton: { copy: [{ from: '/etc/skel/.bashrc', to: '.bashrc' }, { from: '/etc/skel/.config', to: '.config' }], link: [{ from: '/etc/motd', to: 'notes/motd' }] },
      ...homesOver,
    }),
    ...over,
  });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'roster-homes-'));
  ctx = { root, host: 'shell', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } };
  skeleton();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('homes target: creation', () => {
  it('creates a home with the type mode, owner and primary group, and copies and links the skeleton', async () => {
    const desired = fixtureHost([withSkel('alice', 61001, { gid: 62000 })]);
    const { changes, results } = await converge(desired);
    expect(changes.map((c) => `${c.action} ${c.subject}`)).toEqual(['create user:alice']);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(listing(join(root, 'home/alice'))).toEqual([
      `. dir 750 61001:62000`,
      `.bashrc file ${createHash('sha256').update('# bashrc\n').digest('hex')} 644 61001:62000`,
      `.config dir 755 61001:62000`,
      `.config/app.conf file ${createHash('sha256').update('x=1\n').digest('hex')} 600 61001:62000`,
      `notes dir 755 61001:62000`,
      `notes/motd link /etc/motd  61001:62000`,
    ]);
    // Nothing but the home appeared in the base: no staging directory left behind.
    expect(readdirSync(join(root, 'home'))).toEqual(['alice']);
    expect(await plan(desired)).toEqual([]);
  });

  it('a skeleton source that is not there is skipped with a warning naming it; the home is made with the rest', async () => {
    rmSync(join(root, 'etc/skel/.bashrc'));
    const desired = fixtureHost([withSkel('erin', 61010)]);
    const { results } = await converge(desired);
    expect(results.map((r) => [r.ok, r.warnings])).toEqual([[true, ['skeleton file /etc/skel/.bashrc does not exist on this host; the home was made without it']]]);
    expect(results[0]?.detail).toEqual({ copied: 1, linked: 1, missing: ['/etc/skel/.bashrc'] });
    expect(readdirSync(join(root, 'home/erin')).sort()).toEqual(['.config', 'notes']);
    expect(await plan(desired)).toEqual([]);
  });

  it('refuses a skeleton source whose directory leads out of the root through a symlink', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'roster-outside-'));
    try {
      writeFileSync(join(outside, 'secret'), 'not yours\n');
      symlinkSync(outside, join(root, 'etc/elsewhere'));
      const desired = fixtureHost([fixtureAccount('finn', 61011, homes({ skeleton: { copy: [{ from: '/etc/elsewhere/secret', to: 'secret' }], link: [] } }))]);
      const { results } = await converge(desired);
      expect(results[0]?.ok).toBe(false);
      expect(results[0]?.error).toMatch(/skeleton source \/etc\/elsewhere\/secret escapes the root/);
      expect(existsSync(join(root, 'home/finn'))).toBe(false);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('homeOwner root: the home belongs to root and the primary group, the skeleton to the user', async () => {
    const desired = fixtureHost([withSkel('bob', 61002, {}, { owner: 'root', mode: 0o2770 })]);
    await converge(desired);
    const st = lstatSync(join(root, 'home/bob'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, 61002, 0o2770]);
    expect(lstatSync(join(root, 'home/bob/.bashrc')).uid).toBe(61002);
    expect(await plan(desired)).toEqual([]);
  });

  it('copies the skeleton into new homes only: an existing home is never filled or overwritten', async () => {
    mkdirSync(join(root, 'home/carol'), { recursive: true });
    chownSync(join(root, 'home/carol'), 61003, 61003);
    chmodSync(join(root, 'home/carol'), 0o750);
    writeFileSync(join(root, 'home/carol/.bashrc'), 'mine\n');
    const desired = fixtureHost([withSkel('carol', 61003)]);
    expect(await plan(desired)).toEqual([]);
    expect(readFileSync(join(root, 'home/carol/.bashrc'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(root, 'home/carol/.config'))).toBe(false);
  });

  it('corrects mode and owner drift of an existing home, without touching its content', async () => {
    const desired = fixtureHost([withSkel('dave', 61004)]);
    await converge(desired);
    chmodSync(join(root, 'home/dave'), 0o777);
    chownSync(join(root, 'home/dave'), 0, 0);
    const { changes, results } = await converge(desired);
    expect(changes.map((c) => c.action)).toEqual(['update']);
    expect(results[0]?.ok).toBe(true);
    const st = lstatSync(join(root, 'home/dave'));
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o750, 61004, 61004]);
    expect(lstatSync(join(root, 'home/dave/.bashrc')).mode & 0o777).toBe(0o644);
  });

  it('leaves the homes of disabled accounts untouched, even missing or drifted ones', async () => {
    mkdirSync(join(root, 'home/erin'), { recursive: true });
    chmodSync(join(root, 'home/erin'), 0o700);
    const desired = fixtureHost([withSkel('erin', 61005, { holds: [FREEZE_BILLING], disabled: true }), withSkel('fred', 61006, { holds: [FREEZE_BILLING], disabled: true })]);
    expect(await plan(desired)).toEqual([]);
  });
});

describe('homes target: refusals', () => {
  it('refuses a home outside the configured bases, and creates nothing', async () => {
    const desired = fixtureHost([withSkel('gina', 61007, { home: '/srv/gina' }), withSkel('hal', 61008, { home: '/home' })]);
    const { changes, results } = await converge(desired);
    expect(changes.map((c) => `${c.action} ${c.subject}`)).toEqual(['refuse user:gina', 'refuse user:hal']);
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(results[0]?.error).toMatch(/outside the allowed bases \(\/home\)/);
    expect(existsSync(join(root, 'srv'))).toBe(false);
    expect(existsSync(join(root, 'home'))).toBe(false);
  });

  it('does not touch anything through a home whose parent is a symlink (to the root\'s /etc)', async () => {
    // Inside the temp root only: the attack is /home/evil -> /etc, here <root>/home/evil -> <root>/etc.
    mkdirSync(join(root, 'home'));
    symlinkSync(join(root, 'etc'), join(root, 'home/evil'));
    const before = listing(join(root, 'etc'));
    const desired = fixtureHost([withSkel('ivy', 61009, { home: '/home/evil/ivy' }), withSkel('skel', 61010, { home: '/home/evil/skel' })]);
    const { changes, results } = await converge(desired);
    expect(changes.map((c) => c.action)).toEqual(['refuse', 'refuse']);
    expect(results.every((r) => !r.ok && (r.error ?? '').includes('/home/evil is a symbolic link'))).toBe(true);
    expect(listing(join(root, 'etc'))).toEqual(before);
  });

  it('never chowns, archives or removes a home that is itself a symlink', async () => {
    mkdirSync(join(root, 'home'));
    symlinkSync(join(root, 'etc'), join(root, 'home/jack'));
    symlinkSync(join(root, 'etc'), join(root, 'home/kate'));
    const before = listing(join(root, 'etc'));
    const desired = fixtureHost([withSkel('jack', 61011)], { removed: [{ username: 'kate', uid: 61012, home: '/home/kate', purgedAt: '2026-11-01T00:00:00.000Z' }] });
    const { changes, results } = await converge(desired);
    expect(changes.map((c) => `${c.action} ${c.subject}`)).toEqual(['refuse user:jack', 'refuse user:kate']);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(listing(join(root, 'etc'))).toEqual(before);
    expect(lstatSync(join(root, 'home/kate')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(root, 'var/lib/roster/archive'))).toBe(false);
  });

  it('refuses to remove a purged account\'s home that now belongs to another UID', async () => {
    mkdirSync(join(root, 'home/lou'), { recursive: true });
    chownSync(join(root, 'home/lou'), 61999, 61999);
    const desired = fixtureHost([], { removed: [{ username: 'lou', uid: 61013, home: '/home/lou', purgedAt: '2026-11-01T00:00:00.000Z' }] });
    const changes = await plan(desired);
    expect(changes.map((c) => c.action)).toEqual(['refuse']);
    expect(changes[0]?.summary).toMatch(/belongs to uid 61999/);
  });
});

describe('homes target: purge, archive and restore', () => {
  const purgedAt = '2026-11-20T04:50:00.000Z';

  function populate(): void {
    const home = join(root, 'home/mia');
    mkdirSync(join(home, 'www/private'), { recursive: true });
    writeFileSync(join(home, 'notes.txt'), 'secret plans\n', { mode: 0o600 });
    writeFileSync(join(home, 'www/index.html'), '<h1>mia</h1>\n', { mode: 0o644 });
    writeFileSync(join(home, 'www/private/run.sh'), '#!/bin/sh\n', { mode: 0o4750 });
    symlinkSync('/etc/passwd', join(home, 'passwd-link'));
    symlinkSync('www/index.html', join(home, 'index'));
    for (const p of ['', 'notes.txt', 'www', 'www/index.html', 'www/private', 'www/private/run.sh']) chownSync(join(home, p), 61014, 61014);
    chownSync(join(home, 'www/private'), 61014, 33);
    chmodSync(join(home, 'www/private'), 0o2750);
    chmodSync(join(home, 'www/private/run.sh'), 0o4750);
    chmodSync(home, 0o751);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nmia:x:61014:61014:Mia:/home/mia:/bin/bash\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\nmia:$y$j9T$x$y:20000:0:99999:7:::\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nmia:x:61014:\nwww-data:x:33:mia,bob\nstaff:x:50:bob\n');
  }

  it('archives a purged home with a SHA-256 manifest and the account lines, removes it, and restores it identically', async () => {
    populate();
    const before = listing(join(root, 'home/mia'));
    const removed = fixtureHost([], { removed: [{ username: 'mia', uid: 61014, home: '/home/mia', purgedAt }] });
    const { changes, results } = await converge(removed);
    expect(changes.map((c) => `${c.action}${c.destructive ? '!' : ''}`)).toEqual(['archive', 'remove!']);
    expect(results.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok']);
    expect(existsSync(join(root, 'home/mia'))).toBe(false);
    expect(readdirSync(join(root, 'home'))).toEqual([]);
    expect(await plan(removed)).toEqual([]);

    const dir = join(root, 'var/lib/roster/archive');
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    const stem = 'mia-61014-20261120T045000000Z';
    expect(readdirSync(dir).sort()).toEqual([`${stem}.manifest.json`, `${stem}.tar`]);
    const manifest = JSON.parse(readFileSync(join(dir, `${stem}.manifest.json`), 'utf8')) as HomeArchiveManifest;
    expect(manifest.tar.sha256).toBe(createHash('sha256').update(readFileSync(join(dir, `${stem}.tar`))).digest('hex'));
    expect(manifest.entries.find((e) => e.path === './notes.txt')).toEqual({ path: './notes.txt', type: 'file', mode: 0o600, uid: 61014, gid: 61014, size: 13, sha256: createHash('sha256').update('secret plans\n').digest('hex') });
    expect(manifest.entries.find((e) => e.path === './passwd-link')).toMatchObject({ type: 'symlink', target: '/etc/passwd' });
    expect(manifest.lines).toEqual({
      passwd: ['mia:x:61014:61014:Mia:/home/mia:/bin/bash'],
      shadow: ['mia:$y$j9T$x$y:20000:0:99999:7:::'],
      group: ['mia:x:61014:', 'www-data:x:33:mia,bob'],
      gshadow: [],
    });
    // GNU tar as a judge: the archive lists the setuid file with its numeric owner.
    const tv = execFileSync('tar', ['-tvf', join(dir, `${stem}.tar`), '--numeric-owner'], { encoding: 'utf8' });
    expect(tv).toMatch(/-rwsr-x--- 61014\/61014 .* \.\/www\/private\/run\.sh/);

    // Restore: the account is back (same username and UID) and its home is missing.
    const back = fixtureHost([fixtureAccount('mia', 61014, homes({ mode: 0o751, skeleton: { copy: [{ from: '/etc/skel/.bashrc', to: '.bashrc' }], link: [] } }))]);
    const restored = await converge(back);
    expect(restored.changes.map((c) => c.action)).toEqual(['restore']);
    expect(restored.results[0]?.error).toBeUndefined();
    expect(listing(join(root, 'home/mia'))).toEqual(before);
    expect(existsSync(join(root, 'home/mia/.bashrc'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([`${stem}.restored.json`, `${stem}.tar`]);
    expect(readdirSync(join(root, 'home'))).toEqual(['mia']);
    expect(await plan(back)).toEqual([]);
  });

  it('does not remove the home when the archive cannot be written', async () => {
    populate();
    // An archive dir that is a symlink is refused, so the archive fails.
    mkdirSync(join(root, 'var/lib/roster'), { recursive: true });
    symlinkSync(join(root, 'etc'), join(root, 'var/lib/roster/archive'));
    const removed = fixtureHost([], { removed: [{ username: 'mia', uid: 61014, home: '/home/mia', purgedAt }] });
    const { results } = await converge(removed);
    expect(results[0]?.ok).toBe(false);
    expect(results[0]?.error).toMatch(/symbolic link/);
    expect(results[1]?.ok).toBe(false);
    expect(results[1]?.error).toMatch(/skipped/);
    expect(existsSync(join(root, 'home/mia/notes.txt'))).toBe(true);
  });

  it('removes without an archive when archiving is off', async () => {
    populate();
    const off = homesConfigSchema.parse({ base: '/home', archive: false });
    const removed = fixtureHost([], { removed: [{ username: 'mia', uid: 61014, home: '/home/mia', purgedAt }] });
    const { changes, results } = await converge(removed, off);
    expect(changes.map((c) => c.action)).toEqual(['remove']);
    expect(results[0]?.ok).toBe(true);
    expect(existsSync(join(root, 'home/mia'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/roster/archive'))).toBe(false);
  });

  it('refuses to restore an archive whose tarball no longer matches its manifest', async () => {
    populate();
    const removed = fixtureHost([], { removed: [{ username: 'mia', uid: 61014, home: '/home/mia', purgedAt }] });
    await converge(removed);
    const tar = join(root, 'var/lib/roster/archive/mia-61014-20261120T045000000Z.tar');
    const bytes = readFileSync(tar);
    bytes[600] = (bytes[600] ?? 0) ^ 0xff;
    writeFileSync(tar, bytes);
    const { results } = await converge(fixtureHost([fixtureAccount('mia', 61014)]));
    expect(results[0]?.ok).toBe(false);
    expect(results[0]?.error).toMatch(/does not match its manifest/);
    expect(existsSync(join(root, 'home/mia'))).toBe(false);
    expect(readdirSync(join(root, 'home'))).toEqual([]);
  });
});

describe('homes config', () => {
  it('accepts one base or a list, and refuses / and unnormalised paths', () => {
    expect(homesConfigSchema.parse({}).base).toEqual(['/home']);
    expect(homesConfigSchema.parse({ base: '/srv/homes' }).base).toEqual(['/srv/homes']);
    expect(homesConfigSchema.safeParse({ base: '/' }).success).toBe(false);
    expect(homesConfigSchema.safeParse({ base: ['/home/'] }).success).toBe(false);
    expect(homesConfigSchema.safeParse({ base: ['/home/../etc'] }).success).toBe(false);
    expect(homesConfigSchema.safeParse({ bases: ['/home'] }).success).toBe(false);
  });
});
