import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { orderedTargets, targetRegistry } from './registry.js';

describe('target registry', () => {
  it('names each target once', () => {
    const names = targetRegistry.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('archives homes before unix removes the passwd lines, and runs hooks last', () => {
    const names = targetRegistry.map((t) => t.name);
    const at = (n: string): number => names.indexOf(n);
    expect(at('homes')).toBeGreaterThanOrEqual(0);
    if (at('unix') >= 0) expect(at('homes')).toBeLessThan(at('unix'));
    expect(names.at(-1)).toBe('hooks');
    for (const first of ['login', 'cron']) if (at(first) >= 0 && at('processes') >= 0) expect(at(first)).toBeLessThan(at('processes'));
  });

  it('computes the apply order from the targets\' after constraints, and keeps each constraint whatever the list order', () => {
    const hostTargets = ['login', 'cron', 'processes', 'homes', 'unix', 'quota', 'limits', 'hooks'];
    expect(targetRegistry.map((t) => t.name).filter((n) => hostTargets.includes(n))).toEqual(hostTargets);
    for (const list of [[...targetRegistry].reverse(), [...targetRegistry].sort((a, b) => (a.name < b.name ? -1 : 1))]) {
      const names = orderedTargets(list).map((t) => t.name);
      for (const t of targetRegistry) for (const before of t.after) expect(names.indexOf(before), `${before} before ${t.name}`).toBeLessThan(names.indexOf(t.name));
    }
  });

  it("the example roster.yaml's host sections pass every registered target's schema", () => {
    const { config } = parseConfig(exampleConfig(), '/srv/roster/roster.yaml', { targets: targetRegistry });
    const shell = Object.keys(config.hosts.shell?.targets ?? {});
    // The shell host runs the targets of a multi-user host (service targets have hosts of their own).
    expect(shell).toEqual(expect.arrayContaining(['login', 'cron', 'processes', 'homes', 'unix', 'quota', 'limits', 'hooks']));
    expect(Object.keys(config.hosts.web?.targets ?? {})).toEqual(['limits']);
    for (const [host, h] of Object.entries(config.hosts)) {
      for (const [name, section] of Object.entries(h.targets)) {
        const target = targetRegistry.find((t) => t.name === name);
        expect(target, `${host}.${name}`).toBeDefined();
        expect(target?.hostSettings.safeParse(section ?? {}).success, `${host}.${name}`).toBe(true);
      }
    }
  });

  it.each([
    ['services', ['postgres', 'mariadb', 'mail-lists', 'vhosts', 'user-list']],
    ['directory', ['ldap', 'kerberos']],
  ])("the example's commented %s host passes its targets' schemas once uncommented", (host, targets) => {
    const text = exampleConfig();
    const block = new RegExp(`#BEGIN ${host}\\n([\\s\\S]*?)\\n\\s*#END ${host}`).exec(text)?.[1];
    expect(block).toBeDefined();
    const uncommented = (block ?? '').split('\n').map((line) => line.replace(/^(\s*)# /, '$1')).join('\n');
    const { config } = parseConfig(text.replace(block ?? '', uncommented), '/srv/roster/roster.yaml', { targets: targetRegistry });
    const enabled = Object.keys(config.hosts[host]?.targets ?? {});
    expect(enabled).toEqual(targets);
    for (const name of enabled) expect(targetRegistry.map((t) => t.name)).toContain(name);
  });
});
