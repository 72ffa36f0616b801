import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { createFlag, ensureFlagDir, flagText, readFlagDir, removeFlag } from './suspension-flags.js';
import { vhostSettingsSchema } from './vhost-kind.js';
import { vhostsCheck } from './vhosts-check.js';
import { vhostsConfigSchema, type VhostsConfig } from './vhosts-config.js';
import { vhostsTarget } from './vhosts-target.js';

const FLAGS = '/var/lib/roster-vhosts/suspended';

describe('suspension flags', () => {
  let root: string;
  let dir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-flags-'));
    dir = join(root, FLAGS);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("reads Roster's flags and every other file the servers' -f would find (links to a file too), skipping dot files, directories and dangling links", async () => {
    expect(readFlagDir(dir).size).toBe(0);
    await ensureFlagDir(dir);
    await createFlag(dir, 'www.ann.test');
    await writeFile(join(dir, 'www.bo.test'), '');
    await writeFile(join(dir, 'copy.test'), flagText('www.ann.test'));
    await writeFile(join(dir, '.www.cy.test.roster-1-x'), flagText('www.cy.test'));
    await mkdir(join(dir, 'a.dir.test'));
    await symlink(join(dir, 'www.ann.test'), join(dir, 'link.test'));
    await symlink(join(dir, 'nothing'), join(dir, 'dangling.test'));
    expect(Object.fromEntries([...readFlagDir(dir)].map(([n, f]) => [n, f.managed]))).toEqual({ 'www.ann.test': true, 'www.bo.test': false, 'copy.test': false, 'link.test': false });
  });

  it('makes the directory 0755 down from the first missing one whatever the umask, and flags 0644 holding no more than what they are', async () => {
    await mkdir(join(root, 'var'), { mode: 0o700 });
    const umask = process.umask(0o077);
    try {
      await ensureFlagDir(dir);
      await createFlag(dir, 'www.ann.test');
    } finally {
      process.umask(umask);
    }
    // The administrator's directory is left as it was; Roster's own are 0755.
    expect((await stat(join(root, 'var'))).mode & 0o777).toBe(0o700);
    for (const d of ['var/lib', 'var/lib/roster-vhosts', 'var/lib/roster-vhosts/suspended']) expect([d, (await stat(join(root, d))).mode & 0o777]).toEqual([d, 0o755]);
    expect((await stat(join(dir, 'www.ann.test'))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir, 'www.ann.test'), 'utf8')).toBe('Suspended by Roster: www.ann.test answers 503 with the suspended page while this file exists.\n');
    expect(await readdir(dir)).toEqual(['www.ann.test']);
  });

  it("creating and removing are idempotent and leave someone else's file alone", async () => {
    await ensureFlagDir(dir);
    await createFlag(dir, 'www.ann.test');
    await createFlag(dir, 'www.ann.test');
    await removeFlag(dir, 'www.ann.test');
    await removeFlag(dir, 'www.ann.test');
    expect(await readdir(dir)).toEqual([]);
    await writeFile(join(dir, 'www.bo.test'), 'maintenance\n');
    await expect(createFlag(dir, 'www.bo.test')).rejects.toMatchObject({ code: 'conflict', message: `${join(dir, 'www.bo.test')} exists and was not written by Roster; left alone` });
    await expect(removeFlag(dir, 'www.bo.test')).rejects.toMatchObject({ code: 'conflict' });
    await mkdir(join(dir, 'www.cy.test'));
    await expect(removeFlag(dir, 'www.cy.test')).rejects.toMatchObject({ code: 'conflict', message: `${join(dir, 'www.cy.test')} is not a flag Roster wrote; left alone` });
    expect((await readdir(dir)).sort()).toEqual(['www.bo.test', 'www.cy.test']);
    expect(await readFile(join(dir, 'www.bo.test'), 'utf8')).toBe('maintenance\n');
  });
});

