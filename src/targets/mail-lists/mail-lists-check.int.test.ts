import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, removeRoot } from '../../../test/unix-root.js';
import { parseConfig } from '../../config/load-config.js';
import { liveSystem } from '../../doctor/doctor-system.js';
import { targetRegistry, type AnyTarget } from '../registry.js';
import { mailListsCheck } from './mail-lists-check.js';
import { mailListsConfigSchema } from './mail-lists-config.js';

const targets: readonly AnyTarget[] = targetRegistry;

/** roster doctor asks the real postconf about a main.cf under the root prefix. */
describe('roster doctor: is the map in Postfix’s RCPT TO restrictions', () => {
  let root: string;
  const config = mailListsConfigSchema.parse({ mta: 'postfix', map: '/etc/postfix/roster-lists' });
  const check = async (mainCf: string) => {
    await writeFile(join(root, 'etc/postfix/main.cf'), mainCf);
    const rosterConfig = parseConfig('hosts: { mx: { targets: { mail-lists: { mta: postfix, map: /etc/postfix/roster-lists } } } }\ntypes: { t: {} }\n', 'roster.yaml', { targets }).config;
    return (await mailListsCheck({ host: 'mx', root, config: rosterConfig, system: liveSystem() }, config)).map((c) => [c.status, c.message]);
  };

  beforeAll(async () => {
    root = await makeRoot();
    await mkdir(join(root, 'etc/postfix'), { recursive: true });
  });
  afterAll(() => removeRoot(root));

  it('passes when check_recipient_access reads the map before any permit', async () => {
    expect(await check('smtpd_recipient_restrictions = check_recipient_access hash:/etc/postfix/roster-lists, permit_mynetworks, reject_unauth_destination\n')).toEqual([
      ['ok', 'Postfix reads hash:/etc/postfix/roster-lists at RCPT TO (smtpd_recipient_restrictions)'],
    ]);
  });

  it('fails when the map is not wired (the default restrictions), and warns when a permit comes first', async () => {
    expect(await check('myhostname = mx.example.org\n')).toEqual([
      ['fail', 'Postfix does not read /etc/postfix/roster-lists: no "check_recipient_access hash:/etc/postfix/roster-lists" in smtpd_relay_restrictions or smtpd_recipient_restrictions, so frozen lists keep receiving mail'],
    ]);
    expect(await check('smtpd_recipient_restrictions = permit_mynetworks, check_recipient_access hash:/etc/postfix/roster-lists, reject\n')).toEqual([
      ['warn', "Postfix reads hash:/etc/postfix/roster-lists in smtpd_recipient_restrictions only after permit_mynetworks, which accepts those clients' mail to frozen lists first"],
    ]);
  });
});
