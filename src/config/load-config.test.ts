import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { loadConfig, parseConfig } from './load-config.js';

function problemsOf(text: string, fileName = 'roster.yaml'): string[] {
  try {
    parseConfig(text, fileName);
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

const MINIMAL = 'types:\n  t: {}\n';

describe('parseConfig: defaults', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('fills in every default from a file that only declares a type', () => {
    const { config } = parseConfig(MINIMAL, '/srv/roster/roster.yaml');
    expect(config).toMatchObject({
      database: 'roster.db',
      secrets: { hmacKeyFile: 'roster.hmac-key' },
      uids: { min: 10000, max: 59999 },
      gids: { min: 10000, max: 59999 },
      usernames: { pattern: '^[a-z][a-z0-9-]{0,30}$', reserved: ['^[a-z]{1,4}[0-9]+$'], allowDots: false, suggestions: 8 },
      freeze: { keep: ['mail', 'portal'] },
      purge: { schedule: '50 4 * * *', archive: true, archiveDir: '/var/lib/roster/archive' },
      breaker: { count: 50, percent: 5 },
      billing: { schedule: '0 6 * * *', warnLeadDays: [60, 45], freezeLeadDays: 30, currency: 'USD' },
      groups: [],
      hosts: {},
      sources: {},
    });
    expect(config.usernames.reservedNames).toContain('root');
    expect(config.usernames.reservedNames).toContain('www-data');
    expect(config.usernames.reservedNames).toHaveLength(22);
    expect(config.types.t).toEqual({
      portal: false,
      eligibility: {
        roles: { all: [], some: [] },
        classes: { all: [], some: [] },
        campuses: { all: [], some: [] },
        majors: { all: [], some: [] },
      },
      auth: 'crypt',
      shell: '/bin/bash',
      home: '/home/{username}',
      primaryGroup: '{username}',
      groups: [],
      hosts: { live: [], login: [] },
      // The targets' settings for the type (home mode, quotas, hooks …), each at its target's defaults.
      targets: {},
      dues: 0,
      duesCents: 0,
      grace: { deactivation: 0, deletion: 30 },
      password: { minLength: 10, minClasses: 3, scheme: 'yescrypt' },
      initialPassword: 'none',
    });
    expect(config.notify).toEqual({ transport: 'none', sendmail: { path: '/usr/sbin/sendmail' }, from: 'Roster <roster@localhost>', schedule: '*/15 * * * *', maxAttempts: 8 });
  });

  it("takes the host's time zone at load time, so TZ applies", () => {
    process.env.TZ = 'America/Chicago';
    expect(parseConfig(MINIMAL, 'roster.yaml').config.timeZone).toBe('America/Chicago');
    process.env.TZ = 'Europe/Berlin';
    expect(parseConfig(MINIMAL, 'roster.yaml').config.timeZone).toBe('Europe/Berlin');
    expect(parseConfig(`timeZone: Asia/Tokyo\n${MINIMAL}`, 'roster.yaml').config.timeZone).toBe('Asia/Tokyo');
  });

  it('resolves the database and HMAC key against the config directory', () => {
    const loaded = parseConfig(MINIMAL, '/srv/roster/roster.yaml');
    expect(loaded).toMatchObject({
      path: '/srv/roster/roster.yaml',
      dir: '/srv/roster',
      databaseUrl: '/srv/roster/roster.db',
      hmacKeyPath: '/srv/roster/roster.hmac-key',
    });
    const other = parseConfig(`database: ../data/r.db\nsecrets: { hmacKeyFile: /etc/roster/key }\n${MINIMAL}`, '/srv/roster/roster.yaml');
    expect(other.databaseUrl).toBe('/srv/data/r.db');
    expect(other.hmacKeyPath).toBe('/etc/roster/key');
    const pg = parseConfig(`database: postgres://roster@db.example.org/roster\n${MINIMAL}`, '/srv/roster/roster.yaml');
    expect(pg.databaseUrl).toBe('postgres://roster@db.example.org/roster');
  });

  it('returns a deeply frozen config', () => {
    const { config } = parseConfig(`hosts: { shell: { targets: { unix: { root: / } } } }\n${MINIMAL}`, 'roster.yaml');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.types)).toBe(true);
    expect(Object.isFrozen(config.types.t?.eligibility.roles.all)).toBe(true);
    expect(Object.isFrozen(config.usernames.reservedNames)).toBe(true);
    expect(Object.isFrozen(config.hosts.shell?.targets.unix)).toBe(true);
    expect(() => {
      (config.freeze.keep as string[]).push('shell');
    }).toThrow(TypeError);
    // Defaults are fresh per load, so freezing one load cannot leak into the next.
    expect(parseConfig(MINIMAL, 'roster.yaml').config.freeze.keep).not.toBe(config.freeze.keep);
  });
});

