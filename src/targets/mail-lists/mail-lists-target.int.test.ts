import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackExim, type EximSessions } from '../../../test/daemons/exim-session.js';
import { mailmanInstalled, startMailman, type MailmanCore } from '../../../test/daemons/mailman-core.js';
import { startPostfix, type PostfixServer } from '../../../test/daemons/postfix-server.js';
import { exampleAppContext } from '../../../test/example-app-context.js';
import { makeRoot, removeRoot } from '../../../test/unix-root.js';
import type { AppContext } from '../../app/app-context.js';
import { createAccount } from '../../app/accounts.js';
import { freezeAccount, unfreezeAccount } from '../../app/lifecycle-actions.js';
import { addPerson } from '../../app/people.js';
import { addResource, removeResource } from '../../app/resources.js';
import { parseConfig } from '../../config/load-config.js';
import { projectHost } from '../../desired/project-host.js';
import { RosterError } from '../../domain/errors.js';
import { planHost } from '../../reconcile/host-plan.js';
import { reconcileHost } from '../../reconcile/reconcile-host.js';
import { openStore } from '../../store/open-store.js';
import { targetRegistry, type AnyTarget } from '../registry.js';
import { mailListsConfigSchema } from './mail-lists-config.js';
import { mailListsTarget } from './mail-lists-target.js';
import { swaksRcpt, type Rcpt } from '../../../test/daemons/swaks-rcpt.js';

const targets: readonly AnyTarget[] = targetRegistry;

const MAP = '/etc/postfix/roster-lists';

function configText(smtp: string, extra = ''): string {
  return `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
hosts:
  mx:
    targets:
      mail-lists:
        mta: postfix
        map: ${MAP}
        verify: { smtp: '${smtp}' }${extra}
types:
  member:
    hosts: { live: [mx] }
    targets:
      mail-lists: { address: '{user}@example.net' }
`;
}

/** RCPT TO one address, judged by swaks. */
const rcpt = swaksRcpt;

