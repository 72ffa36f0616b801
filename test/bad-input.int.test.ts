import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSandbox, type RosterSandbox } from './roster-cli.js';
import { databaseSnapshot } from './db-snapshot.js';

describe('bad input gets a clear error, a non-zero exit and changes nothing', () => {
  let sb: RosterSandbox;
  let db: string;
  beforeAll(async () => {
    sb = await rosterSandbox();
    db = join(sb.dir, 'roster.db');
    expect((await sb.run(['person', 'add', '--id', 'P1', '--first', 'Ada', '--last', 'Lovelace', '--role', 'MEMBER'])).code).toBe(0);
    expect((await sb.run(['account', 'create', 'P1', '--type', 'member', '--username', 'ada'])).code).toBe(0);
    expect((await sb.run(['person', 'add', '--id', 'S1', '--first', 'Stu', '--last', 'Dent', '--role', 'STAFF'])).code).toBe(0);
  });
  afterAll(async () => sb.cleanup());

  const cases: Array<{ name: string; args: string[]; stdin?: string; exit: number; message: RegExp }> = [
    { name: 'unknown person', args: ['account', 'create', 'NOPE', '--type', 'member'], exit: 1, message: /no person with id NOPE/ },
    { name: 'unknown type', args: ['account', 'create', 'P1', '--type', 'wizard'], exit: 1, message: /no account type "wizard"/ },
    { name: 'unknown user', args: ['account', 'freeze', 'ghost', '--reason', 'admin'], exit: 1, message: /no account "ghost"/ },
    { name: 'name starting with a dash', args: ['account', 'create', 'S1', '--type', 'member', '--skip-eligibility', '--username=-x'], exit: 65, message: /username "-x"/ },
    { name: 'numeric name', args: ['account', 'create', 'S1', '--type', 'member', '--skip-eligibility', '--username', '12345'], exit: 65, message: /username "12345"/ },
    { name: 'institutional id pattern', args: ['account', 'create', 'S1', '--type', 'member', '--skip-eligibility', '--username', 'abc123'], exit: 65, message: /username "abc123"/ },
    { name: 'name with a colon', args: ['account', 'create', 'S1', '--type', 'member', '--skip-eligibility', '--username', 'a:b'], exit: 65, message: /username "a:b"/ },
    { name: 'name with a control character', args: ['account', 'create', 'S1', '--type', 'member', '--skip-eligibility', '--username', 'ab\u0007c'], exit: 65, message: /username "ab\\x07c"/ },
    { name: '32-character name', args: ['account', 'create', 'S1', '--type', 'member', '--skip-eligibility', '--username', `a${'b'.repeat(31)}`], exit: 65, message: /username/ },
    { name: 'GECOS with a control character', args: ['account', 'modify', 'ada', '--gecos', 'Ada\nLovelace'], exit: 65, message: /gecos/ },
    { name: 'GECOS with a colon', args: ['account', 'modify', 'ada', '--gecos', 'Ada:Lovelace'], exit: 65, message: /gecos/ },
    { name: 'weak password', args: ['account', 'passwd', 'ada', '--password-stdin'], stdin: 'password\n', exit: 65, message: /password rejected/ },
    { name: 'short password', args: ['account', 'passwd', 'ada', '--password-stdin'], stdin: 'Ab1!\n', exit: 65, message: /password rejected/ },
    { name: 'negative grace', args: ['account', 'retire', 'ada', '--deactivate-after', '-1'], exit: 65, message: /--deactivate-after "-1"/ },
    { name: 'fractional grace', args: ['account', 'retire', 'ada', '--delete-after', '2.5'], exit: 65, message: /--delete-after "2.5"/ },
    { name: 'D > P', args: ['account', 'retire', 'ada', '--deactivate-after', '20', '--delete-after', '10'], exit: 65, message: /deactivation grace \(20 days\) exceeds deletion grace \(10 days\)/ },
    { name: 'not eligible', args: ['account', 'create', 'S1', '--type', 'member'], exit: 1, message: /not eligible.*needs/ },
    { name: 'non-ISO --now', args: ['account', 'freeze', 'ada', '--reason', 'admin', '--now', 'yesterday'], exit: 2, message: /--now "yesterday" is not an ISO 8601 time/ },
    { name: 'impossible --now', args: ['account', 'freeze', 'ada', '--reason', 'admin', '--now', '2026-02-30T10:00:00Z'], exit: 2, message: /not a valid date/ },
    { name: 'bad freeze reason', args: ['account', 'freeze', 'ada', '--reason', 'Bad Reason!'], exit: 65, message: /reason/ },
    { name: 'negative amount', args: ['ledger', 'pay', 'P1', '-5'], exit: 65, message: /AMOUNT "-5" is not a positive amount/ },
    { name: 'amount with three decimals', args: ['ledger', 'pay', 'P1', '1.005'], exit: 65, message: /AMOUNT "1.005"/ },
    { name: 'bad e-mail', args: ['person', 'add', '--id', 'P9', '--first', 'X', '--last', 'Y', '--email', 'MEMBER=not-an-address'], exit: 65, message: /emails.MEMBER/ },
    { name: 'duplicate person', args: ['person', 'add', '--id', 'P1', '--first', 'X', '--last', 'Y'], exit: 1, message: /already exists/ },
    { name: 'unknown command', args: ['account', 'explode', 'ada'], exit: 2, message: /unknown command/ },
    { name: 'unknown group', args: ['account', 'modify', 'ada', '--add-group', 'nosuch'], exit: 65, message: /group nosuch/ },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const before = databaseSnapshot(db);
      const r = await sb.run(c.args, c.stdin === undefined ? {} : { stdin: c.stdin });
      expect(r.code, r.stderr).toBe(c.exit);
      expect(r.stderr).toMatch(c.message);
      expect(r.stdout).toBe('');
      expect(databaseSnapshot(db)).toBe(before);
    });
  }

  it('a malformed config is reported with file:line:column and exit 78, changing nothing', async () => {
    const path = join(sb.dir, 'roster.yaml');
    const good = await readFile(path, 'utf8');
    const before = databaseSnapshot(db);
    await writeFile(path, `${good}\nbogusKey: 1\n`);
    try {
      const r = await sb.run(['account', 'freeze', 'ada', '--reason', 'admin']);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(/roster\.yaml:\d+:\d+/);
      expect(r.stderr).toMatch(/bogusKey/);
      const check = await sb.run(['config', 'check']);
      expect(check.code).toBe(78);
    } finally {
      await writeFile(path, good);
    }
    expect(databaseSnapshot(db)).toBe(before);
  });
});
