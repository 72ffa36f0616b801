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

function observed(files: readonly VhostFile[] = []): VhostsObserved {
  return { root: '/', files: new Map(files.map((f) => [f.file, f])), page: PAGE };
}

/** A file as observe reads it. */
function file(name: string, text: string, server: 'nginx' | 'apache' = 'nginx'): VhostFile {
  return { file: name, text, marker: parseMarker(name, text), names: serverNames(server, text) };
}

/** Applies the plan's writes to what was observed, as apply would. */
function after(before: VhostsObserved, desired: DesiredHost, config: VhostsConfig): VhostsObserved {
  const files = new Map(before.files);
  for (const c of vhostsTarget.plan(desired, before, config)) {
    const data = c.data as { kind: string; path: string; content?: string };
    const name = data.path.slice(data.path.lastIndexOf('/') + 1);
    if (data.kind === 'write' && data.content !== undefined) files.set(name, file(name, data.content, config.server));
    if (data.kind === 'remove') files.delete(name);
  }
  return { ...before, files };
}

const ann = fixtureAccount('ann', 2000);
const bo = fixtureAccount('bo', 2001);
const site = resource(1, 'ann', 'www.ann.test', { root: 'public_html', aliases: ['ann.test'] });
const app = resource(2, 'bo', 'app.bo.test', { proxy: '127.0.0.1:8080' });

