import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FREEZE_BILLING, RETIRED, fixtureAccount, fixtureHost } from '../../../test/desired-fixture.js';
import type { DesiredAccount, DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { fixedClock } from '../../domain/clock.js';
import type { VhostFile } from './read-vhost-dir.js';
import { renderVhost } from './render-vhost.js';
import { serverNames } from './server-names.js';
import { encodedPage } from './suspended-page.js';
import type { SuspensionFlag } from './suspension-flags.js';
import { vhostSettingsSchema } from './vhost-kind.js';
import { parseMarker, vhostFileName } from './vhost-marker.js';
import { vhostsConfigSchema, type VhostsConfig } from './vhosts-config.js';
import { vhostsTarget, type VhostsObserved } from './vhosts-target.js';

const nginx: VhostsConfig = vhostsConfigSchema.parse({ server: 'nginx', dir: '/etc/nginx/roster' });
const apache: VhostsConfig = vhostsConfigSchema.parse({ server: 'apache', dir: '/etc/apache2/roster', listen: ['80', '[::]:80'] });

function resource(id: number, owner: string, name: string, settings: Record<string, unknown>): DesiredResource {
  return { id, kind: 'vhost', name, owner, settings: vhostSettingsSchema.parse(settings) };
}

function host(accounts: readonly DesiredAccount[], resources: readonly DesiredResource[], more: Partial<DesiredHost> = {}): DesiredHost {
  return { ...fixtureHost(accounts), resources: { vhosts: resources }, ...more };
}

const PAGE = encodedPage('<p>suspended</p>');

function observed(files: readonly VhostFile[] = [], flags: readonly SuspensionFlag[] = []): VhostsObserved {
  return { root: '/', files: new Map(files.map((f) => [f.file, f])), flags: new Map(flags.map((f) => [f.name, f])), page: PAGE, complete: true, owners: null };
}

const FLAG_DIR = '/var/lib/roster-vhosts/suspended';

/** A file as observe reads it. */
function file(name: string, text: string, server: 'nginx' | 'apache' = 'nginx'): VhostFile {
  return { file: name, text, marker: parseMarker(name, text), names: serverNames(server, text) };
}

/** What a change of the plan does, in the target's own data. */
interface PlannedData {
  readonly kind: string;
  readonly name: string;
  readonly file?: { readonly path: string; readonly content: string } | null;
  readonly path?: string;
  readonly flag?: 'create' | 'remove' | boolean | null;
}

/** Applies the plan's writes and flags to what was observed, as apply would. */
function after(before: VhostsObserved, desired: DesiredHost, config: VhostsConfig): VhostsObserved {
  const files = new Map(before.files);
  const flags = new Map(before.flags);
  for (const c of vhostsTarget.plan(desired, before, config)) {
    const data = c.data as PlannedData;
    if (data.kind === 'vhost' && data.file) {
      const name = data.file.path.slice(data.file.path.lastIndexOf('/') + 1);
      files.set(name, file(name, data.file.content, config.server));
    }
    if (data.kind === 'remove' && data.path !== undefined) files.delete(data.path.slice(data.path.lastIndexOf('/') + 1));
    if (data.flag === 'create') flags.set(data.name, { name: data.name, managed: true });
    if (data.flag === 'remove' || data.flag === true || data.kind === 'unflag') flags.delete(data.name);
  }
  return { ...before, files, flags };
}

/** What each change of the plan touches: [action, subject, the file (write/remove/-), the flag (create/remove/-)]. */
function touches(desired: DesiredHost, seen: VhostsObserved, config: VhostsConfig): string[][] {
  return vhostsTarget.plan(desired, seen, config).map((c) => {
    const d = c.data as PlannedData;
    const fileOp = d.kind === 'remove' ? 'remove' : d.file ? 'write' : '-';
    const flagOp = d.kind === 'unflag' || d.flag === true ? 'remove' : typeof d.flag === 'string' ? d.flag : '-';
    return [c.action, c.subject, fileOp, flagOp];
  });
}

const ann = fixtureAccount('ann', 2000);
const bo = fixtureAccount('bo', 2001);
const site = resource(1, 'ann', 'www.ann.test', { root: 'public_html', aliases: ['ann.test'] });
const app = resource(2, 'bo', 'app.bo.test', { proxy: '127.0.0.1:8080' });

/** ann's vhost file as the earlier format wrote it while she was frozen: the 503 in place of the site, the state in the marker, no flag check. */
const LEGACY_SUSPENDED = [
  '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":1,"owner":"ann","name":"www.ann.test","state":"suspended"}',
  'server {',
  '    listen 80;',
  '    server_name www.ann.test ann.test;',
  '    default_type text/html;',
  '    return 503 "<p>suspended</p>";',
  '}',
  '',
].join('\n');

/** The same vhost in the earlier format while she was not frozen. */
const LEGACY_ACTIVE = [
  '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":1,"owner":"ann","name":"www.ann.test","state":"active"}',
  'server {',
  '    listen 80;',
  '    server_name www.ann.test ann.test;',
  '    root "/home/ann/public_html";',
  '    index index.html index.htm;',
  '    disable_symlinks if_not_owner;',
  '}',
  '',
].join('\n');

describe('the vhost files', () => {
  it('nginx: a static root and a proxy, each checking its suspension flag before reaching either', () => {
    const spec = { id: 1, owner: 'ann', name: 'www.ann.test', names: ['www.ann.test', 'ann.test'], serve: { root: '/home/ann/public_html' } };
    const options = { server: 'nginx' as const, listen: ['80'], page: PAGE, flagDir: FLAG_DIR, tagged: false };
    expect(renderVhost(spec, options).content).toBe(
      [
        '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":1,"owner":"ann","name":"www.ann.test"}',
        'server {',
        '    listen 80;',
        '    server_name www.ann.test ann.test;',
        `    # Suspended while ${FLAG_DIR}/www.ann.test exists: 503 with the page, neither the site nor the daemon reached.`,
        '    error_page 503 @roster_suspended;',
        `    if (-f "${FLAG_DIR}/www.ann.test") {`,
        '        return 503;',
        '    }',
        '    location @roster_suspended {',
        '        default_type text/html;',
        '        return 503 "<p>suspended</p>";',
        '    }',
        '    root "/home/ann/public_html";',
        '    index index.html index.htm;',
        '    disable_symlinks if_not_owner;',
        '}',
        '',
      ].join('\n'),
    );
    const proxied = renderVhost({ ...spec, serve: { proxy: '[::1]:8080' } }, { ...options, tagged: true });
    expect(proxied.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(proxied.content).toContain(`    server_name www.ann.test ann.test;\n    add_header X-Roster-Vhost "${proxied.tag ?? ''}" always;\n    # Suspended while`);
    expect(proxied.content).toContain('    }\n    location / {\n        proxy_pass http://[::1]:8080;\n');
    // The tag is a digest of the file: another flag directory is another file.
    expect(renderVhost({ ...spec, serve: { proxy: '[::1]:8080' } }, { ...options, tagged: true, flagDir: '/srv/flags' }).tag).not.toBe(proxied.tag);
  });

  it('apache: the same vhosts in <VirtualHost> blocks, the flag checked by mod_rewrite, a bare port listening on every address', () => {
    const spec = { id: 2, owner: 'bo', name: 'app.bo.test', names: ['app.bo.test'], serve: { proxy: 'localhost:8080' } };
    const options = { server: 'apache' as const, listen: ['80', '[::]:8080'], page: PAGE, flagDir: FLAG_DIR, tagged: false };
    expect(renderVhost(spec, options).content).toBe(
      [
        '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":2,"owner":"bo","name":"app.bo.test"}',
        '<VirtualHost *:80 [::]:8080>',
        '    ServerName app.bo.test',
        `    # Suspended while ${FLAG_DIR}/app.bo.test exists: 503 with the page, neither the site nor the daemon reached.`,
        '    RewriteEngine On',
        `    RewriteCond "${FLAG_DIR}/app.bo.test" -f`,
        '    RewriteRule ^ - [R=503,L]',
        '    ErrorDocument 503 "<p>suspended</p>"',
        '    ProxyPreserveHost On',
        '    ProxyPass "/" "http://localhost:8080/"',
        '    ProxyPassReverse "/" "http://localhost:8080/"',
        '</VirtualHost>',
        '',
      ].join('\n'),
    );
    expect(renderVhost({ ...spec, serve: { root: '/home/bo/www' } }, options).content).toContain('    ErrorDocument 503 "<p>suspended</p>"\n    DocumentRoot "/home/bo/www"\n    <Directory "/home/bo/www">\n        Options SymLinksIfOwnerMatch\n');
  });

  it('encodes what a config string would interpret, line breaks and non-ASCII; a text Apache would take for a URL gets its first character encoded', () => {
    expect(encodedPage('<p class="x">100% of $5 \\ café\n</p>')).toBe('<p class=&#34;x&#34;>100&#37; of &#36;5 &#92; caf&#233;&#10;</p>');
    expect(encodedPage('/maintenance')).toBe('&#47;maintenance');
    expect(encodedPage('default')).toBe('&#100;efault');
    expect(encodedPage('Mailto:x')).toBe('&#77;ailto:x');
    expect(encodedPage('<p>suspended</p>')).toBe('<p>suspended</p>');
    expect(encodedPage('😀 ok')).toBe('&#128512; ok');
  });

  it("reads the names an administrator's file serves, exact names only", () => {
    expect(serverNames('nginx', 'server {\n  server_name Www.Example.org .example.net *.wild.org ~^re$; # x.org\n}\n# server_name commented.org;\n')).toEqual(['www.example.org', 'example.net']);
    expect(serverNames('apache', '<VirtualHost *:80>\n  ServerName http://site.org:80\n  serveralias a.org b.org *.c.org\n  # ServerAlias hidden.org\n</VirtualHost>\n')).toEqual(['site.org', 'a.org', 'b.org']);
  });

  it("counts a file as Roster's only under the name its marker implies, and reads the state a file of the earlier format noted", () => {
    const text = renderVhost({ id: 1, owner: 'ann', name: 'www.ann.test', names: ['www.ann.test'], serve: { root: '/home/ann/p' } }, { server: 'nginx', listen: ['80'], page: PAGE, flagDir: FLAG_DIR, tagged: false }).content;
    expect(parseMarker(vhostFileName('www.ann.test'), text)).toEqual({ id: 1, owner: 'ann', name: 'www.ann.test' });
    expect(parseMarker('copy.conf', text)).toBeNull();
    expect(parseMarker(vhostFileName('www.ann.test'), text.replace('"id":1', '"id":"1"'))).toBeNull();
    expect(parseMarker(vhostFileName('www.ann.test'), LEGACY_SUSPENDED)).toEqual({ id: 1, owner: 'ann', name: 'www.ann.test', state: 'suspended' });
    expect(parseMarker(vhostFileName('www.ann.test'), LEGACY_SUSPENDED.replace('"suspended"}', '"frozen"}'))).toBeNull();
  });
});

describe('the suspended page', () => {
  it('is read from the file it names, under the root prefix; a missing file makes the target unavailable', async () => {
    const root = await mkdtemp(join(tmpdir(), 'roster-vhosts-page-'));
    try {
      await mkdir(join(root, 'etc/roster'), { recursive: true });
      await writeFile(join(root, 'etc/roster/suspended.html'), '<p>Pay "now"</p>\n');
      const config = vhostsConfigSchema.parse({ server: 'nginx', dir: '/etc/nginx/roster', suspendedPage: '/etc/roster/suspended.html' });
      const ctx = { root, host: 'web', clock: fixedClock(new Date()), log: { info: () => undefined, warn: () => undefined } };
      const seen = await vhostsTarget.observe(ctx, config, host([], []));
      expect(seen.page).toBe('<p>Pay &#34;now&#34;</p>&#10;');
      expect(seen.files.size).toBe(0);
      const missing = { ...config, suspendedPage: '/etc/roster/gone.html' };
      await expect(vhostsTarget.observe(ctx, missing, host([], []))).rejects.toMatchObject({ code: 'unavailable', message: 'the suspended page /etc/roster/gone.html does not exist' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the vhosts plan', () => {
  it('suspends the vhosts of a member whose web service a hold turns off by their flag alone, and the unfreeze removes it: the files never change', () => {
    const active = after(observed(), host([ann, bo], [site, app]), nginx);
    expect([...active.files.keys()].sort()).toEqual(['roster-vhost-app.bo.test.conf', 'roster-vhost-www.ann.test.conf']);
    expect(active.flags.size).toBe(0);
    const frozen = host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }, bo], [site, app]);
    expect(vhostsTarget.plan(frozen, active, nginx).map((c) => [c.action, c.subject, c.account, c.summary])).toEqual([['suspend', 'vhost:www.ann.test', 'ann', 'suspend www.ann.test (ann): 503 with the suspended page']]);
    expect(touches(frozen, active, nginx)).toEqual([['suspend', 'vhost:www.ann.test', '-', 'create']]);
    const suspended = after(active, frozen, nginx);
    expect(suspended.files).toEqual(active.files);
    expect([...suspended.flags.keys()]).toEqual(['www.ann.test']);
    expect(vhostsTarget.plan(frozen, suspended, nginx)).toEqual([]);
    const thawed = host([ann, bo], [site, app]);
    expect(vhostsTarget.plan(thawed, suspended, nginx).map((c) => [c.action, c.summary])).toEqual([['resume', 'resume www.ann.test (ann) from /home/ann/public_html']]);
    expect(touches(thawed, suspended, nginx)).toEqual([['resume', 'vhost:www.ann.test', '-', 'remove']]);
    expect(after(suspended, thawed, nginx)).toEqual(active);
  });

  it('a new vhost of a frozen member is written with its flag, and its flag is made first (the data says create)', () => {
    const frozen = host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site]);
    expect(vhostsTarget.plan(frozen, observed(), apache).map((c) => [c.action, c.summary])).toEqual([['create', 'add www.ann.test (ann): 503 with the suspended page']]);
    expect(touches(frozen, observed(), apache)).toEqual([['create', 'vhost:www.ann.test', 'write', 'create']]);
  });

  it('keeps the site up under a freeze whose freeze.keep lists web, and suspends it on retirement whatever freeze.keep says', () => {
    const active = after(observed(), host([ann], [site]), nginx);
    expect(vhostsTarget.plan(host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site], { freezeKeep: ['mail', 'portal', 'web'] }), active, nginx)).toEqual([]);
    expect(vhostsTarget.plan(host([{ ...ann, holds: [RETIRED], disabled: true }], [site], { freezeKeep: ['mail', 'portal', 'web'] }), active, nginx).map((c) => c.action)).toEqual(['suspend']);
  });

  it('rewrites a file of the earlier format once, making the flag of a frozen owner first; then nothing is left to do', () => {
    const name = vhostFileName('www.ann.test');
    const frozen = host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site]);
    // Still frozen: the file was already answering 503, so it is a rewrite, with the flag made before the file is loaded.
    const legacyFrozen = observed([file(name, LEGACY_SUSPENDED)]);
    expect(touches(frozen, legacyFrozen, nginx)).toEqual([['update', 'vhost:www.ann.test', 'write', 'create']]);
    expect(vhostsTarget.plan(frozen, legacyFrozen, nginx).map((c) => c.summary)).toEqual(['rewrite www.ann.test (ann): 503 with the suspended page']);
    const upgraded = after(legacyFrozen, frozen, nginx);
    expect(upgraded.files.get(name)?.text).toContain('    if (-f "/var/lib/roster-vhosts/suspended/www.ann.test") {\n');
    expect(vhostsTarget.plan(frozen, upgraded, nginx)).toEqual([]);
    // Unfrozen since: the rewrite is the resume.
    expect(touches(host([ann], [site]), legacyFrozen, nginx)).toEqual([['resume', 'vhost:www.ann.test', 'write', '-']]);
    expect(vhostsTarget.plan(host([ann], [site]), legacyFrozen, nginx).map((c) => c.summary)).toEqual(['resume www.ann.test (ann) from /home/ann/public_html; its file rewritten']);
    // Active and still active: a rewrite; frozen since: the rewrite is the suspension.
    const legacyActive = observed([file(name, LEGACY_ACTIVE)]);
    expect(touches(host([ann], [site]), legacyActive, nginx)).toEqual([['update', 'vhost:www.ann.test', 'write', '-']]);
    expect(vhostsTarget.plan(frozen, legacyActive, nginx).map((c) => [c.action, c.summary])).toEqual([['suspend', 'suspend www.ann.test (ann): 503 with the suspended page; its file rewritten']]);
    expect(vhostsTarget.plan(host([ann], [site]), after(legacyActive, host([ann], [site]), nginx), nginx)).toEqual([]);
  });

  it('removes only files Roster wrote that are no longer desired (with their flags), and in a plan of some accounts only those of these accounts', () => {
    const both = after(observed([file('admin.conf', 'server { server_name admin.test; }\n')]), host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }, bo], [site, app]), nginx);
    expect([...both.flags.keys()]).toEqual(['www.ann.test']);
    expect(touches(host([ann, bo], []), both, nginx)).toEqual([
      ['remove', 'vhost:www.ann.test', 'remove', 'remove'],
      ['remove', 'vhost:app.bo.test', 'remove', '-'],
    ]);
    expect(vhostsTarget.plan(host([ann, bo], []), both, nginx).map((c) => c.destructive)).toEqual([true, true]);
    // Scoped to ann: bo's file stays, and so do the names it serves.
    const scoped = host([ann], [resource(3, 'ann', 'shop.ann.test', { root: 'public_html', aliases: ['app.bo.test'] })], { scope: ['ann'] });
    expect(vhostsTarget.plan(scoped, both, nginx).map((c) => [c.action, c.subject, c.summary])).toEqual([
      ['refuse', 'vhost:shop.ann.test', 'cannot serve shop.ann.test for ann: app.bo.test is already served by vhost app.bo.test of bo'],
      ['remove', 'vhost:www.ann.test', 'remove www.ann.test (ann): no longer desired'],
    ]);
  });

  it("removes a flag of Roster's that no vhost has in a plan of the whole host only, and never a file of someone else's; such a file where a vhost's flag goes is a failed change", () => {
    const seen = after(observed(), host([ann, bo], [site, app]), nginx);
    const flags = [
      { name: 'old.gone.test', managed: true },
      { name: 'notes.txt', managed: false },
    ];
    const withFlags = { ...seen, flags: new Map(flags.map((f) => [f.name, f])) };
    expect(vhostsTarget.plan(host([ann, bo], [site, app]), withFlags, nginx).map((c) => [c.action, c.subject, c.account, c.summary, c.destructive])).toEqual([
      ['remove', 'vhost:old.gone.test', undefined, 'remove the suspension flag of old.gone.test: no vhost of that name', false],
    ]);
    expect(vhostsTarget.plan(host([ann], [site], { scope: ['ann'] }), withFlags, nginx)).toEqual([]);
    const squatted = { ...seen, flags: new Map([['app.bo.test', { name: 'app.bo.test', managed: false }]]) };
    expect(vhostsTarget.plan(host([ann, bo], [site, app]), squatted, nginx).map((c) => [c.action, c.summary])).toEqual([
      ['refuse', `cannot serve app.bo.test for bo: ${FLAG_DIR}/app.bo.test exists and was not written by Roster (left alone; while it exists the server answers 503 for app.bo.test)`],
    ]);
  });

  it("checks a name against the other files when its file is to be written: an administrator's file that takes a name later does not hold back the suspension of the vhost already serving it", () => {
    const active = after(observed(), host([ann], [site]), nginx);
    const taken = { ...active, files: new Map([...active.files, ['admin.conf', file('admin.conf', 'server { server_name ann.test; }\n')]]) };
    expect(vhostsTarget.plan(host([ann], [site]), taken, nginx)).toEqual([]);
    expect(touches(host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site]), taken, nginx)).toEqual([['suspend', 'vhost:www.ann.test', '-', 'create']]);
    // A file to rewrite is refused, and left as it is.
    expect(vhostsTarget.plan(host([ann], [site]), taken, { ...nginx, listen: ['8080'] }).map((c) => c.summary)).toEqual([
      `cannot serve www.ann.test for ann: ann.test is already served by /etc/nginx/roster/admin.conf, which Roster did not write`,
    ]);
  });

  it('rewrites every file when the server settings or the flag directory change, and refuses a home that cannot be quoted', () => {
    const active = after(observed(), host([ann], [site]), nginx);
    expect(vhostsTarget.plan(host([ann], [site]), active, { ...nginx, listen: ['8080'] }).map((c) => [c.action, c.summary])).toEqual([['update', 'rewrite www.ann.test (ann) from /home/ann/public_html']]);
    // Frozen while the directory moves (observe reads the new one, empty): the flag is made there before the file that checks it is loaded.
    const frozen = after(active, host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site]), nginx);
    const moved = { ...nginx, flagDir: '/srv/roster-flags' };
    expect(touches(host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site]), { ...frozen, flags: new Map() }, moved)).toEqual([['suspend', 'vhost:www.ann.test', 'write', 'create']]);
    expect(vhostsTarget.plan(host([{ ...ann, home: '/home/$ann' }], [site]), observed(), apache).map((c) => c.summary)).toEqual([
      'cannot serve www.ann.test for ann: its directory /home/$ann/public_html holds a character a web server config cannot quote (", \\, $ or a control character)',
    ]);
  });

  it('is checked by its schema: exactly one of root and proxy, a page that fits Apache, a flag directory the servers would not expand', () => {
    expect(vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/roster', suspendedPage: 'x '.repeat(5000) }).success).toBe(false);
    expect(vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/../roster' }).success).toBe(false);
    expect(vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/roster', listen: '127.0.0.1:99999' }).success).toBe(false);
    expect(vhostsConfigSchema.parse({ server: 'apache', dir: '/etc/apache2/roster', listen: '[::]:80' }).listen).toEqual(['[::]:80']);
    expect(nginx.flagDir).toBe(FLAG_DIR);
    const flagIssues = (flagDir: string): string[] => {
      const parsed = vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/roster', flagDir });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(flagIssues('/srv/flags')).toEqual([]);
    expect(flagIssues('/etc/nginx/roster')).toEqual(['flagDir: flagDir must not be the vhost directory dir']);
    for (const bad of ['/srv/$flags', '/srv/100%', '/srv/my flags', '/srv/"x"']) expect(flagIssues(bad)).toEqual([expect.stringMatching(/^flagDir: must not contain spaces, ", \\, \$ or %/)]);
    expect(flagIssues('/')).toEqual(['flagDir: must not be / (Roster removes the files it wrote there)']);
    expect(flagIssues('/var/lib/roster/suspended')).toEqual(["flagDir: must not be inside /var/lib/roster, which Roster keeps 0700: the web server's workers could not see the flags there"]);
    expect(flagIssues('/var/lib/roster-flags')).toEqual([]);
    expect(flagIssues('srv/flags')).toEqual(['flagDir: must be an absolute path, got "srv/flags"']);
    expect(vhostSettingsSchema.safeParse({ root: 'public_html/./x' }).success).toBe(false);
    expect(vhostSettingsSchema.safeParse({ root: 'public_html', proxy: 'localhost:8080' }).success).toBe(false);
    expect(vhostSettingsSchema.parse({ root: 'public_html' })).toEqual({ root: 'public_html', aliases: [] });
    expect(vhostSettingsSchema.safeParse({ proxy: 'localhost:8080', aliases: ['Ann.test'] }).success).toBe(false);
  });
});
