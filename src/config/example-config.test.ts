import { describe, expect, it } from 'vitest';
import { exampleConfig } from './example-config.js';
import { homesTypeSettingsSchema } from '../targets/homes/homes-type-settings.js';
import { parseConfig } from './load-config.js';

describe('exampleConfig', () => {
  const { config } = parseConfig(exampleConfig(), '/srv/roster/roster.yaml');

  it('loads cleanly', () => {
    expect(Object.keys(config.types)).toEqual(['member', 'student']);
  });

  it('declares the co-op member type (HCoop dues and freeze)', () => {
    expect(config.types.member).toMatchObject({
      portal: true,
      eligibility: { roles: { all: [], some: ['MEMBER'] } },
      auth: 'crypt',
      dues: 10,
      duesCents: 1000,
      grace: { deactivation: 0, deletion: 90 },
      hosts: { live: ['shell', 'web'], login: ['shell'] },
      groups: ['members'],
    });
    expect(homesTypeSettingsSchema.parse(config.types.member?.targets.homes)).toMatchObject({
      skeleton: {
        copy: [
          { from: '/etc/skel/.bashrc', to: '.bashrc' },
          { from: '/etc/skel/.profile', to: '.profile' },
        ],
        link: [],
      },
    });
  });

  it('declares the school student type (RATS eligibility, UCS grace)', () => {
    expect(config.types.student).toMatchObject({
      eligibility: { roles: { all: ['STUDENT'], some: [] }, campuses: { all: [], some: ['NB', 'NK', 'CM'] } },
      auth: 'crypt',
      grace: { deactivation: 14, deletion: 180 },
      emailRole: 'STUDENT',
      hosts: { live: ['shell'], login: ['shell'] },
      groups: ['students'],
    });
  });

  it('declares the groups, hosts and the school source', () => {
    expect(config.groups.map((g) => g.name)).toEqual(['members', 'students']);
    expect(config.hosts).toMatchObject({
      shell: { description: 'login host for members and students', targets: {} },
      web: { targets: {} },
    });
    expect(config.sources.school).toEqual({
      format: 'csv',
      delimiter: ',',
      multiValueSeparator: ';',
      columns: { id: 'id', firstName: 'first_name', lastName: 'last_name', roles: 'roles', classes: 'classes', campus: 'campus', major: 'major', email: 'email' },
      types: { STUDENT: ['student'] },
      roles: ['STAFF', 'ALUMNI'],
      grace: { deactivation: 14, deletion: 180 },
    });
    expect(config.notify).toMatchObject({ transport: 'none', from: 'Roster <roster@example.org>', schedule: '*/15 * * * *', maxAttempts: 8 });
  });

  it('keeps its database and key next to the config', () => {
    const loaded = parseConfig(exampleConfig(), '/srv/roster/roster.yaml');
    expect(loaded.databaseUrl).toBe('/srv/roster/roster.db');
    expect(loaded.hmacKeyPath).toBe('/srv/roster/roster.hmac-key');
  });

  it('explains every top-level section in a comment', () => {
    const lines = exampleConfig().split('\n');
    for (const [i, line] of lines.entries()) {
      if (/^[a-zA-Z]+:/.test(line)) expect(lines[i - 1], `comment above ${line}`).toMatch(/^#/);
    }
  });

  it.each(['watch', 'status', 'console'])("the example's commented %s block passes the schema once uncommented", (name) => {
    const text = exampleConfig();
    const block = new RegExp(`#BEGIN ${name}\\n([\\s\\S]*?)\\n\\s*#END ${name}`).exec(text)?.[1];
    expect(block).toBeDefined();
    const uncommented = (block ?? '').split('\n').map((line) => line.replace(/^(\s*)# /, '$1')).join('\n');
    const { config } = parseConfig(text.replace(block ?? '', uncommented), '/srv/roster/roster.yaml');
    if (name === 'watch') expect(config.hosts.shell?.watch).toMatchObject({ dirs: ['/etc', '/etc/nginx'], quietMinutes: 60 });
    else if (name === 'status') expect(config.status).toMatchObject({ enabled: true, title: 'Example co-op status', publicUrl: 'https://status.example.org' });
    else expect(config.console).toMatchObject({ admins: ['alice'], operators: ['bob'], auditors: ['carol'] });
  });
});
