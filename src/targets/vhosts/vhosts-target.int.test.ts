import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../../app/accounts.js';
import type { AppContext } from '../../app/app-context.js';
import { freezeAccount, unfreezeAccount } from '../../app/lifecycle-actions.js';
import { mutate } from '../../app/mutate.js';
import { addPerson } from '../../app/people.js';
import { purgeAccount } from '../../app/purge.js';
import { addResource, removeResource } from '../../app/resources.js';
import { restoreAccount } from '../../app/restore-account.js';
import { parseConfig } from '../../config/load-config.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { RosterError } from '../../domain/errors.js';
import { planHost } from '../../reconcile/host-plan.js';
import { reconcileHost } from '../../reconcile/reconcile-host.js';
import { openStore } from '../../store/open-store.js';
import { runCommand } from '../../system/run-command.js';
import { targetRegistry, type AnyTarget } from '../registry.js';
import { startApache } from '../../../test/daemons/apache-server.js';
import { startNginx } from '../../../test/daemons/nginx-server.js';
import type { WebDaemon } from '../../../test/daemons/web-daemon.js';
import { freePort } from '../../../test/daemons/free-port.js';
import { exampleAppContext } from '../../../test/example-app-context.js';
import { probeVhost } from './probe-vhost.js';
import { encodedPage } from './suspended-page.js';
import { vhostsCheck } from './vhosts-check.js';
import { vhostsTarget } from './vhosts-target.js';
import { fixtureHost } from '../../../test/desired-fixture.js';
import { DEFAULT_FLAG_DIR, vhostsConfigSchema } from './vhosts-config.js';

/**
 * The vhosts target against a real nginx and a real Apache (issue 12 item
 * 4, DESIGN.md §8), each started once for its describe on a free loopback
 * port with its configuration in a temp dir; the target's test and reload
 * commands point at that instance. Members' homes and the suspension flags
 * (the default flagDir) live in a temp root prefix, which the web server
 * reads as it would /home and /var/lib; its workers run as www-data.
 */
const targets: readonly AnyTarget[] = targetRegistry;

/** The include dir as roster.yaml names it; on disk it is under the root prefix. */
const DIR = '/etc/web/vhosts';

/** Characters each server's config would interpret, a line break and non-ASCII: the page must come back as written (encoded). */
const PAGE = '<h1>Suspended</h1>\n<p>Dues are 100% overdue: "pay $12" at C:\\coop — café</p>';

const BROKEN = { nginx: 'this_is_not_a_directive on;\n', apache: 'ThisIsNotADirective on\n' } as const;

function configText(web: WebDaemon, overrides: { readonly reload?: readonly string[] | { readonly pidFile: string }; readonly timeoutSeconds?: number } = {}): string {
  const section = {
    server: web.server,
    dir: DIR,
    listen: [web.address],
    suspendedPage: PAGE,
    test: web.testArgv,
    reload: overrides.reload ?? web.reloadArgv,
    verify: { http: web.address, timeoutSeconds: overrides.timeoutSeconds ?? 10 },
  };
  // JSON is YAML: the section goes in as one flow mapping.
  return `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
hosts:
  web:
    targets:
      vhosts: ${JSON.stringify(section)}
types:
  member:
    hosts: { live: [web] }
`;
}

/** The member's own daemon, which proxy vhosts reach: it says which Host it saw and counts the requests; for a `busy.` name it answers 503 itself. */
interface MemberDaemon {
  readonly port: number;
  readonly hosts: string[];
  close(): Promise<void>;
}

