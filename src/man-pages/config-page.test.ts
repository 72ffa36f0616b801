import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { configPage, typeText, yamlText } from './config-page.js';
import { flatText, hasMan, renderMan } from './render-man.js';

const header = { date: '2026-01-02', version: '9.9.9' };

/** A schema shaped like roster.yaml's: defaults, prefaults, transforms, maps of names, lists of mappings, keys without a description. */
const schema = z
  .strictObject({
    timeZone: z.string().default('UTC').meta({ description: 'the zone schedules are read in', defaultDescription: "the host's time zone" }),
    database: z.string().min(1).default('roster.db').describe('an SQLite file or a postgres:// URL'),
    server: z
      .strictObject({
        port: z.int().min(1).max(65_535).default(8080).describe('the port'),
        size: z.union([z.number(), z.string()]).transform(String).optional(),
      })
      .prefault({})
      .describe('the HTTP server'),
    types: z.record(
      z.string().regex(/^[a-z]+$/),
      z.strictObject({
        shell: z.string().default('/bin/bash').describe('login shell'),
        mode: z.string().regex(/^0?[0-7]{3,4}$/).transform((m) => Number.parseInt(m, 8)).prefault('0750'),
        hosts: z.array(z.string()).default(() => ['a', 'b']),
      }),
    ),
    groups: z.array(z.strictObject({ name: z.string().describe('group name'), gid: z.int().optional() })).default(() => []),
  })
  .describe('Settings of the sample.');

describe('typeText and yamlText', () => {
  it('says types in words', () => {
    expect(typeText({ type: 'integer', minimum: 1, maximum: 65_535 })).toBe('integer from 1 to 65535');
    expect(typeText({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })).toBe('integer of at least 0');
    expect(typeText({ anyOf: [{ type: 'number' }, { type: 'string' }] })).toBe('number or string');
    expect(typeText({ type: 'string', enum: ['none', 'smtp'] })).toBe('one of none, smtp');
    expect(typeText({ type: 'array', items: { type: 'string' } })).toBe('list of string');
    expect(typeText({})).toBe('any value');
  });

  it('writes defaults as YAML would, quoting what YAML would misread', () => {
    expect(yamlText('/var/lib/roster')).toBe('/var/lib/roster');
    expect(yamlText('50 4 * * *')).toBe("'50 4 * * *'");
    expect(yamlText('{username}')).toBe("'{username}'");
    expect(yamlText('no')).toBe("'no'");
    expect(yamlText("it's")).toBe("'it''s'");
    expect(yamlText(['^[a-z]+$', 'mail'])).toBe("['^[a-z]+$', mail]");
    expect(yamlText(0.5)).toBe('0.5');
  });
});

describe('configPage', () => {
  it('has a section per top-level key', () => {
    const sections = [...configPage(schema, header).text.matchAll(/^\.SH "?([^"\n]+)"?$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['NAME', 'DESCRIPTION', 'timeZone', 'database', 'server', 'types', 'groups', 'FILES', 'SEE ALSO']);
  });
});

describe.skipIf(!hasMan())('roster.yaml(5) as man(1) shows it', () => {
  it('renders without warnings, every key with its type, default and description', () => {
    const { text, warnings } = renderMan(configPage(schema, header).text);
    expect(warnings).toBe('');
    const flat = flatText(text);
    expect(flat).toContain('Settings of the sample.');
    expect(flat).toContain("timeZone (string; default: the host's time zone) the zone schedules are read in");
    expect(flat).toContain('database (string; default: roster.db) an SQLite file or a postgres:// URL');
    expect(flat).toContain('server (mapping) the HTTP server');
    expect(flat).toContain('server.port (integer from 1 to 65535; default: 8080) the port');
    // Without a description, listed all the same.
    expect(flat).toContain('server.size (number or string)');
    expect(flat).toContain('types.name.shell (string; default: /bin/bash) login shell');
    // The input side of a transform: what is written in the file.
    expect(flat).toContain("types.name.mode (string matching ^0?[0-7]{3,4}$; default: '0750')");
    expect(flat).toContain('types.name.hosts (list of string; default: [a, b])');
    expect(flat).toContain('groups[].name (string; required) group name');
    expect(flat).toContain('groups[].gid (integer)');
  });
});
