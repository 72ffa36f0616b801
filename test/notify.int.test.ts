import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';

interface Message {
  id: number;
  kind: string;
  status: string;
  recipient: string | null;
  attempts: number;
  lastError: string | null;
}

async function useSmtp(sb: RosterSandbox, port: number, extra = ''): Promise<void> {
  const path = join(sb.dir, 'roster.yaml');
  const config = await readFile(path, 'utf8');
  const notify = [
    'notify:',
    '  transport: smtp',
    `  smtp: { host: 127.0.0.1, port: ${port}, secure: false, auth: { user: roster, passwordFile: smtp.password } }`,
    "  from: 'Roster <roster@example.org>'",
    '  adminAddress: admin@example.org',
    '  portalUrl: https://portal.example.org',
    '  payUrl: https://portal.example.org/pay',
    ...(extra === '' ? [] : [extra]),
    '',
  ].join('\n');
  await writeFile(path, config.replace(/^notify:\n(?: .*\n|#.*\n)*/m, notify));
  await writeFile(join(sb.dir, 'smtp.password'), 'Smtp-s3cret\n', { mode: 0o600 });
}

describe('notifications by e-mail through a real SMTP server on 127.0.0.1', () => {
  let sb: RosterSandbox;
  let smtp: SmtpCapture;
  const ok = async (args: string[]): Promise<string> => {
    const r = await sb.run(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stderr;
  };

  beforeAll(async () => {
    smtp = await startSmtpCapture({ user: 'roster', password: 'Smtp-s3cret' });
    sb = await rosterSandbox({ tz: 'Europe/Berlin' });
    await useSmtp(sb, smtp.port);
    await ok(['person', 'add', '--id', 'M1', '--first', 'Alice', '--last', 'Member', '--role', 'MEMBER', '--email', 'MEMBER=alice@example.org', '--verify', 'birth_date=1990-01-01']);
    await ok(['account', 'create', 'M1', '--type', 'member', '--username', 'alice', '--now', '2026-01-01T09:00:00']);
  });
  afterAll(async () => {
    await sb.cleanup();
    await smtp.close();
  });

  it('a retirement notice gives the exact deactivation and deletion dates, to the member, with no secrets', async () => {
    const stderr = await ok(['account', 'retire', 'alice', '--deactivate-after', '14', '--delete-after', '90', '--now', '2026-01-10T13:00:00']);
    expect(stderr).toBe('');
    const mail = smtp.messages.find((m) => m.subject.includes('will be closed'));
    expect(mail?.to).toEqual(['alice@example.org']);
    expect(mail?.from).toBe('roster@example.org');
    expect(mail?.subject).toBe('Your account alice will be closed');
    expect(mail?.text).toContain('deactivated on: 2026-01-24 00:00 (Europe/Berlin)');
    expect(mail?.text).toContain('deleted on:     2026-04-10 00:00 (Europe/Berlin)');
    // The SMTP login used the password file; nothing secret is in any message.
    expect(smtp.logins).toContain('roster:Smtp-s3cret');
    const key = (await readFile(join(sb.dir, 'roster.hmac-key'), 'utf8')).trim();
    for (const m of smtp.messages) {
      for (const secret of ['Smtp-s3cret', '$y$', key, '1990-01-01', 'Tr0ub4dor']) expect(m.raw).not.toContain(secret);
    }
    const list = await sb.json<{ messages: Message[] }>(['notify', 'list']);
    expect(list.messages[0]).toMatchObject({ kind: 'retirement', status: 'sent', attempts: 1, recipient: 'alice@example.org' });
    await ok(['account', 'reactivate', 'alice', '--now', '2026-01-11T09:00:00']);
  }, 60_000);

  it('billing: warns once, freezes on the day the freeze lead is reached, lifts after payment; a digest per job run', async () => {
    const before = smtp.messages.length;
    await ok(['ledger', 'pay', 'M1', '22', '--now', '2026-02-01T05:00:00']);
    const subjects = (): string[] => smtp.messages.slice(before).filter((m) => m.to.includes('alice@example.org')).map((m) => m.subject);
    // Daily billing runs at 06:30 from Feb 1 to Mar 3; dues of 10 are posted on the first run of each month.
    const byDay = new Map<string, string[]>();
    const days: string[] = [];
    for (let i = 0; i < 31; i++) {
      const date = new Date(Date.UTC(2026, 1, 1 + i)).toISOString().slice(0, 10);
      const seen = subjects().length;
      await ok(['jobs', 'run', 'billing', '--now', `${date}T06:30:00`]);
      byDay.set(date, subjects().slice(seen));
      days.push(date);
    }
    // Feb 1: 22 - 10 = 12 lasts 36 days, inside the 45-day lead: one warning, then nothing
    // until the March dues leave 2 (6 days), inside the 30-day freeze lead: frozen on Mar 1.
    const active = [...byDay].filter(([, s]) => s.length > 0);
    expect(active).toEqual([
      ['2026-02-01', ['Your dues are paid until 2026-03-09']],
      ['2026-03-01', ['Your accounts are frozen: dues unpaid']],
    ]);
    expect((await sb.json<{ state: string; holds: Array<{ reason: string }> }>(['account', 'show', 'alice', '--now', '2026-03-01T07:00:00'])).holds.map((h) => h.reason)).toEqual(['billing']);
    const frozen = smtp.messages.find((m) => m.subject.startsWith('Your accounts are frozen'));
    expect(frozen?.text).toContain('What still works: mail, portal');
    expect(frozen?.text).toContain('How to pay: https://portal.example.org/pay');
    // One admin digest per billing run.
    const digests = smtp.messages.slice(before).filter((m) => m.to.includes('admin@example.org') && m.subject.startsWith('[roster] billing'));
    expect(digests).toHaveLength(days.length);
    // Running the job again in the same slot does nothing at all.
    const again = await sb.json<Array<{ due: boolean }>>(['jobs', 'run', 'billing', '--now', '2026-03-03T07:00:00']);
    expect(again[0]?.due).toBe(false);
    await ok(['ledger', 'pay', 'M1', '100', '--now', '2026-03-03T09:00:00']);
    expect(subjects().filter((s) => s === 'Your accounts work again')).toHaveLength(1);
    expect((await sb.json<{ state: string }>(['account', 'show', 'alice', '--now', '2026-03-03T09:00:00'])).state).toBe('active');
  }, 180_000);

  it('an intervention notice reaches every member of a host once', async () => {
    await ok(['person', 'add', '--id', 'M2', '--first', 'Bob', '--last', 'Member', '--role', 'MEMBER', '--email', 'MEMBER=bob@example.org']);
    await ok(['account', 'create', 'M2', '--type', 'member', '--username', 'bob']);
    await ok(['person', 'add', '--id', 'M3', '--first', 'Carol', '--last', 'Noaddress', '--role', 'MEMBER']);
    await ok(['account', 'create', 'M3', '--type', 'member', '--username', 'carol']);
    const before = smtp.messages.length;
    const dry = await sb.json<{ recipients: string[]; unaddressed: string[] }>(['announce', '--host', 'web', '--subject', 'Maintenance tonight', '--body', 'The web server restarts at 22:00.', '--dry-run']);
    expect(dry.recipients).toEqual(['alice@example.org', 'bob@example.org']);
    expect(dry.unaddressed).toEqual(['M3']);
    expect(smtp.messages.length).toBe(before);
    await ok(['announce', '--host', 'web', '--subject', 'Maintenance tonight', '--body', 'The web server restarts at 22:00.']);
    const sent = smtp.messages.slice(before);
    expect(sent.map((m) => m.to[0]).sort()).toEqual(['alice@example.org', 'bob@example.org']);
    expect(sent[0]?.subject).toBe('Maintenance tonight');
    expect(sent[0]?.text).toContain('The web server restarts at 22:00.');
    const unknown = await sb.run(['announce', '--host', 'nosuch', '--subject', 'x', '--body', 'y']);
    expect(unknown.code).toBe(1);
  }, 60_000);

  it('a mail server that is down never blocks the change: the notice is recorded, retried and sent later', async () => {
    await smtp.close();
    const r = await sb.run(['account', 'retire', 'bob', '--deactivate-after', '0', '--delete-after', '30', '--now', '2026-03-01T10:00:00']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: notification #\d+ \(retirement\) to bob@example.org not sent: .*retried later/);
    expect((await sb.json<{ state: string }>(['account', 'show', 'bob', '--now', '2026-03-01T10:00:00'])).state).toBe('disabled');
    const queued = (await sb.json<{ messages: Message[] }>(['notify', 'list', '--status', 'queued'])).messages;
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ kind: 'retirement', attempts: 1 });
    expect(queued[0]?.lastError).toMatch(/ECONNREFUSED|connect/i);
    // The server comes back; the notify job sends it once its retry is due.
    smtp = await startSmtpCapture({ user: 'roster', password: 'Smtp-s3cret' });
    await useSmtp(sb, smtp.port);
    const early = await sb.json<{ sent: number; waiting: number }>(['notify', 'flush', '--now', '2026-03-01T10:00:30']);
    expect(early).toMatchObject({ sent: 0, waiting: 1 });
    const later = await sb.json<Array<{ job: string; outcome: { counts: Record<string, number> } }>>(['jobs', 'run', 'notify', '--now', '2026-03-01T10:30:00']);
    expect(later[0]?.outcome.counts).toMatchObject({ sent: 1, waiting: 0 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['bob@example.org']);
    expect((await sb.json<{ messages: Message[] }>(['notify', 'list', '--status', 'sent', '--limit', '1'])).messages[0]).toMatchObject({ kind: 'retirement', attempts: 2 });
  }, 60_000);

  it('an admin template overrides the built-in one; the purge notice goes out after the purge job', async () => {
    const dir = join(sb.dir, 'templates');
    await mkdir(dir);
    await writeFile(join(dir, 'purged.txt'), 'Subject: Bye {{username}}\n\nDeleted {{purged}}. Portal: {{portalUrl}}\n');
    await useSmtp(sb, smtp.port, '  templatesDir: templates');
    await sb.run(['person', 'show', 'M2']);
    const before = smtp.messages.length;
    const r = await sb.json<Array<{ job: string; run: { result: string } }>>(['jobs', 'run', 'purge', '--now', '2026-04-01T05:00:00']);
    expect(r[0]?.run.result).toBe('ok');
    const bye = smtp.messages.slice(before).find((m) => m.subject === 'Bye bob');
    expect(bye?.to).toEqual(['bob@example.org']);
    expect(bye?.text).toBe('Deleted 2026-04-01 05:00 (Europe/Berlin). Portal: https://portal.example.org\n');
    expect(smtp.messages.slice(before).some((m) => m.subject === '[roster] purge: ok' && m.text.includes('purged bob'))).toBe(true);
  }, 60_000);
});

describe('notifications without a transport', () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox();
  });
  afterAll(async () => sb.cleanup());

  it('are queued, and notify flush says they cannot be sent without crashing', async () => {
    expect((await sb.run(['person', 'add', '--id', 'M1', '--first', 'Dee', '--last', 'Member', '--role', 'MEMBER', '--email', 'MEMBER=dee@example.org'])).code).toBe(0);
    expect((await sb.run(['account', 'create', 'M1', '--type', 'member', '--username', 'dee'])).code).toBe(0);
    const retire = await sb.run(['account', 'retire', 'dee']);
    expect(retire.code).toBe(0);
    expect(retire.stderr).toBe('');
    const flush = await sb.run(['notify', 'flush']);
    expect(flush.code).toBe(69);
    expect(flush.stdout).toMatch(/1 notice is queued but cannot be sent: no mail transport is configured/);
    const list = await sb.json<{ counts: Record<string, number> }>(['notify', 'list']);
    expect(list.counts).toEqual({ queued: 1, sent: 0, failed: 0, unaddressed: 0 });
  });
});

describe("notifications through the host's sendmail", () => {
  let sb: RosterSandbox;
  beforeAll(async () => {
    sb = await rosterSandbox({ tz: 'UTC' });
  });
  afterAll(async () => sb.cleanup());

  it('pipes the message to the configured sendmail program', async () => {
    const spool = join(sb.dir, 'spool.txt');
    const fake = join(sb.dir, 'fake-sendmail');
    await writeFile(fake, `#!/bin/sh\necho "ARGS $*" >> ${spool}\ncat >> ${spool}\n`, { mode: 0o755 });
    const path = join(sb.dir, 'roster.yaml');
    await writeFile(path, (await readFile(path, 'utf8')).replace('  transport: none', `  transport: sendmail\n  sendmail: { path: ${fake} }`));
    expect((await sb.run(['person', 'add', '--id', 'M1', '--first', 'Eve', '--last', 'Member', '--role', 'MEMBER', '--email', 'MEMBER=eve@example.org'])).code).toBe(0);
    expect((await sb.run(['account', 'create', 'M1', '--type', 'member', '--username', 'eve'])).code).toBe(0);
    const r = await sb.run(['account', 'retire', 'eve', '--deactivate-after', '7', '--delete-after', '30', '--now', '2026-05-05T12:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    const spooled = await readFile(spool, 'utf8');
    expect(spooled).toMatch(/^ARGS .*eve@example\.org/m);
    expect(spooled).toMatch(/^Subject: Your account eve will be closed$/m);
    expect(spooled).toContain('deactivated on: 2026-05-12 00:00 (UTC)');
    expect((await sb.json<{ counts: Record<string, number> }>(['notify', 'list'])).counts).toMatchObject({ sent: 1, queued: 0 });
  });
});