describe('the vhost files', () => {
  it('nginx: a static root, a proxy, and the suspended vhost that names neither', () => {
    const spec = { id: 1, owner: 'ann', name: 'www.ann.test', names: ['www.ann.test', 'ann.test'], state: 'active' as const, serve: { root: '/home/ann/public_html' } };
    const options = { server: 'nginx' as const, listen: ['80'], page: PAGE, tagged: false };
    expect(renderVhost(spec, options).content).toBe(
      [
        '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":1,"owner":"ann","name":"www.ann.test","state":"active"}',
        'server {',
        '    listen 80;',
        '    server_name www.ann.test ann.test;',
        '    root "/home/ann/public_html";',
        '    index index.html index.htm;',
        '    disable_symlinks if_not_owner;',
        '}',
        '',
      ].join('\n'),
    );
    expect(renderVhost({ ...spec, serve: { proxy: '[::1]:8080' } }, options).content).toContain('        proxy_pass http://[::1]:8080;\n');
    const suspended = renderVhost({ ...spec, state: 'suspended' }, { ...options, tagged: true });
    expect(suspended.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(suspended.content).toBe(
      [
        '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":1,"owner":"ann","name":"www.ann.test","state":"suspended"}',
        'server {',
        '    listen 80;',
        '    server_name www.ann.test ann.test;',
        `    add_header X-Roster-Vhost "${suspended.tag ?? ''}" always;`,
        '    default_type text/html;',
        '    return 503 "<p>suspended</p>";',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('apache: the same vhosts in <VirtualHost> blocks, a bare port listening on every address', () => {
    const spec = { id: 2, owner: 'bo', name: 'app.bo.test', names: ['app.bo.test'], state: 'active' as const, serve: { proxy: 'localhost:8080' } };
    const options = { server: 'apache' as const, listen: ['80', '[::]:8080'], page: PAGE, tagged: false };
    expect(renderVhost(spec, options).content).toBe(
      [
        '# Managed by Roster, edits are overwritten: {"kind":"vhost","id":2,"owner":"bo","name":"app.bo.test","state":"active"}',
        '<VirtualHost *:80 [::]:8080>',
        '    ServerName app.bo.test',
        '    ProxyPreserveHost On',
        '    ProxyPass "/" "http://localhost:8080/"',
        '    ProxyPassReverse "/" "http://localhost:8080/"',
        '</VirtualHost>',
        '',
      ].join('\n'),
    );
    expect(renderVhost({ ...spec, state: 'suspended' }, options).content).toContain('    Redirect 503 /\n    ErrorDocument 503 "<p>suspended</p>"\n');
    expect(renderVhost({ ...spec, serve: { root: '/home/bo/www' } }, options).content).toContain('    <Directory "/home/bo/www">\n        Options SymLinksIfOwnerMatch\n');
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

  it("counts a file as Roster's only under the name its marker implies", () => {
    const text = renderVhost({ id: 1, owner: 'ann', name: 'www.ann.test', names: ['www.ann.test'], state: 'active', serve: { root: '/home/ann/p' } }, { server: 'nginx', listen: ['80'], page: PAGE, tagged: false }).content;
    expect(parseMarker(vhostFileName('www.ann.test'), text)).toEqual({ id: 1, owner: 'ann', name: 'www.ann.test', state: 'active' });
    expect(parseMarker('copy.conf', text)).toBeNull();
    expect(parseMarker(vhostFileName('www.ann.test'), text.replace('"id":1', '"id":"1"'))).toBeNull();
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
  it('suspends the vhosts of a member whose web service a hold turns off, and writes back the same bytes when it is lifted', () => {
    const active = after(observed(), host([ann, bo], [site, app]), nginx);
    expect([...active.files.keys()].sort()).toEqual(['roster-vhost-app.bo.test.conf', 'roster-vhost-www.ann.test.conf']);
    const frozen = host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }, bo], [site, app]);
    expect(vhostsTarget.plan(frozen, active, nginx).map((c) => [c.action, c.subject, c.account, c.summary])).toEqual([['suspend', 'vhost:www.ann.test', 'ann', 'suspend www.ann.test (ann): 503 with the suspended page']]);
    const suspended = after(active, frozen, nginx);
    expect(vhostsTarget.plan(host([ann, bo], [site, app]), suspended, nginx).map((c) => c.action)).toEqual(['resume']);
    expect(after(suspended, host([ann, bo], [site, app]), nginx).files).toEqual(active.files);
  });

  it('keeps the site up under a freeze whose freeze.keep lists web, and suspends it on retirement whatever freeze.keep says', () => {
    const active = after(observed(), host([ann], [site]), nginx);
    expect(vhostsTarget.plan(host([{ ...ann, holds: [FREEZE_BILLING], disabled: true }], [site], { freezeKeep: ['mail', 'portal', 'web'] }), active, nginx)).toEqual([]);
    expect(vhostsTarget.plan(host([{ ...ann, holds: [RETIRED], disabled: true }], [site], { freezeKeep: ['mail', 'portal', 'web'] }), active, nginx).map((c) => c.action)).toEqual(['suspend']);
  });

  it('removes only files Roster wrote that are no longer desired, and in a plan of some accounts only those of these accounts', () => {
    const both = after(observed([file('admin.conf', 'server { server_name admin.test; }\n')]), host([ann, bo], [site, app]), nginx);
    expect(vhostsTarget.plan(host([ann, bo], []), both, nginx).map((c) => [c.action, c.subject, c.destructive])).toEqual([
      ['remove', 'vhost:www.ann.test', true],
      ['remove', 'vhost:app.bo.test', true],
    ]);
    // Scoped to ann: bo's file stays, and so do the names it serves.
    const scoped = host([ann], [resource(3, 'ann', 'shop.ann.test', { root: 'public_html', aliases: ['app.bo.test'] })], { scope: ['ann'] });
    expect(vhostsTarget.plan(scoped, both, nginx).map((c) => [c.action, c.subject, c.summary])).toEqual([
      ['refuse', 'vhost:shop.ann.test', 'cannot serve shop.ann.test for ann: app.bo.test is already served by vhost app.bo.test of bo'],
      ['remove', 'vhost:www.ann.test', 'remove www.ann.test (ann): no longer desired'],
    ]);
  });

  it('rewrites every file when the server settings change, and refuses a home that cannot be quoted', () => {
    const active = after(observed(), host([ann], [site]), nginx);
    expect(vhostsTarget.plan(host([ann], [site]), active, { ...nginx, listen: ['8080'] }).map((c) => [c.action, c.summary])).toEqual([['update', 'rewrite www.ann.test (ann) from /home/ann/public_html']]);
    expect(vhostsTarget.plan(host([{ ...ann, home: '/home/$ann' }], [site]), observed(), apache).map((c) => c.summary)).toEqual([
      'cannot serve www.ann.test for ann: its directory /home/$ann/public_html holds a character a web server config cannot quote (", \\, $ or a control character)',
    ]);
  });

  it('is checked by its schema: exactly one of root and proxy, a page that fits Apache', () => {
    expect(vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/roster', suspendedPage: 'x '.repeat(5000) }).success).toBe(false);
    expect(vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/../roster' }).success).toBe(false);
    expect(vhostsConfigSchema.safeParse({ server: 'nginx', dir: '/etc/nginx/roster', listen: '127.0.0.1:99999' }).success).toBe(false);
    expect(vhostsConfigSchema.parse({ server: 'apache', dir: '/etc/apache2/roster', listen: '[::]:80' }).listen).toEqual(['[::]:80']);
    expect(vhostSettingsSchema.safeParse({ root: 'public_html/./x' }).success).toBe(false);
    expect(vhostSettingsSchema.safeParse({ root: 'public_html', proxy: 'localhost:8080' }).success).toBe(false);
    expect(vhostSettingsSchema.parse({ root: 'public_html' })).toEqual({ root: 'public_html', aliases: [] });
    expect(vhostSettingsSchema.safeParse({ proxy: 'localhost:8080', aliases: ['Ann.test'] }).success).toBe(false);
  });
});
