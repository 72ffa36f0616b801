import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { parseConfig } from './load-config.js';

/** Schemas as the CLI would hand them in from the target registry; config itself knows no targets. */
const schemas = {
  homes: z.strictObject({ base: z.array(z.string().startsWith('/', { error: 'must be an absolute path' })).default(['/home']), archive: z.boolean().optional() }),
  limits: z.strictObject({ perHost: z.record(z.string(), z.number()).default({}) }),
};

function problems(text: string): string[] {
  try {
    parseConfig(text, 'roster.yaml', { targets: Object.entries(schemas).map(([name, hostSettings]) => ({ name, hostSettings, services: [] })) });
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('parseConfig: host target sections checked by the targets\' own schemas', () => {
  it('reports each problem with file:line:column and the full path', () => {
    const text = ['hosts:', '  shell:', '    targets:', '      homes:', '        base: [home]', '        archiv: true', '      limit: {}', 'types: { t: {} }', ''].join('\n');
    expect(problems(text)).toEqual([
      'roster.yaml:5:16: hosts.shell.targets.homes.base[0]: must be an absolute path',
      'roster.yaml:6:9: hosts.shell.targets.homes.archiv: unknown key (did you mean archive?)',
      'roster.yaml:7:7: hosts.shell.targets.limit: unknown target (did you mean limits?)',
    ]);
  });

  it('names the known targets when nothing is close, and reports target problems alongside the others', () => {
    const text = 'hosts: { shell: { targets: { postgres: {} } } }\nuids: { min: 5, max: 1 }\ntypes: { t: {} }\n';
    expect(problems(text)).toEqual(['roster.yaml:1:30: hosts.shell.targets.postgres: unknown target (known targets: homes, limits)', 'roster.yaml:2:7: uids: uid range min (5) exceeds max (1)']);
  });

  it('accepts valid sections, and an empty one means the defaults', () => {
    expect(problems('hosts: { shell: { targets: { homes: , limits: { perHost: { nproc: 5 } } } } }\ntypes: { t: {} }\n')).toEqual([]);
  });

  it('without schemas, target sections are not checked (config does not import targets)', () => {
    expect(() => parseConfig('hosts: { shell: { targets: { anything: { x: 1 } } } }\ntypes: { t: {} }\n', 'roster.yaml')).not.toThrow();
  });
});
