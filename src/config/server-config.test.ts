import { describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { parseConfig } from './load-config.js';

/** The `scim:` and `server:` sections of roster.yaml (DESIGN.md §5, §7). */

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'roster.yaml');
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

const TYPES = 'types: { member: {}, guest: {} }';

describe('scim and server sections', () => {
  it('default to retiring SCIM deletions, no fixed SCIM type, and a loopback listener with limits', () => {
    const { config } = parseConfig(TYPES, 'roster.yaml');
    expect(config.scim).toEqual({ onDelete: 'retire' });
    expect(config.server).toEqual({
      listen: '127.0.0.1:8080',
      maxBodyBytes: 1_048_576,
      maxUploadBytes: 67_108_864,
      metrics: { public: false },
      pageSize: { default: 100, max: 1000 },
      rateLimit: { perSecond: 20, burst: 200 },
    });
  });

  it('accept every documented setting', () => {
    const { config } = parseConfig(
      `${TYPES}\nscim: { accountType: guest, onDelete: purge }\nserver: { listen: '[::1]:0', maxBodyBytes: 2048, pageSize: { default: 10, max: 50 }, rateLimit: { perSecond: 0.5, burst: 3 } }`,
      'roster.yaml',
    );
    expect(config.scim).toEqual({ accountType: 'guest', onDelete: 'purge' });
    expect(config.server).toMatchObject({ listen: '[::1]:0', maxBodyBytes: 2048, pageSize: { default: 10, max: 50 }, rateLimit: { perSecond: 0.5, burst: 3 } });
  });

  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['an undeclared SCIM type', 'scim: { accountType: staff }', 'roster.yaml:2:22: scim.accountType: account type "staff" is not declared under types (declared: member, guest)'],
    ['an unknown onDelete', 'scim: { onDelete: archive }', 'roster.yaml:2:19: scim.onDelete: must be one of retire, purge'],
    ['a misspelled scim key', 'scim: { acountType: member }', 'roster.yaml:2:9: scim.acountType: unknown key (did you mean accountType?)'],
    ['a listener without a port', 'server: { listen: localhost }', 'roster.yaml:2:19: server.listen: must be host:port'],
    ['a port out of range', "server: { listen: '127.0.0.1:70000' }", 'server.listen: must be host:port'],
    ['a tiny body limit', 'server: { maxBodyBytes: 10 }', 'server.maxBodyBytes: must be at least 1024'],
    ['a default page above the maximum', 'server: { pageSize: { default: 500, max: 100 } }', 'server.pageSize.default: the default page size (500) exceeds the maximum (100)'],
    ['a zero rate', 'server: { rateLimit: { perSecond: 0 } }', 'server.rateLimit.perSecond: must be greater than 0'],
    ['an unknown server key', 'server: { port: 8080 }', 'server.port: unknown key'],
  ];

  it.each(cases)('rejects %s with file:line:column', (_name, text, expected) => {
    const problems = problemsOf(`${TYPES}\n${text}`);
    expect(problems.join('\n')).toContain(expected);
    expect(problems, problems.join('\n')).toHaveLength(1);
  });
});
