import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { findConfigPath } from './find-config.js';

describe('findConfigPath', () => {
  let root: string;
  let cwd: string;
  let system: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'roster-find-'));
    cwd = join(root, 'work');
    system = join(root, 'etc', 'roster', 'roster.yaml');
    await mkdir(cwd);
    await mkdir(join(root, 'etc', 'roster'), { recursive: true });
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('prefers --config, then ROSTER_CONFIG, then ./roster.yaml, then the system file', async () => {
    await writeFile(join(cwd, 'roster.yaml'), 'types: { t: {} }\n');
    await writeFile(system, 'types: { t: {} }\n');
    const env = { ROSTER_CONFIG: join(root, 'env.yaml') };
    expect(findConfigPath({ flag: 'flag.yaml', env, cwd, systemPath: system })).toBe(join(cwd, 'flag.yaml'));
    expect(findConfigPath({ flag: undefined, env, cwd, systemPath: system })).toBe(join(root, 'env.yaml'));
    expect(findConfigPath({ env: {}, cwd, systemPath: system })).toBe(join(cwd, 'roster.yaml'));
    await rm(join(cwd, 'roster.yaml'));
    expect(findConfigPath({ env: {}, cwd, systemPath: system })).toBe(system);
  });

  it('takes an explicit choice as given even if the file is missing, so a typo is not papered over', () => {
    expect(findConfigPath({ flag: '/nowhere/roster.yaml', env: {}, cwd })).toBe('/nowhere/roster.yaml');
    expect(findConfigPath({ env: { ROSTER_CONFIG: 'rel/r.yaml' }, cwd })).toBe(join(cwd, 'rel/r.yaml'));
  });

  it('treats empty values as unset', async () => {
    await writeFile(join(cwd, 'roster.yaml'), '');
    expect(findConfigPath({ flag: '', env: { ROSTER_CONFIG: '' }, cwd, systemPath: system })).toBe(join(cwd, 'roster.yaml'));
  });

  it('ignores a directory called roster.yaml', async () => {
    await mkdir(join(cwd, 'roster.yaml'));
    await writeFile(system, '');
    expect(findConfigPath({ env: {}, cwd, systemPath: system })).toBe(system);
  });

  it('fails with bad_config naming every place it looked and suggesting roster init', () => {
    let error: unknown;
    try {
      findConfigPath({ env: {}, cwd, systemPath: system });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RosterError);
    const e = error as RosterError;
    expect(e.code).toBe('bad_config');
    expect(e.message).toContain(join(cwd, 'roster.yaml'));
    expect(e.message).toContain(system);
    expect(e.message).toContain('ROSTER_CONFIG');
    expect(e.message).toContain('roster init');
  });
});
