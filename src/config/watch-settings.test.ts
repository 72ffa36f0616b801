import { describe, expect, it } from 'vitest';
import { RosterError } from '../domain/errors.js';
import { parseConfig } from './load-config.js';
import { DEFAULT_EXCLUDES } from './watch-settings.js';

/** `hosts.<h>.watch` of roster.yaml: what roster watch snapshots on the host. */

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'roster.yaml');
  } catch (e) {
    if (e instanceof RosterError && e.code === 'bad_config') return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

const config = (watch: string): string => `types: { member: { hosts: { live: [shell] } } }\nhosts:\n  shell:\n    watch: ${watch}\n  web: {}\n`;

describe('hosts.<h>.watch', () => {
  it('is absent unless set (watching off); `watch: {}` is /etc, 60 quiet minutes, 3 days, the default exclusions', () => {
    const { config: c } = parseConfig(config('{}'), 'roster.yaml');
    expect(c.hosts.web?.watch).toBeUndefined();
    expect(c.hosts.shell?.watch).toEqual({ dirs: ['/etc'], quietMinutes: 60, stableDays: 3, secrets: [], exclude: [...DEFAULT_EXCLUDES], keepDays: 90, maxFileBytes: 4 * 1024 * 1024, privateFilesSecret: true, maxUnstableHours: 24 });
    const more = parseConfig(config("{ dirs: [/etc, /etc/mailman3, /var/lib/mailman3/lists], quietMinutes: 15, secrets: ['*.pem', '/etc/mailman3/**'], exclude: [] }"), 'roster.yaml').config;
    expect(more.hosts.shell?.watch).toMatchObject({ dirs: ['/etc', '/etc/mailman3', '/var/lib/mailman3/lists'], quietMinutes: 15, secrets: ['*.pem', '/etc/mailman3/**'], exclude: [] });
  });

  it('names every bad setting with its place in the file', () => {
    const problems = problemsOf(config("{ dirs: [etc, /etc/, /, '/etc/../root'], quietMinutes: 0, stableDays: 400, exclude: ['nginx/*', '[ab'], secrets: [''], keepdays: 3 }"));
    expect(problems).toEqual([
      'roster.yaml:4:21: hosts.shell.watch.dirs[0]: must be an absolute directory, got "etc"',
      'roster.yaml:4:26: hosts.shell.watch.dirs[1]: must be normalised (no //, . or .., no trailing /), got "/etc/"',
      'roster.yaml:4:33: hosts.shell.watch.dirs[2]: must not be / (watch the configuration directories, e.g. /etc)',
      'roster.yaml:4:36: hosts.shell.watch.dirs[3]: must be normalised (no //, . or .., no trailing /), got "/etc/../root"',
      'roster.yaml:4:67: hosts.shell.watch.quietMinutes: must be at least 1',
      'roster.yaml:4:82: hosts.shell.watch.stableDays: must be at most 365',
      'roster.yaml:4:97: hosts.shell.watch.exclude[0]: is not a pattern: names a path, so it must be absolute (start with /), got "nginx/*"',
      'roster.yaml:4:108: hosts.shell.watch.exclude[1]: is not a pattern: has an unclosed [ in "[ab"',
      'roster.yaml:4:126: hosts.shell.watch.secrets[0]: is not a pattern: is empty',
      'roster.yaml:4:131: hosts.shell.watch.keepdays: unknown key (did you mean keepDays?)',
    ]);
  });
});