describe('mail-lists target against a real Postfix', () => {
  let root: string;
  let postfix: PostfixServer;
  let ctx: AppContext;
  let choirId: number;

  const apply = async (c: AppContext = ctx, accounts?: readonly string[]) => (await reconcileHost(c, targets, { host: 'mx', root, ...(accounts === undefined ? {} : { accounts }) })).report;
  const mine = <O extends { readonly target: string }>(outcomes: readonly O[]): O[] => outcomes.filter((o) => o.target === 'mail-lists');
  const pending = async (): Promise<readonly string[]> => (await planHost(ctx, targets, { host: 'mx', root })).plan.targets.flatMap((t) => t.changes.map((c) => c.summary));
  const mapText = () => readFile(join(root, MAP), 'utf8');

  beforeAll(async () => {
    root = await makeRoot();
    // smtpd runs as postfix and reads the compiled map under the root prefix.
    await chmod(root, 0o755);
    await mkdir(join(root, 'etc/postfix'), { recursive: true, mode: 0o755 });
    postfix = await startPostfix({ recipientAccess: `hash:${join(root, MAP)}`, domains: ['example.org', 'example.net'] });
    ctx = exampleAppContext(await openStore(join(root, 'roster.db')), '2026-11-23T12:00:00Z', { config: parseConfig(configText(postfix.address), 'roster.yaml', { targets }).config });
    await addPerson(ctx, { id: 'P1', firstName: 'Alice', lastName: 'Example' });
    await addPerson(ctx, { id: 'P2', firstName: 'Bob', lastName: 'Example' });
    await createAccount(ctx, { personId: 'P1', type: 'member', username: 'alice' });
    await createAccount(ctx, { personId: 'P2', type: 'member', username: 'bob' });
    await addResource(ctx, targets, { user: 'alice', kind: 'list', name: 'announce@example.org', host: 'mx' });
    await addResource(ctx, targets, { user: 'alice', kind: 'list', name: 'garden@example.org', host: 'mx', settings: { contact: 'garden-help@example.net' } });
    await addResource(ctx, targets, { user: 'bob', kind: 'list', name: 'news@example.org', host: 'mx' });
  }, 60_000);

  afterAll(async () => {
    await ctx.store.close();
    await postfix.stop();
    await removeRoot(root);
  }, 30_000);

  it('refuses a list name that is not a lower-case list address, naming the rule', async () => {
    await expect(addResource(ctx, targets, { user: 'bob', kind: 'list', name: 'News@example.org', host: 'mx' })).rejects.toThrow(/must be written in lower case \(news@example.org\)/);
    await expect(addResource(ctx, targets, { user: 'bob', kind: 'list', name: 'news', host: 'mx' })).rejects.toThrow(/must be a list address such as announce@example.org/);
    await expect(addResource(ctx, targets, { user: 'bob', kind: 'list', name: 'x@example.org', host: 'mx', settings: { contact: 'not an address' } })).rejects.toBeInstanceOf(RosterError);
  });

  let before: string;

  it('writes the map Roster owns (a header saying so, no list while nobody is frozen), compiles it, and a second plan has nothing left', async () => {
    const report = await apply();
    expect(mine(report.outcomes).map((o) => [o.status, o.summary])).toEqual([['ok', `${MAP}: rewrite it as Roster renders it`]]);
    before = await mapText();
    expect(before).toContain('Roster owns this whole file');
    expect(before).toContain(`hash:${MAP} in smtpd_recipient_restrictions`);
    expect(before.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    expect((await stat(join(root, `${MAP}.db`))).isFile()).toBe(true);
    expect(await pending()).toEqual([]);
    expect(await rcpt(postfix.address, 'announce@example.org')).toMatchObject({ code: 250 });
  });

  it('a billing freeze refuses the owner’s lists and their -request addresses at RCPT TO with the text; the member’s mailbox and another member’s list stay open', async () => {
    await freezeAccount(ctx, 'alice', { reason: 'billing' });
    const report = await apply();
    expect(mine(report.outcomes).map((o) => [o.status, o.summary, o.error])).toEqual([['ok', `${MAP}: refuse announce@example.org, garden@example.org`, undefined]]);

    const refused = await rcpt(postfix.address, 'announce@example.org');
    expect(refused.code).toBe(550);
    expect(refused.text).toBe('<announce@example.org>: Recipient address rejected: this list is suspended; please write to its owner at alice@example.net');
    for (const address of ['announce-request@example.org', 'announce-owner@example.org', 'announce-bounces+x=y@example.org', 'Announce@Example.org']) {
      expect(await rcpt(postfix.address, address), address).toMatchObject({ code: 550, text: expect.stringContaining('please write to its owner at alice@example.net') });
    }
    // The list's own contact is named instead of the owner's address.
    expect((await rcpt(postfix.address, 'garden@example.org')).text).toContain('please write to its owner at garden-help@example.net');
    // Mail to the member keeps flowing, and so does another member's list.
    expect(await rcpt(postfix.address, 'alice@example.net')).toMatchObject({ code: 250 });
    expect(await rcpt(postfix.address, 'news@example.org')).toMatchObject({ code: 250 });

    const text = await mapText();
    expect(text.slice(before.length).split('\n')).toEqual([
      '# owner alice',
      'announce-bounces@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-confirm@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-join@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-leave@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-owner@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-request@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-subscribe@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce-unsubscribe@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'announce@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      ...['-bounces', '-confirm', '-join', '-leave', '-owner', '-request', '-subscribe', '-unsubscribe', ''].map((s) => `garden${s}@example.org\t550 5.7.1 this list is suspended; please write to its owner at garden-help@example.net`),
      '',
    ]);
    expect(await pending()).toEqual([]);
  });

  it('a freeze applied for one account (a scoped plan) writes what the whole host would', async () => {
    await freezeAccount(ctx, 'bob', { reason: 'admin' });
    const report = await apply(ctx, ['bob']);
    expect(report.widened).toBeUndefined();
    expect(mine(report.outcomes).map((o) => [o.status, o.summary])).toEqual([['ok', `${MAP}: refuse news@example.org`]]);
    expect(await rcpt(postfix.address, 'news@example.org')).toMatchObject({ code: 550 });
    expect(await pending()).toEqual([]);
    await unfreezeAccount(ctx, 'bob', { reason: 'admin' });
    expect(mine((await apply(ctx, ['bob'])).outcomes).map((o) => [o.status, o.summary])).toEqual([['ok', `${MAP}: reopen news@example.org`]]);
    expect(await rcpt(postfix.address, 'news@example.org')).toMatchObject({ code: 250 });
    expect(await pending()).toEqual([]);
  });

  it('a list that is no longer desired is reopened at once, even while its owner stays frozen', async () => {
    const garden = (await addResource(ctx, targets, { user: 'alice', kind: 'list', name: 'shed@example.org', host: 'mx' })).id;
    expect(mine((await apply()).outcomes).map((o) => o.summary)).toEqual([`${MAP}: refuse shed@example.org`]);
    expect(await rcpt(postfix.address, 'shed@example.org')).toMatchObject({ code: 550 });
    await removeResource(ctx, garden);
    expect(mine((await apply()).outcomes).map((o) => [o.status, o.summary])).toEqual([['ok', `${MAP}: reopen shed@example.org`]]);
    expect(await rcpt(postfix.address, 'shed@example.org')).toMatchObject({ code: 250 });
  });

  it('a change the MTA does not enforce (the map not in its restrictions) is a failed change, with what the probe got', async () => {
    const unwired = { ...ctx, config: parseConfig(configText(postfix.unwiredAddress), 'roster.yaml', { targets }).config };
    choirId = (await addResource(ctx, targets, { user: 'alice', kind: 'list', name: 'choir@example.org', host: 'mx' })).id;
    const outcomes = mine((await apply(unwired)).outcomes);
    expect(outcomes.map((o) => o.status)).toEqual(['failed']);
    expect(outcomes[0]?.error).toBe(
      `applied but not in effect: RCPT TO:<choir@example.org> on ${postfix.unwiredAddress} answered "250 Ok", not the refusal "this list is suspended; please write to its owner at alice@example.net"`,
    );
    // The map itself is in effect where it is wired.
    expect(await rcpt(postfix.address, 'choir@example.org')).toMatchObject({ code: 550 });
  });

  it('a list whose refused addresses include a member’s own mailbox is left open, and the conflict names both', async () => {
    const clash = (await addResource(ctx, targets, { user: 'alice', kind: 'list', name: 'bob@example.net', host: 'mx' })).id;
    const outcomes = mine((await apply()).outcomes);
    expect(outcomes.map((o) => [o.status, o.account, o.error])).toEqual([
      ['failed', 'alice', 'list bob@example.net of alice is not refused: its address bob@example.net is the mailbox of account bob, whose mail must keep flowing'],
    ]);
    expect(await rcpt(postfix.address, 'bob@example.net')).toMatchObject({ code: 250 });
    await removeResource(ctx, clash);
    expect(await pending()).toEqual([]);
  });

  it('unfreeze opens every list again and leaves the map byte for byte as before the freeze', async () => {
    await removeResource(ctx, choirId);
    await unfreezeAccount(ctx, 'alice', { reason: 'billing' });
    const report = await apply();
    expect(mine(report.outcomes).map((o) => [o.status, o.summary])).toEqual([['ok', `${MAP}: reopen announce@example.org, choir@example.org, garden@example.org`]]);
    expect(await mapText()).toBe(before);
    for (const address of ['announce@example.org', 'announce-request@example.org', 'garden@example.org', 'choir@example.org']) {
      expect(await rcpt(postfix.address, address), address).toMatchObject({ code: 250 });
    }
    expect(await pending()).toEqual([]);
  });

  it('a compiled map older than its file (postmap never ran) is compiled again', async () => {
    const db = join(root, `${MAP}.db`);
    const past = new Date('2020-01-01T00:00:00Z');
    await utimes(db, past, past);
    expect(await pending()).toEqual([`postmap hash:${MAP} (the compiled map is missing or older than the file)`]);
    expect(mine((await apply()).outcomes).map((o) => o.status)).toEqual(['ok']);
    expect(await pending()).toEqual([]);
  });

  it('a freeze and an unfreeze within one second both reach smtpd (postmap in place would leave it on the old table)', async () => {
    // Start at the top of a second: smtpd tells a changed table by its mtime in whole seconds, or by the file being unlinked.
    while (Date.now() % 1000 > 50) await new Promise((r) => setTimeout(r, 5));
    const second = Math.floor(Date.now() / 1000);
    await freezeAccount(ctx, 'bob', { reason: 'admin' });
    await apply(ctx, ['bob']);
    expect(await rcpt(postfix.address, 'news@example.org')).toMatchObject({ code: 550 });
    await unfreezeAccount(ctx, 'bob', { reason: 'admin' });
    await apply(ctx, ['bob']);
    const reopened = await rcpt(postfix.address, 'news@example.org');
    expect(Math.floor((await stat(join(root, `${MAP}.db`))).mtimeMs / 1000)).toBe(second);
    expect(reopened).toMatchObject({ code: 250 });
  });

  it('an edit of the file is undone at the next apply: Roster owns it whole', async () => {
    await writeFile(join(root, MAP), `${before}local@example.org\tREJECT\n`);
    expect(await pending()).toEqual([`${MAP}: reopen local@example.org`]);
    await apply();
    expect(await mapText()).toBe(before);
  });
});

/** Replies of an SMTP dialogue as printed by `exim -bh`, one per command (multi-line replies joined, without codes). */
function replies(out: string): Rcpt[] {
  const all: Rcpt[] = [];
  let text: string[] = [];
  for (const l of out.split('\n')) {
    const m = /^([0-9]{3})([ -])(.*)$/.exec(l.replace(/\r$/, ''));
    if (m === null) continue;
    text.push((m[3] ?? '').replace(/^[245]\.[0-9]+\.[0-9]+ /, ''));
    if (m[2] === ' ') {
      all.push({ code: Number(m[1]), text: text.join(' ') });
      text = [];
    }
  }
  return all;
}

describe('mail-lists target with Exim (an lsearch file, judged by exim -bh)', () => {
  const EXIM_MAP = '/etc/exim4/roster-lists';
  let root: string;
  let exim: EximSessions;
  let ctx: AppContext;
  let eximConfig: string;

  const apply = async () => (await reconcileHost(ctx, targets, { host: 'mx', root })).report.outcomes.filter((o) => o.target === 'mail-lists');
  const RCPTS = ['announce@example.org', 'announce-request@example.org', 'announce+tag@example.org', 'alice@example.net', 'news@example.org'];
  const session = async (): Promise<Rcpt[]> => {
    const input = ['EHLO sender.example', 'MAIL FROM:<poster@sender.example>', ...RCPTS.map((r) => `RCPT TO:<${r}>`), 'QUIT', ''].join('\r\n');
    const got = await exim.session(eximConfig, input);
    const all = replies(got.replies);
    // Greeting, EHLO, MAIL FROM, one per RCPT TO, QUIT.
    if (all.length !== RCPTS.length + 4) throw new Error(`exim -bh (exit ${got.code}) gave ${all.length} replies:\n${got.replies}\n${got.log}`);
    return all.slice(3, 3 + RCPTS.length);
  };

  beforeAll(async () => {
    root = await makeRoot();
    // Exim reads the lsearch file as its own user.
    await chmod(root, 0o755);
    exim = await unpackExim();
    const config = parseConfig(
      `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
hosts:
  mx:
    targets:
      mail-lists: { mta: exim, map: ${EXIM_MAP}, message: 'this list is suspended; please write to its owner at {owner} (list {list}, member {user})' }
types:
  member:
    hosts: { live: [mx] }
    targets:
      mail-lists: { address: '{user}@example.net' }
`,
      'roster.yaml',
      { targets },
    ).config;
    ctx = exampleAppContext(await openStore(join(root, 'roster.db')), '2026-11-23T12:00:00Z', { config });
    await addPerson(ctx, { id: 'P1', firstName: 'Alice', lastName: 'Example' });
    await addPerson(ctx, { id: 'P2', firstName: 'Bob', lastName: 'Example' });
    await createAccount(ctx, { personId: 'P1', type: 'member', username: 'alice' });
    await createAccount(ctx, { personId: 'P2', type: 'member', username: 'bob' });
    await addResource(ctx, targets, { user: 'alice', kind: 'list', name: 'announce@example.org', host: 'mx' });
    await addResource(ctx, targets, { user: 'bob', kind: 'list', name: 'news@example.org', host: 'mx' });
  }, 300_000);

  afterAll(async () => {
    await ctx.store.close();
    await exim.remove();
    await removeRoot(root);
  });

  it('the ACL the file header documents refuses RCPT TO a frozen list with the text, and lets the rest through; unfreeze gives back the same bytes', async () => {
    expect((await apply()).map((o) => o.status)).toEqual(['ok']);
    const before = await readFile(join(root, EXIM_MAP), 'utf8');
    // The ACL is taken from the header, so what the admin is told to paste is what is tested.
    const acl = before
      .split('\n')
      .filter((l) => /^# {3,}\S/.test(l))
      .map((l) => `  ${l.slice(2)}`.replace(`lsearch{${EXIM_MAP}}`, `lsearch{${join(root, EXIM_MAP)}}`));
    expect(acl).toHaveLength(3);
    eximConfig = join(exim.dir, 'exim.conf');
    await writeFile(
      eximConfig,
      [
        'primary_hostname = mx.roster-test.invalid',
        `spool_directory = ${exim.spoolDir}`,
        `log_file_path = ${exim.logDir}/%slog`,
        'domainlist local_domains = example.org : example.net',
        'acl_smtp_rcpt = acl_rcpt',
        'begin acl',
        'acl_rcpt:',
        ...acl,
        '  accept domains = +local_domains',
        '  deny message = relay not permitted',
        'begin routers',
        'blackhole:',
        '  driver = redirect',
        '  data = :blackhole:',
        '',
      ].join('\n'),
    );
    expect((await session()).map((r) => r.code)).toEqual([250, 250, 250, 250, 250]);

    await freezeAccount(ctx, 'alice', { reason: 'billing' });
    expect((await apply()).map((o) => [o.status, o.summary])).toEqual([['ok', `${EXIM_MAP}: refuse announce@example.org`]]);
    const text = 'this list is suspended; please write to its owner at alice@example.net (list announce@example.org, member alice)';
    expect((await readFile(join(root, EXIM_MAP), 'utf8')).slice(before.length).split('\n')).toEqual([
      '# owner alice',
      ...['-bounces', '-confirm', '-join', '-leave', '-owner', '-request', '-subscribe', '-unsubscribe', ''].map((s) => `announce${s}@example.org: 550 5.7.1 ${text}`),
      '',
    ]);
    expect(await session()).toEqual([
      { code: 550, text },
      { code: 550, text },
      { code: 550, text },
      { code: 250, text: 'Accepted' },
      { code: 250, text: 'Accepted' },
    ]);

    await unfreezeAccount(ctx, 'alice', { reason: 'billing' });
    expect((await apply()).map((o) => [o.status, o.summary])).toEqual([['ok', `${EXIM_MAP}: reopen announce@example.org`]]);
    expect(await readFile(join(root, EXIM_MAP), 'utf8')).toBe(before);
    expect((await session()).map((r) => r.code)).toEqual([250, 250, 250, 250, 250]);
  }, 60_000);
});

describe.skipIf(!mailmanInstalled)('mail-lists target with a real Mailman 3 core: lists found by their owners’ addresses', () => {
  let root: string;
  let mailman: MailmanCore;
  let ctx: AppContext;
  const MM_MAP = '/etc/postfix/roster-lists';
  const ARCHIVES = '/var/lib/mailman3/archives/prototype';

  const apply = async (accounts?: readonly string[]) => (await reconcileHost(ctx, targets, { host: 'mx', root, ...(accounts === undefined ? {} : { accounts }) })).report;
  const listLines = async () => (await readFile(join(root, MM_MAP), 'utf8')).split('\n').filter((l) => l.startsWith('# owner') || /^[a-z]+@/.test(l));
  const configFor = (url: string) =>
    parseConfig(
      `
timeZone: UTC
uids: { min: 2100040000, max: 2100049999 }
gids: { min: 2100040000, max: 2100049999 }
hosts:
  mx:
    targets:
      mail-lists:
        mta: postfix
        map: ${MM_MAP}
        suffixes: []
        mailman: { url: '${url}', user: restadmin, passwordFile: /etc/mailman3/rest-password, archiveDir: ${ARCHIVES} }
types:
  member:
    hosts: { live: [mx] }
    targets:
      mail-lists: { address: '{user}@example.net' }
`,
      'roster.yaml',
      { targets },
    ).config;

  beforeAll(async () => {
    root = await makeRoot();
    mailman = await startMailman();
    await mkdir(join(root, 'etc/mailman3'), { recursive: true });
    await writeFile(join(root, 'etc/mailman3/rest-password'), `${mailman.password}\n`, { mode: 0o600 });
    ctx = exampleAppContext(await openStore(join(root, 'roster.db')), '2026-11-23T12:00:00Z', { config: configFor(mailman.url) });
    for (const [id, user] of [['P1', 'alice'], ['P2', 'bob']] as const) {
      await addPerson(ctx, { id, firstName: user, lastName: 'Example' });
      await createAccount(ctx, { personId: id, type: 'member', username: user });
    }
    // Alice's own list, one she shares with Bob, and one of someone Roster does not know.
    await mailman.createList('announce@example.org', ['alice@example.net']);
    await mailman.createList('news@example.org', ['alice@example.net', 'bob@example.net']);
    await mailman.createList('outside@example.org', ['carol@elsewhere.example']);
  }, 120_000);

  afterAll(async () => {
    await ctx.store.close();
    await mailman.stop();
    await removeRoot(root);
  }, 30_000);

  it('a freeze refuses the lists the owner alone owns; a list shared with an active member stays open until both are frozen', async () => {
    await apply();
    await freezeAccount(ctx, 'alice', { reason: 'billing' });
    expect((await apply()).outcomes.filter((o) => o.target === 'mail-lists').map((o) => [o.status, o.summary])).toEqual([['ok', `${MM_MAP}: refuse announce@example.org`]]);
    expect(await listLines()).toEqual(['# owner alice', 'announce@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net']);

    await freezeAccount(ctx, 'bob', { reason: 'billing' });
    // Whether news@ is refused depends on both owners: an apply for Bob alone plans the whole host.
    const report = await apply(['bob']);
    expect(report.widened).toContain('the Mailman list news@example.org has owners outside the accounts being applied');
    expect(await listLines()).toEqual([
      '# owner alice',
      'announce@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
      'news@example.org\t550 5.7.1 this list is suspended; please write to its owner at alice@example.net',
    ]);
    await unfreezeAccount(ctx, 'bob', { reason: 'billing' });
    await unfreezeAccount(ctx, 'alice', { reason: 'billing' });
    await apply();
    expect(await listLines()).toEqual([]);
  });

  it('usage: the archive of each list, counted for one owner', async () => {
    await mkdir(join(root, ARCHIVES, 'announce@example.org/new'), { recursive: true });
    await writeFile(join(root, ARCHIVES, 'announce@example.org/new/1.msg'), 'x'.repeat(1234));
    await writeFile(join(root, ARCHIVES, 'announce@example.org/new/2.msg'), 'y'.repeat(766));
    await mkdir(join(root, ARCHIVES, 'outside@example.org'), { recursive: true });
    await writeFile(join(root, ARCHIVES, 'outside@example.org/big'), 'z'.repeat(5000));
    const desired = await projectHost(ctx.store.read, ctx.config, 'mx', ctx.clock.now(), targets);
    const settings = mailListsConfigSchema.parse(ctx.config.hosts.mx?.targets['mail-lists']);
    const usage = await mailListsTarget.usage?.({ root, host: 'mx', clock: ctx.clock, log: ctx.log }, settings, desired);
    expect(usage).toEqual([
      { account: 'alice', subject: 'list:announce@example.org', bytes: 2000 },
      { account: 'alice', subject: 'list:news@example.org', bytes: 0 },
    ]);
  });

  it('a Mailman that does not answer makes the host unavailable, and nothing is changed', async () => {
    const before = await readFile(join(root, MM_MAP), 'utf8');
    const gone = { ...ctx, config: configFor('http://127.0.0.1:1/3.1') };
    await expect(reconcileHost(gone, targets, { host: 'mx', root })).rejects.toMatchObject({ code: 'unavailable', issues: [{ where: 'target mail-lists', message: expect.stringContaining('Mailman: GET http://127.0.0.1:1/3.1/lists') }] });
    expect(await readFile(join(root, MM_MAP), 'utf8')).toBe(before);
  });
});
