import { describe, expect, it } from 'vitest';
import { anyMatches, globPattern, globProblem } from './glob-pattern.js';

describe('glob patterns', () => {
  it('without a slash match a name anywhere; with one, the whole path', () => {
    const shadow = globPattern('shadow*');
    expect(['/etc/shadow', '/etc/shadow-', '/srv/x/shadow.bak'].every((p) => shadow.matches(p))).toBe(true);
    expect(shadow.matches('/etc/gshadow')).toBe(false);
    const key = globPattern('ssh_host_*_key');
    expect(key.matches('/etc/ssh/ssh_host_ed25519_key')).toBe(true);
    expect(key.matches('/etc/ssh/ssh_host_ed25519_key.pub')).toBe(false);
    const nginx = globPattern('/etc/nginx/*.conf');
    expect(nginx.matches('/etc/nginx/nginx.conf')).toBe(true);
    expect(nginx.matches('/etc/nginx/sites/a.conf')).toBe(false);
    expect(nginx.matches('/srv/etc/nginx/nginx.conf')).toBe(false);
  });

  it('** crosses directories, ? is one character, classes and negated classes', () => {
    expect(globPattern('/etc/ssl/private/**').matches('/etc/ssl/private/a/b.pem')).toBe(true);
    expect(globPattern('/etc/ssl/private/**').matches('/etc/ssl/private')).toBe(false);
    expect(globPattern('/etc/**/*.key').matches('/etc/x.key')).toBe(true);
    expect(globPattern('/etc/**/*.key').matches('/etc/a/b/x.key')).toBe(true);
    expect(globPattern('?.conf').matches('/etc/a.conf')).toBe(true);
    expect(globPattern('?.conf').matches('/etc/ab.conf')).toBe(false);
    expect(globPattern('[ab].conf').matches('/etc/b.conf')).toBe(true);
    expect(globPattern('[!ab].conf').matches('/etc/b.conf')).toBe(false);
    expect(globPattern('[!ab].conf').matches('/etc/c.conf')).toBe(true);
    expect(globPattern('a.b(c)+').matches('/a.b(c)+')).toBe(true);
    expect(globPattern('a.b(c)+').matches('/axb(c)+')).toBe(false);
    expect(anyMatches([globPattern('*.swp'), globPattern('*~')], '/etc/hosts~')).toBe(true);
    expect(anyMatches([], '/etc/hosts')).toBe(false);
  });

  it('names what is wrong with a pattern', () => {
    expect(globProblem('')).toBe('is empty');
    expect(globProblem('etc/nginx/*')).toMatch(/must be absolute/);
    expect(globProblem('[abc')).toMatch(/unclosed \[/);
    expect(globProblem('a\nb')).toMatch(/newline/);
    expect(globProblem('/etc/**')).toBeNull();
  });
});
