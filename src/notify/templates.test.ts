import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { BUILT_IN_TEMPLATES, loadTemplates, renderMessage } from './templates.js';

const config = parseConfig(exampleConfig().replace('# portalUrl: https://portal.example.org', 'portalUrl: https://portal.example.org'), '/srv/roster/roster.yaml').config;

describe('notice templates', () => {
  it('fills data and site values; a field nobody gives renders empty', () => {
    const m = renderMessage(BUILT_IN_TEMPLATES, 'frozen', { name: 'Dana Dues', usernames: 'dana', balance: '2.00', dues: '10.00', runOut: '2026-03-07' }, config);
    expect(m.subject).toBe('Your accounts are frozen: dues unpaid');
    expect(m.text).toContain('What still works: mail, portal.');
    expect(m.text).toContain('Your account: https://portal.example.org');
    // No payUrl configured: the portal stands in for it.
    expect(m.text).toContain('How to pay: https://portal.example.org');
    expect(renderMessage({ x: 'Subject: {{nothing}}!\n\n{{missing}}.' }, 'x', {}, config)).toEqual({ subject: '!', text: '.\n' });
  });

  it('keeps the subject to one line, whatever the data holds (no header injection)', () => {
    const m = renderMessage(BUILT_IN_TEMPLATES, 'announcement', { subject: 'Hello\r\nBcc: everyone@example.org', body: 'text' }, config);
    expect(m.subject).toBe('Hello Bcc: everyone@example.org');
  });

  it('every built-in kind renders, and an override replaces one by file name', async () => {
    for (const kind of Object.keys(BUILT_IN_TEMPLATES)) expect(renderMessage(BUILT_IN_TEMPLATES, kind, { subject: 'S' }, config).subject).not.toBe('');
    const dir = await mkdtemp(join(tmpdir(), 'roster-templates-'));
    try {
      await writeFile(join(dir, 'unfrozen.txt'), 'Subject: Welcome back {{name}}\r\n\r\nAll good.\r\n');
      await writeFile(join(dir, 'broken.txt'), 'no subject');
      const templates = await loadTemplates(dir);
      expect(renderMessage(templates, 'unfrozen', { name: 'Dana' }, config)).toEqual({ subject: 'Welcome back Dana', text: 'All good.\n' });
      expect(templates.frozen).toBe(BUILT_IN_TEMPLATES.frozen);
      expect(() => renderMessage({ broken: 'no subject' }, 'broken', {}, config)).toThrow(/must start with a "Subject:" line/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
