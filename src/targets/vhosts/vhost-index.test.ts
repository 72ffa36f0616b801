import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FREEZE_BILLING, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredAccount, DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import { WholeHostNeeded, type TargetContext } from '../target.js';
import { vhostSettingsSchema } from './vhost-kind.js';
import { dirStamp, INDEX_PATH, readOwners, writeOwners } from './vhost-index.js';
import { vhostsConfigSchema, type VhostsConfig } from './vhosts-config.js';
import { vhostsTarget, type VhostsObserved } from './vhosts-target.js';

const DIR = '/etc/nginx/roster';

describe('the record of who owns the vhost files', () => {
  let root: string;
  let log: string;
  let config: VhostsConfig;
  const ctx = (): TargetContext => ({ root, host: 'web', clock: fixedClock(new Date('2026-11-23T12:00:00Z')), log: { info: () => undefined, warn: () => undefined } });
  const ann = fixtureAccount('ann', 2000);
  const bo = fixtureAccount('bo', 2001);
  const frozen = (a: DesiredAccount): DesiredAccount => ({ ...a, holds: [FREEZE_BILLING], disabled: true });
  const vhost = (id: number, owner: string, name: string): DesiredResource => ({ id, kind: 'vhost', name, owner, settings: vhostSettingsSchema.parse({ root: 'public_html' }) });
  const sites = [vhost(1, 'ann', 'www.ann.test'), vhost(2, 'ann', 'blog.ann.test'), vhost(3, 'bo', 'www.bo.test')];
  /** The whole host, or (with `scope`) its accounts alone, as the projection gives them. */
  const desired = (accounts: readonly DesiredAccount[], resources: readonly DesiredResource[], scope?: readonly string[]): DesiredHost => {
    const living = scope === undefined ? accounts : accounts.filter((a) => scope.includes(a.username));
    return { ...fixtureHost(living), resources: { vhosts: resources.filter((r) => scope === undefined || scope.includes(r.owner)) }, ...(scope === undefined ? {} : { scope }) };
  };
  const observe = (d: DesiredHost): Promise<VhostsObserved> => vhostsTarget.observe(ctx(), config, d);
  const run = async (d: DesiredHost): Promise<Array<[string, string, boolean]>> => {
    const changes = vhostsTarget.plan(d, await observe(d), config);
    return (await vhostsTarget.apply(ctx(), config, changes, d)).map((r) => [r.change.action, r.change.subject, r.ok]);
  };
  const record = (): Promise<unknown> => readFile(join(root, INDEX_PATH), 'utf8').then((t) => JSON.parse(t) as unknown, () => null);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-vhost-index-'));
    log = join(root, 'commands.log');
    // The check fails while a file says BAD; the reload only says that it ran (a real server is in vhosts-target.int.test.ts).
    config = vhostsConfigSchema.parse({ server: 'nginx', dir: DIR, test: ['sh', '-c', `! grep -q BAD ${join(root, DIR)}/*.conf`], reload: ['sh', '-c', `echo reload >> ${log}`] });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is written with the files, and holds for the directory as long as no file is added, removed or renamed there', async () => {
    const dir = join(root, DIR);
    expect(dirStamp(dir)).toBeNull();
    expect(await run(desired([ann, bo], sites))).toEqual([
      ['create', 'vhost:www.ann.test', true],
      ['create', 'vhost:blog.ann.test', true],
      ['create', 'vhost:www.bo.test', true],
    ]);
    expect(await record()).toEqual({
      version: 1,
      dir: DIR,
      stamp: dirStamp(dir),
      owners: { ann: ['roster-vhost-blog.ann.test.conf', 'roster-vhost-www.ann.test.conf'], bo: ['roster-vhost-www.bo.test.conf'] },
    });
    const owners = readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir));
    expect(owners === null ? null : Object.fromEntries(owners.all())).toEqual({ 'roster-vhost-blog.ann.test.conf': 'ann', 'roster-vhost-www.ann.test.conf': 'ann', 'roster-vhost-www.bo.test.conf': 'bo' });
    expect(owners?.filesOf('ann')).toEqual(['roster-vhost-blog.ann.test.conf', 'roster-vhost-www.ann.test.conf']);
    expect(owners?.filesOf('nobody')).toEqual([]);
    expect(owners?.filesOf('constructor')).toEqual([]);
    expect(readOwners(join(root, INDEX_PATH), '/etc/nginx/other', dirStamp(dir))).toBeNull();
    const before = dirStamp(dir);
    await writeFile(join(dir, 'admin.conf'), 'server { server_name admin.test; }\n');
    expect(dirStamp(dir)).not.toBe(before);
    expect(readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir))).toBeNull();
    await writeFile(join(root, INDEX_PATH), '{"version":1');
    expect(readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir))).toBeNull();
    await writeOwners(join(root, INDEX_PATH), DIR, dirStamp(dir) ?? '', new Map([['roster-vhost-www.bo.test.conf', 'bo']]));
    expect(readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir))?.filesOf('bo')).toEqual(['roster-vhost-www.bo.test.conf']);
    await writeFile(join(root, INDEX_PATH), JSON.stringify({ version: 1, dir: DIR, stamp: dirStamp(dir), owners: { bo: 'not a list', ann: ['a.conf', 7] } }));
    expect(readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir))?.filesOf('bo')).toEqual([]);
    expect(readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir))?.filesOf('ann')).toEqual(['a.conf']);
    await writeFile(join(root, INDEX_PATH), JSON.stringify({ version: 2, dir: DIR, stamp: dirStamp(dir), owners: {} }));
    expect(readOwners(join(root, INDEX_PATH), DIR, dirStamp(dir))).toBeNull();
  });

  it("a freeze of one account reads that account's files and flags alone, and plans what the whole host's plan plans for it", async () => {
    await run(desired([ann, bo], sites));
    const scoped = desired([frozen(ann), bo], sites, ['ann']);
    const seen = await observe(scoped);
    expect(seen.complete).toBe(false);
    expect([...seen.files.keys()].sort()).toEqual(['roster-vhost-blog.ann.test.conf', 'roster-vhost-www.ann.test.conf']);
    const whole = desired([frozen(ann), bo], sites);
    const view = (d: DesiredHost, o: VhostsObserved): string[] => vhostsTarget.plan(d, o, config).map((c) => `${c.action} ${c.subject}`);
    expect(view(scoped, seen)).toEqual(view(whole, await observe(whole)));
    expect(await run(scoped)).toEqual([
      ['suspend', 'vhost:www.ann.test', true],
      ['suspend', 'vhost:blog.ann.test', true],
    ]);
    // The flags are read by name too.
    const again = await observe(desired([ann, bo], sites, ['ann']));
    expect([...again.flags.keys()].sort()).toEqual(['blog.ann.test', 'www.ann.test']);
    expect(await run(desired([ann, bo], sites, ['ann']))).toEqual([
      ['resume', 'vhost:www.ann.test', true],
      ['resume', 'vhost:blog.ann.test', true],
    ]);
    expect(await readFile(log, 'utf8')).toBe('reload\n');
  });

  it('finds through the record a file of the account that is no longer desired, and asks for the whole host where a file is to be written', async () => {
    await run(desired([ann, bo], sites));
    const withoutBlog = sites.filter((r) => r.name !== 'blog.ann.test');
    expect(vhostsTarget.plan(desired([ann, bo], withoutBlog, ['ann']), await observe(desired([ann, bo], withoutBlog, ['ann'])), config).map((c) => [c.action, c.subject, c.destructive])).toEqual([['remove', 'vhost:blog.ann.test', true]]);
    const more = [...sites, vhost(4, 'ann', 'shop.ann.test')];
    const scoped = desired([ann, bo], more, ['ann']);
    const partial = await observe(scoped);
    expect(partial.complete).toBe(false);
    expect(() => vhostsTarget.plan(scoped, partial, config)).toThrow(WholeHostNeeded);
    expect(() => vhostsTarget.plan(scoped, partial, config)).toThrow('vhosts: the file of shop.ann.test is to be written, and is checked against the names every other file of /etc/nginx/roster serves');
  });

  it('a directory changed behind its back is read whole, and the next apply records it again; a refused check forgets the record', async () => {
    await run(desired([ann, bo], sites));
    await writeFile(join(root, DIR, 'admin.conf'), 'server { server_name admin.test; }\n');
    const scoped = desired([frozen(ann), bo], sites, ['ann']);
    const seen = await observe(scoped);
    expect(seen.complete).toBe(true);
    expect(await run(scoped)).toEqual([
      ['suspend', 'vhost:www.ann.test', true],
      ['suspend', 'vhost:blog.ann.test', true],
    ]);
    expect((await observe(desired([ann, bo], sites, ['ann']))).complete).toBe(false);
    // A new vhost the check refuses: its file is taken back, and so is the record.
    await writeFile(join(root, DIR, 'admin.conf'), 'BAD\n');
    expect(await run(desired([frozen(ann), bo], [...sites, vhost(4, 'bo', 'shop.bo.test')]))).toEqual([['create', 'vhost:shop.bo.test', false]]);
    expect(await record()).toBeNull();
    expect((await readdir(join(root, DIR))).sort()).toEqual(['admin.conf', 'roster-vhost-blog.ann.test.conf', 'roster-vhost-www.ann.test.conf', 'roster-vhost-www.bo.test.conf']);
    expect((await observe(desired([ann, bo], sites, ['ann']))).complete).toBe(true);
  });
});