describe('parseConfig: problems are reported as file:line:column: field: message', () => {
  it('points an unknown key at the key itself', () => {
    expect(problemsOf('types:\n  t:\n    portal: true\n    portl: true\n')).toEqual([
      'roster.yaml:4:5: types.t.portl: unknown key (did you mean portal?)',
    ]);
  });

  it('points a wrong type at the value', () => {
    expect(problemsOf('types:\n  t:\n    portal: maybe\n')).toEqual([
      'roster.yaml:3:13: types.t.portal: expected true or false, got the string "maybe"',
    ]);
  });

  it('points a bad regex at the pattern', () => {
    expect(problemsOf("usernames:\n  pattern: '[a-'\ntypes:\n  t: {}\n")).toEqual([
      'roster.yaml:2:12: usernames.pattern: is not a valid regular expression: Unterminated character class',
    ]);
  });

  it('points a bad time zone at the value', () => {
    expect(problemsOf('timeZone: Mars/Olympus\ntypes:\n  t: {}\n')).toEqual([
      'roster.yaml:1:11: timeZone: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)',
    ]);
  });

  it('points D > P at the grace map', () => {
    expect(problemsOf('types:\n  t:\n    grace:\n      deactivation: 20\n      deletion: 10\n')).toEqual([
      'roster.yaml:4:7: types.t.grace: deactivation grace (20 days) exceeds deletion grace (10 days)',
    ]);
  });

  it('reports a YAML syntax error where the parser found it', () => {
    expect(problemsOf('types:\n  t: { portal: true\nhosts: {}\n')).toEqual([
      expect.stringMatching(/^roster\.yaml:3:1: syntax: /),
    ]);
    expect(problemsOf('types:\n  t: {}\nbad: "unterminated\n')).toEqual([
      'roster.yaml:4:1: syntax: Missing closing "quote',
    ]);
  });

  it('reports a duplicate key at the second occurrence, with its path', () => {
    expect(problemsOf('types:\n  t: {}\n  t: { portal: true }\n')).toEqual([
      'roster.yaml:3:3: types.t: duplicate key "t" (a later value would silently replace an earlier one)',
    ]);
  });

  it('points a reference to an undeclared host at the reference', () => {
    expect(problemsOf('hosts:\n  shell: {}\ntypes:\n  t:\n    hosts:\n      live: [shell, web]\n')).toEqual([
      'roster.yaml:6:21: types.t.hosts.live[1]: host "web" is not declared under hosts (declared: shell)',
    ]);
  });

  it('points a missing required field at its parent map', () => {
    expect(problemsOf('sources:\n  school:\n    columns:\n      id: id\n      firstName: first\n    types: {}\ntypes:\n  t: {}\n')).toEqual([
      'roster.yaml:4:7: sources.school.columns.lastName: is required',
    ]);
  });

  it('points a bad record key at the key', () => {
    expect(problemsOf('hosts:\n  Web_1: {}\ntypes:\n  t: {}\n')).toEqual([
      'roster.yaml:2:3: hosts.Web_1: bad name "Web_1": must be a host name: lower case letters, digits and -, starting with a letter',
    ]);
  });

  it('says which keys are required when the file is empty', () => {
    expect(problemsOf('')).toEqual(['roster.yaml:1:1: types: is required']);
    expect(problemsOf('# nothing yet\n')).toEqual(['roster.yaml:1:1: types: is required']);
  });

  it('reports every problem at once, in file order, cross-references included', () => {
    const text = [
      'timeZone: Nowhere/Land', // 1
      'bogusKey: 1', // 2
      'hosts:', // 3
      '  shell: {}', // 4
      'types:', // 5
      '  t:', // 6
      '    portal: 1', // 7
      '    hosts: { live: [shell, web] }', // 8
      '    grace: { deactivation: 9, deletion: 3 }', // 9
      'sources:', // 10
      '  s: { columns: { id: a, firstName: b, lastName: c }, types: { STAFF: [staff] } }', // 11
    ].join('\n');
    let error: unknown;
    try {
      parseConfig(text, 'site/roster.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RosterError);
    const e = error as RosterError;
    expect(e.code).toBe('bad_config');
    expect(e.exitCode).toBe(78);
    expect(e.message).toBe('site/roster.yaml has 6 problems');
    expect(e.issues).toEqual([
      { where: 'site/roster.yaml:1:11', message: 'timeZone: "Nowhere/Land" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)' },
      { where: 'site/roster.yaml:2:1', message: 'bogusKey: unknown key' },
      { where: 'site/roster.yaml:7:13', message: 'types.t.portal: expected true or false, got 1' },
      { where: 'site/roster.yaml:8:28', message: 'types.t.hosts.live[1]: host "web" is not declared under hosts (declared: shell)' },
      { where: 'site/roster.yaml:9:12', message: 'types.t.grace: deactivation grace (9 days) exceeds deletion grace (3 days)' },
      { where: 'site/roster.yaml:11:72', message: 'sources.s.types.STAFF[0]: account type "staff" is not declared under types (declared: t)' },
    ]);
  });

  it('says "1 problem" for one', () => {
    expect(() => parseConfig('bogus: 1\ntypes: { t: {} }\n', 'roster.yaml')).toThrow('roster.yaml has 1 problem');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roster-config-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('reads and validates a file, naming it in every problem', async () => {
    const path = join(dir, 'roster.yaml');
    await writeFile(path, MINIMAL);
    const loaded = await loadConfig(path);
    expect(loaded).toMatchObject({ path, dir, databaseUrl: join(dir, 'roster.db'), hmacKeyPath: join(dir, 'roster.hmac-key') });
    await writeFile(path, `${MINIMAL}bogusKey: 1\n`);
    await expect(loadConfig(path)).rejects.toMatchObject({ code: 'bad_config', issues: [{ where: `${path}:3:1`, message: 'bogusKey: unknown key' }] });
  });

  it('turns a missing file into bad_config that suggests roster init', async () => {
    const path = join(dir, 'nope.yaml');
    await expect(loadConfig(path)).rejects.toMatchObject({ code: 'bad_config', message: expect.stringMatching(/nope\.yaml.*roster init/) });
  });
});

describe('parseConfig: the console section', () => {
  it('gives each console user one role, and names the line of a second one or of a name that is not a username', () => {
    expect(problemsOf(`${MINIMAL}console:\n  admins: [ada, bob]\n  auditors: [bob, Carol]\n`)).toEqual([
      'roster.yaml:5:14: console.auditors[0]: bob is already listed in admins; give each person one role',
      'roster.yaml:5:19: console.auditors[1]: must be a username',
    ]);
    expect(parseConfig(MINIMAL, 'roster.yaml').config.console).toEqual({ admins: [], operators: [], auditors: [], issuer: 'Roster' });
  });
});
