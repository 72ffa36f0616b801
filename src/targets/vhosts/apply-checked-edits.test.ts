import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyCheckedEdits, type CheckCommands } from './apply-checked-edits.js';
import { configuredReload } from './reload-server.js';
import { vhostsConfigSchema, type VhostsConfig } from './vhosts-config.js';

/** Settings whose reload is `argv`. */
function reloadConfig(argv: readonly string[]): VhostsConfig {
  return vhostsConfigSchema.parse({ server: 'nginx', dir: '/etc/nginx/roster-vhosts', reload: argv });
}

/**
 * The write → check → reload-or-restore cycle with real files and real
 * commands standing in for the web server: the check fails while any file
 * of the dir says BAD, the reload appends a line to a log.
 */
describe('applyCheckedEdits', () => {
  let dir: string;
  let conf: string;
  let commands: CheckCommands;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-edits-'));
    conf = join(dir, 'conf');
    await mkdir(conf);
    commands = {
      test: ['sh', '-c', `if grep -l BAD ${conf}/*.conf; then echo "broken config" >&2; exit 1; fi`],
      reload: configuredReload(reloadConfig(['sh', '-c', `echo reloaded >> ${join(dir, 'reloads')}`]), '/'),
    };
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const reloads = async (): Promise<number> => (await readFile(join(dir, 'reloads'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').length;
  const files = async (): Promise<Record<string, string>> => Object.fromEntries(await Promise.all((await readdir(conf)).sort().map(async (n) => [n, await readFile(join(conf, n), 'utf8')] as const)));

  it('writes and removes, then reloads once when the check passes', async () => {
    await writeFile(join(conf, 'old.conf'), 'old\n');
    const outcomes = await applyCheckedEdits(
      [
        { path: join(conf, 'a.conf'), expected: null, content: 'a\n' },
        { path: join(conf, 'old.conf'), expected: 'old\n', content: null },
      ],
      commands,
    );
    expect(outcomes).toEqual([{ ok: true }, { ok: true }]);
    expect(await files()).toEqual({ 'a.conf': 'a\n' });
    expect(await reloads()).toBe(1);
  });

  it('keeps the edits the check accepts and puts back the one it refuses, then reloads once', async () => {
    await writeFile(join(conf, 'b.conf'), 'b before\n');
    await chmod(join(conf, 'b.conf'), 0o640);
    const outcomes = await applyCheckedEdits(
      [
        { path: join(conf, 'a.conf'), expected: null, content: 'a\n' },
        { path: join(conf, 'b.conf'), expected: 'b before\n', content: 'BAD\n' },
        { path: join(conf, 'c.conf'), expected: null, content: 'c\n' },
      ],
      commands,
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]?.error).toBe(`${commands.test.join(' ')}: exit 1: broken config; ${join(conf, 'b.conf')}; nothing was reloaded and the previous file is back`);
    expect(await files()).toEqual({ 'a.conf': 'a\n', 'b.conf': 'b before\n', 'c.conf': 'c\n' });
    expect((await stat(join(conf, 'b.conf'))).mode & 0o777).toBe(0o640);
    expect(await reloads()).toBe(1);
  });

  it('fails every edit without trying them one by one when the files as they were fail the check too', async () => {
    await writeFile(join(conf, 'planted.conf'), 'BAD\n');
    const outcomes = await applyCheckedEdits(
      [
        { path: join(conf, 'a.conf'), expected: null, content: 'a\n' },
        { path: join(conf, 'b.conf'), expected: null, content: 'b\n' },
      ],
      commands,
    );
    for (const o of outcomes) expect(o).toEqual({ ok: false, error: expect.stringMatching(/planted\.conf; nothing was reloaded and the previous files are back; the check fails without these changes too$/) });
    expect(await files()).toEqual({ 'planted.conf': 'BAD\n' });
    expect(await reloads()).toBe(0);
  });

  it('puts the files back when the reload fails, so the next run plans them again', async () => {
    await writeFile(join(conf, 'a.conf'), 'a before\n');
    await chmod(join(conf, 'a.conf'), 0o640);
    const outcomes = await applyCheckedEdits([{ path: join(conf, 'a.conf'), expected: 'a before\n', content: null }], { ...commands, reload: configuredReload(reloadConfig(['sh', '-c', 'echo no master >&2; exit 3']), '/') });
    expect(outcomes).toEqual([{ ok: false, error: 'the check passed but the reload failed: sh -c echo no master >&2; exit 3: exit 3: no master; the previous files are back' }]);
    expect(await files()).toEqual({ 'a.conf': 'a before\n' });
    // Removed, then put back: the mode is the one it had, not a new file's.
    expect((await stat(join(conf, 'a.conf'))).mode & 0o777).toBe(0o640);
  });

  it('leaves alone a file that changed since the plan read it', async () => {
    await writeFile(join(conf, 'a.conf'), 'edited by hand\n');
    const outcomes = await applyCheckedEdits([{ path: join(conf, 'a.conf'), expected: 'a before\n', content: 'a\n' }], commands);
    expect(outcomes).toEqual([{ ok: false, error: `${join(conf, 'a.conf')} changed since it was read; left alone` }]);
    expect(await files()).toEqual({ 'a.conf': 'edited by hand\n' });
    expect(await reloads()).toBe(0);
  });
});