async function startMemberDaemon(): Promise<MemberDaemon> {
  const hosts: string[] = [];
  const server: Server = createServer((req, res) => {
    const host = req.headers.host ?? '';
    hosts.push(host);
    if (host.startsWith('busy.')) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '120' });
      res.end('the daemon is busy\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`daemon saw ${host}\n`);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, hosts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const SERVERS = [
  ['nginx', startNginx],
  ['apache', startApache],
] as const;

for (const [server, start] of SERVERS) {
  describe(`the vhosts target on a real ${server}`, () => {
    let root: string;
    let include: string;
    let flagDir: string;
    let web: WebDaemon;
    let daemon: MemberDaemon;
    let ctx: AppContext;
    let stores = 0;

    const apply = async () => (await reconcileHost(ctx, targets, { host: 'web', root })).report.outcomes.filter((o) => o.target === 'vhosts');
    const pending = async () => (await planHost(ctx, targets, { host: 'web', root })).plan.targets.flatMap((t) => t.changes);
    const once = async (name: string): Promise<{ status: number; body: string }> => {
      const answer = await probeVhost(web.address, name, 5000);
      if ('error' in answer) throw new Error(`${name}: ${answer.error}`);
      return { status: answer.status, body: answer.body };
    };
    /**
     * What the server answers for `name` once its answers stop changing:
     * for a moment after a graceful reload, workers of the configuration
     * before may still take a connection (verify waited for the new one to
     * answer, not for the old ones to go).
     */
    const get = async (name: string): Promise<{ status: number; body: string }> => {
      const deadline = Date.now() + 10_000;
      let last = await once(name);
      for (let same = 1; same < 5 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 40));
        const next = await once(name);
        same = JSON.stringify(next) === JSON.stringify(last) ? same + 1 : 1;
        last = next;
      }
      return last;
    };
    /** The suspension flags there are. */
    const flags = async (): Promise<string[]> => (await readdir(flagDir).catch(() => [])).sort();
    /** How many times the server has loaded its configuration again, by its own log. */
    const reloads = async (): Promise<number> => (await web.errorLog()).split('\n').filter((l) => /reconfiguring|Doing graceful restart/.test(l)).length;
    /** The include dir's files and their bytes. */
    const files = async (): Promise<Record<string, string>> => {
      const names = (await readdir(include)).sort();
      return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(include, n), 'utf8')] as const)));
    };
    const vhost = (user: string, name: string, settings: Record<string, unknown>) => addResource(ctx, targets, { user, kind: 'vhost', name, host: 'web', settings });

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'roster-vhosts-'));
      // The web server's workers (www-data) read the members' homes under it.
      await chmod(root, 0o755);
      include = join(root, DIR);
      flagDir = join(root, DEFAULT_FLAG_DIR);
      web = await start({ includeDir: include });
      daemon = await startMemberDaemon();
    });

    afterAll(async () => {
      await web.stop();
      await daemon.close();
      await rm(root, { recursive: true, force: true });
    });

    beforeEach(async () => {
      // Each test starts from an empty include dir, loaded.
      await rm(include, { recursive: true, force: true });
      await rm(flagDir, { recursive: true, force: true });
      await mkdir(include, { recursive: true });
      const reloaded = await runCommand(web.reloadArgv);
      expect(reloaded.code, reloaded.stderr).toBe(0);
      daemon.hosts.length = 0;
      stores += 1;
      ctx = exampleAppContext(await openStore(join(root, `roster-${stores}.db`)), '2026-11-23T12:00:00Z', { config: parseConfig(configText(web), 'roster.yaml', { targets }).config });
      for (const [id, username] of [
        ['P1', 'ann'],
        ['P2', 'bo'],
      ] as const) {
        await addPerson(ctx, { id, firstName: username, lastName: 'Member' });
        await createAccount(ctx, { personId: id, type: 'member', username });
        await mkdir(join(root, 'home', username, 'public_html'), { recursive: true });
        await writeFile(join(root, 'home', username, 'public_html', 'index.html'), `${username}'s pages\n`);
      }
    });

    afterEach(async () => {
      await ctx.store.close();
    });

    it("serves a member's site from a directory in the home and another's through a proxy to the member's own daemon; a second run has nothing to do", async () => {
      await vhost('ann', 'www.ann.test', { root: 'public_html', aliases: ['ann.test'] });
      await vhost('bo', 'app.bo.test', { proxy: `127.0.0.1:${daemon.port}` });
      await vhost('bo', 'busy.bo.test', { proxy: `127.0.0.1:${daemon.port}` });
      const outcomes = await apply();
      expect(outcomes.map((o) => [o.action, o.status, o.summary, o.error])).toEqual([
        ['create', 'ok', 'serve www.ann.test (ann) from /home/ann/public_html', undefined],
        ['create', 'ok', `serve app.bo.test (bo) through 127.0.0.1:${daemon.port}`, undefined],
        ['create', 'ok', `serve busy.bo.test (bo) through 127.0.0.1:${daemon.port}`, undefined],
      ]);
      expect(await get('www.ann.test')).toEqual({ status: 200, body: "ann's pages\n" });
      expect(await get('ann.test')).toEqual({ status: 200, body: "ann's pages\n" });
      expect(await get('app.bo.test')).toEqual({ status: 200, body: 'daemon saw app.bo.test\n' });
      // The member's own 503 passes through as the daemon sent it: the suspended page answers the flag only.
      expect(await get('busy.bo.test')).toEqual({ status: 503, body: 'the daemon is busy\n' });
      expect((await get('nobody.test')).status).toBe(404);
      const written = await files();
      expect(Object.keys(written)).toEqual(['roster-vhost-app.bo.test.conf', 'roster-vhost-busy.bo.test.conf', 'roster-vhost-www.ann.test.conf']);
      expect(await flags()).toEqual([]);
      for (const text of Object.values(written)) expect(text).toMatch(/^# Managed by Roster, edits are overwritten: \{"kind":"vhost","id":\d+,"owner":"(ann|bo)",/);
      expect(await pending()).toEqual([]);
      expect(await files()).toEqual(written);
    });

    it("a freeze answers 503 with the suspended page on every name of the member's vhosts by their flags alone (no check, no reload), reaching neither home nor daemon, while another member's vhost answers 200; the unfreeze removes the flags, every file byte for byte as before", async () => {
      await vhost('ann', 'www.ann.test', { root: 'public_html', aliases: ['ann.test'] });
      await vhost('ann', 'api.ann.test', { proxy: `127.0.0.1:${daemon.port}` });
      await vhost('bo', 'www.bo.test', { root: 'public_html' });
      expect((await apply()).filter((o) => o.status !== 'ok')).toEqual([]);
      const before = await files();
      const loaded = await reloads();
      expect(loaded).toBeGreaterThan(0);

      // As `roster account freeze ann --apply` does: a plan of ann's accounts alone, which reads her files only (found through the record of owners).
      await freezeAccount(ctx, 'ann', { reason: 'billing' });
      const seen = await vhostsTarget.observe({ root, host: 'web', clock: ctx.clock, log: ctx.log }, vhostsConfigSchema.parse(ctx.config.hosts.web?.targets.vhosts), { ...fixtureHost([]), scope: ['ann'] });
      expect(seen.complete).toBe(false);
      const { report } = await reconcileHost(ctx, targets, { host: 'web', root, accounts: ['ann'] });
      expect(report.widened).toBeUndefined();
      const frozen = report.outcomes.filter((o) => o.target === 'vhosts');
      expect(frozen.map((o) => [o.action, o.status, o.summary, o.error])).toEqual([
        ['suspend', 'ok', 'suspend www.ann.test (ann): 503 with the suspended page', undefined],
        ['suspend', 'ok', 'suspend api.ann.test (ann): 503 with the suspended page', undefined],
      ]);
      expect(await flags()).toEqual(['api.ann.test', 'www.ann.test']);
      expect(await files()).toEqual(before);
      const page = { status: 503, body: encodedPage(PAGE) };
      expect(await once('www.ann.test')).toEqual(page);
      expect(await once('ann.test')).toEqual(page);
      daemon.hosts.length = 0;
      expect(await once('api.ann.test')).toEqual(page);
      expect(daemon.hosts).toEqual([]);
      expect(await once('www.bo.test')).toEqual({ status: 200, body: "bo's pages\n" });
      expect(await pending()).toEqual([]);

      await unfreezeAccount(ctx, 'ann', { reason: 'billing' });
      const thawed = await apply();
      expect(thawed.map((o) => [o.action, o.status, o.summary])).toEqual([
        ['resume', 'ok', 'resume www.ann.test (ann) from /home/ann/public_html'],
        ['resume', 'ok', `resume api.ann.test (ann) through 127.0.0.1:${daemon.port}`],
      ]);
      expect(await flags()).toEqual([]);
      expect(await files()).toEqual(before);
      expect(await once('www.ann.test')).toEqual({ status: 200, body: "ann's pages\n" });
      expect(await once('api.ann.test')).toEqual({ status: 200, body: 'daemon saw api.ann.test\n' });
      expect(await pending()).toEqual([]);
      // Neither way loaded the configuration again.
      expect(await reloads()).toBe(loaded);
    });

    it('a file of the earlier format (the 503 in place of the site, no flag check) is rewritten once, its flag made before it is loaded: the site answers the page throughout, then the unfreeze is the flag alone', async () => {
      const site = await vhost('ann', 'www.ann.test', { root: 'public_html' });
      await freezeAccount(ctx, 'ann', { reason: 'billing' });
      const marker = `# Managed by Roster, edits are overwritten: {"kind":"vhost","id":${String(site.id)},"owner":"ann","name":"www.ann.test","state":"suspended"}`;
      const legacy =
        server === 'nginx'
          ? [marker, 'server {', `    listen ${web.address};`, '    server_name www.ann.test;', '    default_type text/html;', `    return 503 "${encodedPage(PAGE)}";`, '}', ''].join('\n')
          : [marker, `<VirtualHost ${web.address}>`, '    ServerName www.ann.test', '    Redirect 503 /', `    ErrorDocument 503 "${encodedPage(PAGE)}"`, '</VirtualHost>', ''].join('\n');
      await writeFile(join(include, 'roster-vhost-www.ann.test.conf'), legacy);
      expect((await runCommand(web.reloadArgv)).code).toBe(0);
      const page = { status: 503, body: encodedPage(PAGE) };
      expect(await get('www.ann.test')).toEqual(page);

      expect((await apply()).map((o) => [o.action, o.status, o.summary, o.error])).toEqual([['update', 'ok', 'rewrite www.ann.test (ann): 503 with the suspended page', undefined]]);
      expect(await flags()).toEqual(['www.ann.test']);
      expect((await files())['roster-vhost-www.ann.test.conf']).toContain(`${flagDir}/www.ann.test`);
      expect(await get('www.ann.test')).toEqual(page);
      expect(await pending()).toEqual([]);
      const rewritten = await files();

      await unfreezeAccount(ctx, 'ann', { reason: 'billing' });
      expect((await apply()).map((o) => [o.action, o.status])).toEqual([['resume', 'ok']]);
      expect(await files()).toEqual(rewritten);
      expect(await once('www.ann.test')).toEqual({ status: 200, body: "ann's pages\n" });
    });

    it("a broken file planted in the dir fails the check of a file change: the running server keeps serving, the previous files are back and the changes fail with the check's output; a freeze, which changes no file, still takes effect", async () => {
      await vhost('ann', 'www.ann.test', { root: 'public_html' });
      await vhost('ann', 'api.ann.test', { proxy: `127.0.0.1:${daemon.port}` });
      expect((await apply()).filter((o) => o.status !== 'ok')).toEqual([]);
      const before = await files();
      const doctor = () => vhostsCheck({ host: 'web', root, config: ctx.config, system: liveSystem() }, vhostsConfigSchema.parse(ctx.config.hosts.web?.targets.vhosts));
      expect((await doctor()).map((c) => [c.check, c.status])).toEqual([
        ['web server config', 'ok'],
        ['vhost suspension flags', 'ok'],
      ]);
      await writeFile(join(include, 'zz-broken.conf'), BROKEN[server]);
      expect((await doctor())[0]).toEqual(expect.objectContaining({ status: 'fail', message: expect.stringContaining(join(include, 'zz-broken.conf')) }));

      // Two new vhosts: files to check, which the check refuses with the planted file in place.
      await vhost('bo', 'www.bo.test', { root: 'public_html' });
      await vhost('bo', 'shop.bo.test', { root: 'public_html' });
      const outcomes = await apply();
      expect(outcomes.map((o) => [o.action, o.status])).toEqual([
        ['create', 'failed'],
        ['create', 'failed'],
      ]);
      for (const o of outcomes) {
        expect(o.error).toContain(`${web.testArgv.join(' ')}: exit 1`);
        expect(o.error).toContain(join(include, 'zz-broken.conf'));
        expect(o.error).toContain(server === 'nginx' ? 'unknown directive "this_is_not_a_directive"' : "Invalid command 'ThisIsNotADirective'");
        expect(o.error).toContain('nothing was reloaded and the previous files are back; the check fails without these changes too');
      }
      const { 'zz-broken.conf': planted, ...rest } = await files();
      expect(planted).toBe(BROKEN[server]);
      expect(rest).toEqual(before);
      expect(await get('www.ann.test')).toEqual({ status: 200, body: "ann's pages\n" });
      expect((await get('www.bo.test')).status).toBe(404);

      // A freeze needs no check: ann's sites are suspended all the same.
      await freezeAccount(ctx, 'ann', { reason: 'billing' });
      const frozen = (await reconcileHost(ctx, targets, { host: 'web', root, accounts: ['ann'] })).report.outcomes.filter((o) => o.target === 'vhosts');
      expect(frozen.map((o) => [o.action, o.status])).toEqual([
        ['suspend', 'ok'],
        ['suspend', 'ok'],
      ]);
      expect((await once('www.ann.test')).status).toBe(503);

      // Once the file is fixed, the same plan goes through.
      await rm(join(include, 'zz-broken.conf'));
      expect((await apply()).map((o) => [o.action, o.status])).toEqual([
        ['create', 'ok'],
        ['create', 'ok'],
      ]);
      expect(await get('www.bo.test')).toEqual({ status: 200, body: "bo's pages\n" });
      expect((await once('www.ann.test')).status).toBe(503);
    });

    it("a file Roster did not write is never touched: a name it serves, or its taking a vhost's file name, is a failed change naming both; of two vhosts claiming a name the older keeps it", async () => {
      const admin = server === 'nginx'
        ? `server {\n    listen ${web.address};\n    server_name www.ann.test;\n    return 200 "the admin's own site";\n}\n`
        : `<VirtualHost ${web.address}>\n    ServerName www.ann.test\n    Redirect 410 /\n</VirtualHost>\n`;
      const squatter = `# an administrator's file under the name Roster would use\n`;
      await writeFile(join(include, 'admin-site.conf'), admin);
      await writeFile(join(include, 'roster-vhost-www.bo.test.conf'), squatter);
      await runCommand(web.reloadArgv);
      await vhost('ann', 'www.ann.test', { root: 'public_html' });
      await vhost('bo', 'www.bo.test', { root: 'public_html' });
      await vhost('ann', 'shop.ann.test', { root: 'public_html', aliases: ['shared.test'] });
      await vhost('bo', 'shop.bo.test', { root: 'public_html', aliases: ['shared.test'] });
      const outcomes = await apply();
      expect(outcomes.map((o) => [o.subject, o.status, o.error])).toEqual([
        ['vhost:www.ann.test', 'failed', `www.ann.test is already served by ${DIR}/admin-site.conf, which Roster did not write`],
        ['vhost:www.bo.test', 'failed', `${DIR}/roster-vhost-www.bo.test.conf exists and was not written by Roster (left alone)`],
        ['vhost:shop.ann.test', 'ok', undefined],
        ['vhost:shop.bo.test', 'failed', 'shared.test is already served by vhost shop.ann.test of ann'],
      ]);
      const now = await files();
      expect(now['admin-site.conf']).toBe(admin);
      expect(now['roster-vhost-www.bo.test.conf']).toBe(squatter);
      expect((await get('www.ann.test')).status).toBe(server === 'nginx' ? 200 : 410);
      expect(await get('shared.test')).toEqual({ status: 200, body: "ann's pages\n" });
    });

    it("a removed vhost's file goes and a purged member's files go; restoring the member writes the same bytes again", async () => {
      const blog = await vhost('bo', 'blog.bo.test', { root: 'public_html' });
      await vhost('ann', 'www.ann.test', { root: 'public_html' });
      await vhost('bo', 'www.bo.test', { root: 'public_html' });
      expect((await apply()).filter((o) => o.status !== 'ok')).toEqual([]);
      const before = await files();

      await removeResource(ctx, blog.id);
      expect((await apply()).map((o) => [o.action, o.status, o.summary])).toEqual([['remove', 'ok', 'remove blog.bo.test (bo): no longer desired']]);
      expect((await get('blog.bo.test')).status).toBe(404);

      await mutate(ctx, {}, async (tx) => {
        const ann = await tx.getAccount('ann');
        if (ann === undefined) throw new Error('no ann');
        await purgeAccount(tx, ctx, ann, 'test');
      });
      expect((await apply()).map((o) => [o.action, o.status, o.account])).toEqual([['remove', 'ok', 'ann']]);
      expect(Object.keys(await files())).toEqual(['roster-vhost-www.bo.test.conf']);
      expect((await get('www.ann.test')).status).toBe(404);

      await restoreAccount(ctx, 'ann');
      expect((await apply()).map((o) => [o.action, o.status])).toEqual([['create', 'ok']]);
      const { 'roster-vhost-blog.bo.test.conf': _gone, ...kept } = before;
      expect(await files()).toEqual(kept);
      expect(await get('www.ann.test')).toEqual({ status: 200, body: "ann's pages\n" });
    });

    it("a change the web server did not take up fails verification: a new vhost when the reload does nothing, a flag its workers cannot see", async () => {
      await vhost('ann', 'www.ann.test', { root: 'public_html' });
      expect((await apply()).filter((o) => o.status !== 'ok')).toEqual([]);
      ctx = { ...ctx, config: parseConfig(configText(web, { reload: ['true'], timeoutSeconds: 1 }), 'roster.yaml', { targets }).config };
      await vhost('bo', 'www.bo.test', { root: 'public_html' });
      expect((await apply()).map((o) => [o.action, o.status, o.error])).toEqual([
        [
          'create',
          'failed',
          expect.stringMatching(
            new RegExp(`^applied but not in effect: Host: www\\.bo\\.test at ${web.address} answered 404 from another configuration than the file just written \\(X-Roster-Vhost: none\\); expected its site, not the suspended page \\(waited 1 s\\)$`),
          ),
        ],
      ]);

      // A flag directory the workers (www-data) may not search: their -f finds nothing, and the site is still served.
      await mkdir(flagDir, { recursive: true, mode: 0o755 });
      await chmod(flagDir, 0o700);
      await freezeAccount(ctx, 'ann', { reason: 'billing' });
      expect((await reconcileHost(ctx, targets, { host: 'web', root, accounts: ['ann'] })).report.outcomes.map((o) => [o.action, o.status, o.error])).toEqual([
        ['suspend', 'failed', `applied but not in effect: Host: www.ann.test at ${web.address} answered 200; expected 503 with the suspended page (waited 1 s)`],
      ]);
      expect(await flags()).toEqual(['www.ann.test']);
      await chmod(flagDir, 0o755);
      expect((await once('www.ann.test')).status).toBe(503);
    });

    it("reloads by the master's own signal with reload: { pidFile }, and never signals a process that is not the master", async () => {
      // The PID file as roster.yaml names it, under the root prefix: a link to where this instance writes it.
      await mkdir(join(root, 'run'), { recursive: true });
      await symlink(web.pidFile, join(root, 'run', 'web.pid'));
      await writeFile(join(root, 'run', 'other.pid'), `${String(process.pid)}\n`);
      try {
        await vhost('ann', 'www.ann.test', { root: 'public_html' });
        ctx = { ...ctx, config: parseConfig(configText(web, { reload: { pidFile: '/run/web.pid' } }), 'roster.yaml', { targets }).config };
        // Verified: the server answers from the file just written, so the signal reached the master.
        expect((await apply()).map((o) => [o.action, o.status, o.error])).toEqual([['create', 'ok', undefined]]);
        // Signal after signal: each reload is taken up.
        for (let round = 0; round < 3; round++) {
          await vhost('ann', `r${String(round)}.ann.test`, { root: 'public_html' });
          expect((await apply()).map((o) => [o.action, o.status, o.error])).toEqual([['create', 'ok', undefined]]);
        }
        expect(await get('r2.ann.test')).toEqual({ status: 200, body: "ann's pages\n" });

        const served = await files();
        ctx = { ...ctx, config: parseConfig(configText(web, { reload: { pidFile: '/run/other.pid' } }), 'roster.yaml', { targets }).config };
        await vhost('ann', 'late.ann.test', { root: 'public_html' });
        const master = server === 'nginx' ? 'nginx' : 'apache';
        expect((await apply()).map((o) => [o.action, o.status, o.error])).toEqual([
          ['create', 'failed', `the check passed but the reload failed: process ${String(process.pid)} named in ${join(root, 'run', 'other.pid')} is node, not the ${master} master; not signalled; the previous files are back`],
        ]);
        expect(await files()).toEqual(served);
        expect((await get('late.ann.test')).status).toBe(404);
      } finally {
        await rm(join(root, 'run'), { recursive: true, force: true });
      }
    });

    it("refuses vhost names and settings that are not a member's site", async () => {
      const refused = async (name: string, settings: Record<string, unknown>): Promise<string> => {
        const e = await vhost('ann', name, settings).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (!(e instanceof RosterError)) throw new Error(`expected a refusal of ${name}`);
        return e.message;
      };
      expect(await refused('WWW.ann.test', { root: 'public_html' })).toContain('must be a fully qualified host name in lower case');
      expect(await refused('www.ann.test', { root: '../bo/public_html' })).toContain('no .., no leading /');
      expect(await refused('www.ann.test', { root: '/etc' })).toContain('no .., no leading /');
      expect(await refused('www.ann.test', { proxy: '10.0.0.1:8080' })).toContain("the member's own daemon on this machine");
      expect(await refused('www.ann.test', { proxy: '127.0.0.1:25' })).toContain('PORT from 1024 to 65535');
      expect(await refused('www.ann.test', { root: 'public_html', proxy: `127.0.0.1:${daemon.port}` })).toContain('set exactly one of root');
      expect(await refused('www.ann.test', {})).toContain('set exactly one of root');
    });
  });
}
