import { describe, expect, it } from 'vitest';
import type { FileChange, WatchReport } from './watch-report.js';
import { formatWatchReport, reportSummary } from './format-watch-report.js';

const meta = { type: 'file' as const, mode: '0644', owner: 'root', group: 'root' };

function file(path: string, unexplained: boolean): FileChange {
  return { path, change: 'modified', content: true, before: meta, after: { ...meta, mode: '0600' }, explainedBy: unexplained ? [] : [{ kind: 'apt', at: '2026-03-02T09:10:00.000Z', by: 'carol', text: 'apt-get dist-upgrade' }], unexplained };
}

function report(files: FileChange[]): WatchReport {
  return {
    version: 1,
    id: '20260302-100500-abcdef',
    host: 'shell',
    madeAt: '2026-03-02T10:05:00.000Z',
    from: '2026-03-02T09:00:00.000Z',
    to: '2026-03-02T10:05:00.000Z',
    lastChangeAt: '2026-03-02T09:05:00.000Z',
    baseline: 's00000001',
    head: 's00000002',
    dirs: ['/etc'],
    changelog: [{ at: '2026-03-02T09:07:00.000Z', author: 'alice', text: 'Upgraded everything\nand rebooted.', source: 'cli' }],
    files,
    packages: { installed: [], removed: [{ name: 'exim4', version: '4.96-15', purged: false }], upgraded: [{ name: 'nginx', from: '1.22.1-9', to: '1.22.1-9+deb12u1' }], downgraded: [], configChanged: ['nginx'], operations: [] },
    applies: [],
    counts: { files: files.length, added: 0, removed: 0, modified: files.length, unexplained: files.filter((f) => f.unexplained).length, packages: 2, changelog: 1 },
  };
}

describe('the change report as text', () => {
  it('lists the changelog, each file with what explains it or UNEXPLAINED, metadata changes and packages, and where the diffs are', () => {
    const text = formatWatchReport(report([file('/etc/hosts', true), file('/etc/nginx/nginx.conf', false)]));
    expect(text).toContain('Changes on shell from 2026-03-02 09:00Z to 2026-03-02 10:05Z (last change seen 2026-03-02 09:05Z); watched: /etc.');
    expect(text).toContain('  2026-03-02 09:07Z  alice: Upgraded everything\n      and rebooted.');
    expect(text).toContain('  M /etc/hosts -- UNEXPLAINED\n      mode 0644 -> 0600');
    expect(text).toContain('  M /etc/nginx/nginx.conf -- apt 2026-03-02 09:10Z by carol: apt-get dist-upgrade');
    expect(text).toContain('  upgraded nginx 1.22.1-9 -> 1.22.1-9+deb12u1\n  removed exim4 4.96-15\n  with configuration changes: nginx');
    expect(text).toContain('The diffs stay on the host: roster watch diff 20260302-100500-abcdef [FILE]');
    expect(reportSummary(report([file('/etc/hosts', true)]))).toBe('1 file(s) changed, 1 unexplained, 2 package change(s), 1 changelog entry');
  });

  it('with maxFiles, lists every unexplained file and that many others, and says how many more', () => {
    const files = Array.from({ length: 50 }, (_, i) => file(`/etc/f${String(i).padStart(2, '0')}`, i === 42));
    const text = formatWatchReport(report(files), undefined, { maxFiles: 10 });
    expect(text.match(/^ {2}M \/etc\/f/gm)).toHaveLength(11);
    expect(text).toContain('M /etc/f42 -- UNEXPLAINED');
    expect(text).toContain('... and 39 more, explained (roster watch reports 20260302-100500-abcdef on the host lists them all)');
  });
});
