import { describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { parseConfig } from './load-config.js';

/** The `status:` section of roster.yaml: the public status page. */

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'roster.yaml');
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

const BASE = 'types: { member: { hosts: { live: [shell] } } }\nhosts: { shell: {}, web: {} }';

describe('the status section', () => {
  it('defaults to no page (it is public: turned on by status.enabled), one that would show services and public changelog entries, not host descriptions', () => {
    const { config } = parseConfig(BASE, 'roster.yaml');
    expect(config.status).toEqual({
      enabled: false,
      title: 'Service status',
      agentIntervalSeconds: 60,
      staleIntervals: 5,
      historyDays: 90,
      cacheSeconds: 30,
      components: {},
      expose: { services: true, changelog: true, hostDescriptions: false },
      subscriptions: { enabled: true, confirmHours: 48, attempts: 5, windowMinutes: 60 },
    });
  });

  it('accepts names, descriptions and hiding by component, and every documented setting', () => {
    const { config } = parseConfig(
      `${BASE}\nstatus: { enabled: true, title: Co-op status, publicUrl: 'https://status.example.org', staleIntervals: 3, components: { shell: { name: Shell server }, shell/login: { hidden: true } }, expose: { hostDescriptions: true }, subscriptions: { enabled: false } }`,
      'roster.yaml',
    );
    expect(config.status).toMatchObject({ enabled: true, title: 'Co-op status', publicUrl: 'https://status.example.org', staleIntervals: 3, components: { shell: { name: 'Shell server', hidden: false }, 'shell/login': { hidden: true } } });
    expect(config.status.subscriptions.enabled).toBe(false);
  });

  it('names the setting at fault', () => {
    expect(problemsOf(`${BASE}\nstatus: { components: { mars: { name: Mars } } }`)).toEqual([expect.stringMatching(/status\.components\.mars.*host "mars" is not declared under hosts \(declared: shell, web\)/)]);
    expect(problemsOf(`${BASE}\nstatus: { components: { 'Shell Server': {} } }`)).toEqual([expect.stringMatching(/status\.components.*must be a host \(shell\) or a host and a service \(shell\/login\)/)]);
    expect(problemsOf(`${BASE}\nstatus: { publicUrl: 'ftp://x', staleIntervals: 0, colour: red }`)).toHaveLength(3);
  });
});
