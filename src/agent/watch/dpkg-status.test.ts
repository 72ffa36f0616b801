import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { comparePackages, compareVersions, parseDpkgStatus } from './dpkg-status.js';

const ascending = ['0.9', '1.0~rc1', '1.0', '1.0-1', '1.0-1+deb12u1', '1.0-2', '1.0a', '1.0.1', '1.10', '2:0.1', '10:0'];

describe('dpkg versions and status', () => {
  it('orders versions as dpkg --compare-versions does (deb-version(7))', () => {
    for (let i = 0; i < ascending.length - 1; i++) {
      const a = ascending[i] ?? '';
      const b = ascending[i + 1] ?? '';
      expect(compareVersions(a, b), `${a} < ${b}`).toBeLessThan(0);
      expect(compareVersions(b, a), `${b} > ${a}`).toBeGreaterThan(0);
    }
    expect(compareVersions('1.0-01', '1.0-1')).toBe(0);
    expect(compareVersions('0:1.0', '1.0')).toBe(0);
    expect(compareVersions('1.0~~', '1.0~')).toBeLessThan(0);
  });

  it('reads packages, their state and conffiles; compares two lists as installed, removed (or purged), upgraded, downgraded', () => {
    const before = parseDpkgStatus(`Package: nginx
Status: install ok installed
Architecture: amd64
Version: 1.22.1-9
Conffiles:
 /etc/nginx/nginx.conf 0123456789abcdef0123456789abcdef
 /etc/nginx/old.conf 0123456789abcdef0123456789abcdef obsolete

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9

Package: postfix
Status: install ok installed
Architecture: amd64
Version: 3.7.10-0+deb12u1

Package: exim4
Status: install ok installed
Architecture: all
Version: 4.96-15

Package: gone
Status: purge ok not-installed
Architecture: amd64
`);
    expect(before.packages['gone:amd64']).toBeUndefined();
    expect(before.conffiles).toEqual({ '/etc/nginx/nginx.conf': 'nginx', '/etc/nginx/old.conf': 'nginx' });
    const after = parseDpkgStatus(`Package: nginx
Status: install ok installed
Architecture: amd64
Version: 1.22.1-9+deb12u2

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-8

Package: postfix
Status: deinstall ok config-files
Architecture: amd64
Version: 3.7.10-0+deb12u1

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10
`);
    expect(comparePackages(before, after)).toEqual({
      installed: [{ name: 'curl', version: '7.88.1-10' }],
      removed: [
        { name: 'exim4', version: '4.96-15', purged: true },
        { name: 'libc6:i386', version: '2.36-9', purged: true },
        { name: 'postfix', version: '3.7.10-0+deb12u1', purged: false },
      ],
      upgraded: [{ name: 'nginx', from: '1.22.1-9', to: '1.22.1-9+deb12u2' }],
      downgraded: [{ name: 'libc6', from: '2.36-9', to: '2.36-8' }],
    });
    expect(Object.keys(parseDpkgStatus('').packages)).toEqual([]);
  });

  it("agrees with dpkg --compare-versions on versions of this machine's own packages", () => {
    const real = parseDpkgStatus(readFileSync('/var/lib/dpkg/status', 'utf8'));
    expect(real.packages['bash:amd64'] ?? real.packages['bash:arm64']).toMatchObject({ state: 'installed' });
    const versions = [...new Set(Object.values(real.packages).map((p) => p.version))].filter((v) => v !== '');
    // Neighbours in a shuffled-by-name order: pairs of unrelated versions, epochs, tildes and revisions among them.
    const pairs = [...versions.slice(0, 40).map((v, i) => [v, versions[(i * 7 + 3) % versions.length] ?? v] as const), ...ascending.map((v, i) => [v, ascending[(i + 3) % ascending.length] ?? v] as const), ['1.0~~', '1.0~'] as const];
    for (const [a, b] of pairs) {
      const ours = Math.sign(compareVersions(a, b));
      const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
      const eq = spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0;
      expect(ours, `${a} vs ${b}`).toBe(lt ? -1 : eq ? 0 : 1);
    }
  });
});