describe('the vhosts target applying flags', () => {
  let root: string;
  let log: string;
  let config: VhostsConfig;
  const ctx = (): { root: string; host: string; clock: ReturnType<typeof fixedClock>; log: { info: () => void; warn: () => void } } => ({ root, host: 'web', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });
  const ann = fixtureAccount('ann', 2000);
  const site: DesiredResource = { id: 1, kind: 'vhost', name: 'www.ann.test', owner: 'ann', settings: vhostSettingsSchema.parse({ root: 'public_html' }) };
  const desired = (frozen: boolean): DesiredHost => ({ ...fixtureHost([frozen ? { ...ann, holds: [FREEZE_BILLING], disabled: true } : ann]), resources: { vhosts: [site] } });
  const run = async (d: DesiredHost): Promise<Array<[string, boolean, string | undefined]>> => {
    const c = ctx();
    const changes = vhostsTarget.plan(d, await vhostsTarget.observe(c, config, d), config);
    return (await vhostsTarget.apply(c, config, changes, d)).map((r) => [r.change.action, r.ok, r.error]);
  };
  const commandsRun = async (): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-flags-apply-'));
    log = join(root, 'commands.log');
    // The check and the reload only say that they ran: a real server is in vhosts-target.int.test.ts.
    config = vhostsConfigSchema.parse({ server: 'nginx', dir: '/etc/nginx/roster', test: ['sh', '-c', `echo test >> ${log}`], reload: ['sh', '-c', `echo reload >> ${log}`] });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a freeze and an unfreeze touch only the flag: no check, no reload, the vhost file byte for byte the same', async () => {
    expect(await run(desired(false))).toEqual([['create', true, undefined]]);
    expect(await commandsRun()).toEqual(['test', 'reload']);
    const file = join(root, 'etc/nginx/roster/roster-vhost-www.ann.test.conf');
    const before = await readFile(file, 'utf8');
    expect(await run(desired(true))).toEqual([['suspend', true, undefined]]);
    expect(await readdir(join(root, FLAGS))).toEqual(['www.ann.test']);
    expect(await run(desired(true))).toEqual([]);
    expect(await run(desired(false))).toEqual([['resume', true, undefined]]);
    expect(await readdir(join(root, FLAGS))).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await commandsRun()).toEqual(['test', 'reload']);
  });

  it("a flag that cannot be made fails the change and writes no file that would serve the frozen member's site", async () => {
    const d = desired(true);
    const changes = vhostsTarget.plan(d, await vhostsTarget.observe(ctx(), config, d), config);
    // Between the plan and the apply, a file of someone else's where the directory should be.
    await mkdir(join(root, 'var/lib/roster-vhosts'), { recursive: true });
    await writeFile(join(root, FLAGS), 'not a directory\n');
    const outcome = (await vhostsTarget.apply(ctx(), config, changes, d)).map((r) => [r.change.action, r.ok, r.error]);
    expect(outcome).toEqual([['create', false, expect.stringMatching(/^cannot make the suspension flag directory \/var\/lib\/roster-vhosts\/suspended: EEXIST/)]]);
    // Observe says so too, rather than taking the file for no flags.
    await expect(vhostsTarget.observe(ctx(), config, d)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('cannot read the suspension flag directory') });
    expect(await readdir(join(root, 'etc/nginx/roster')).catch(() => [])).toEqual([]);
    expect(await commandsRun()).toEqual([]);
  });

  it('roster doctor: fine while the directory is missing or searchable, a warning where the web server may not search, a failure where a file is in the way', async () => {
    const flagCheck = async (): Promise<{ status: string; message: string; fix?: string } | undefined> => {
      const checks = await vhostsCheck({ host: 'web', root, config: {} as never, system: liveSystem() }, { ...config, test: ['true'] });
      expect(checks[0]).toMatchObject({ check: 'web server config', status: 'ok' });
      return checks.find((c) => c.check === 'vhost suspension flags');
    };
    expect(await flagCheck()).toMatchObject({ status: 'ok', message: `${FLAGS} does not exist yet: the first suspension makes it, 0755 from /var down` });
    await mkdir(join(root, 'var/lib'), { recursive: true });
    await chmod(join(root, 'var/lib'), 0o750);
    expect(await flagCheck()).toMatchObject({ status: 'warn', message: expect.stringMatching(/^\/var\/lib \(mode 0750\) may not be searched by others/), fix: 'chmod o+x /var/lib' });
    await chmod(join(root, 'var/lib'), 0o755);
    await ensureFlagDir(join(root, FLAGS));
    expect(await flagCheck()).toMatchObject({ status: 'ok', message: `${FLAGS} exists and others may search every directory down to it` });
    await rm(join(root, 'var/lib/roster-vhosts'), { recursive: true });
    await writeFile(join(root, 'var/lib/roster-vhosts'), '');
    expect(await flagCheck()).toMatchObject({ status: 'fail', message: `/var/lib/roster-vhosts is not a directory, so no suspension flag can be made in ${FLAGS}` });
  });
});
