import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RosterConfig } from '../config/config-schema.js';
import { errorMessage, RosterError } from '../domain/errors.js';

/**
 * Plain-text templates, one per notice kind. A template is a `Subject:` line,
 * a blank line and the body; `{{field}}` is replaced by the notice's data or
 * a site value (portalUrl, payUrl, currency, keep, timeZone, freezeLeadDays).
 * An admin overrides one by putting a file of the same name (e.g.
 * `frozen.txt`) in `notify.templatesDir`.
 */
export const BUILT_IN_TEMPLATES: Readonly<Record<string, string>> = {
  'billing-warning': `Subject: Your dues are paid until {{runOut}}

Hello {{name}},

your balance of {{balance}} {{currency}} covers your dues of {{dues}} {{currency}}
a month until {{runOut}}, {{daysLeft}} days from today.

If no payment arrives, your accounts ({{usernames}}) will be frozen
{{freezeLeadDays}} days before that date. Frozen accounts keep {{keep}}
working, so you can still read your mail and pay, but log-ins and other
services stop until the balance is back.

How to pay: {{payUrl}}
Your account: {{portalUrl}}

You get this notice once at each warning ({{lead}} days ahead).
`,
  frozen: `Subject: Your accounts are frozen: dues unpaid

Hello {{name}},

your accounts ({{usernames}}) are frozen because your balance of {{balance}}
{{currency}} no longer covers your dues of {{dues}} {{currency}} a month (it ran
out, or runs out, on {{runOut}}).

What still works: {{keep}}. Your files and settings are kept exactly as they
are; nothing is deleted.

How to pay: {{payUrl}}
Your account: {{portalUrl}}

As soon as a payment covers the next {{freezeLeadDays}} days, the freeze is
lifted and everything works again as before.
`,
  unfrozen: `Subject: Your accounts work again

Hello {{name}},

thank you: your payment was recorded and the billing freeze on your accounts
({{usernames}}) is lifted. Everything works again as before.

Your balance: {{balance}} {{currency}}, enough until {{runOut}}.
Your account: {{portalUrl}}
`,
  retirement: `Subject: Your account {{username}} will be closed

Hello {{name}},

your {{type}} account {{username}} is being closed ({{why}}).

It will be deactivated on: {{deactivates}}
It will be deleted on:     {{deleted}}

Until it is deactivated it works as before: copy anything you want to keep
before then. If this is a mistake, contact us before the deletion date and
the account comes back as it was, with the same name.

{{portalUrl}}
`,
  purged: `Subject: Your account {{username}} was deleted

Hello {{name}},

your {{type}} account {{username}} was deleted on {{purged}}, at the end of its
grace period. Its name stays reserved for you: if you come back, you get the
same name and user id.

{{portalUrl}}
`,
  'admin-digest': `Subject: [roster] {{job}}: {{result}}

Job:      {{job}}
Result:   {{result}}
Started:  {{started}}
Finished: {{finished}}
Counts:   {{counts}}
{{message}}
{{details}}
`,
  announcement: `Subject: {{subject}}

{{body}}
`,
  'email-confirm': `Subject: Confirm your new e-mail address

Hello {{name}},

you asked to use this address ({{newAddress}}) for your account mail. To
confirm it, open this link and press the button on the page:

{{link}}

The link works once, until {{expires}}. If you did not ask for this, ignore
this message: nothing changes without the link.
`,
  'password-reset': `Subject: Set a new password for {{username}}

Hello {{name}},

an administrator sent you this link to set a new password for your account
{{username}}. Open it and choose the new password on the page:

{{link}}

The link works once, until {{expires}}. If you did not ask for this, tell
the administrators; your password stays as it is unless the link is used.
`,
  'email-change-asked': `Subject: A change of your e-mail address was asked for

Hello {{name}},

someone signed in to your account asked to send your account mail to a new
address ({{newAddress}}) instead of this one. Nothing changes unless the link
sent to that address is opened before {{expires}}.

If this was you, there is nothing to do. If it was not, someone may be
using your account: sign in, change your password (that signs everyone else
out) and tell the administrators, who can put your address back:

{{portalUrl}}
`,
  'email-changed': `Subject: Your e-mail address was changed

Hello {{name}},

your account mail now goes to {{newAddress}} instead of this address
(changed on {{changed}}, confirmed through the link sent to the new address).

If you did not do this, tell the administrators at once: someone may be
using your account.

{{portalUrl}}
`,
  'status-confirm': `Subject: Confirm your subscription to {{site}}

Hello,

someone, we hope you, asked for e-mail about incidents and maintenance
from {{site}} at this address. To confirm, open this link and press the
button on the page:

{{link}}

The link works until {{expires}}. If you did not ask for this, ignore this
message: without the link nothing happens, and nothing more is sent here.

{{statusUrl}}
`,
  'status-update': `Subject: {{subject}}

{{kind}}: {{title}}
Status:   {{state}}
Affects:  {{components}}
{{window}}Posted:   {{when}}

{{message}}

Follow it on the status page: {{link}}

You get this because this address subscribed to {{site}}.
Unsubscribe with one click: {{unsubscribe}}
`,
  'watch-report': `Subject: [roster] {{host}}: {{summary}}

{{details}}
`,
};

export type TemplateSet = Readonly<Record<string, string>>;

/** The built-in templates with the admin's overrides from `dir` (files named `<kind>.txt`). */
export async function loadTemplates(dir: string | undefined): Promise<TemplateSet> {
  const out: Record<string, string> = { ...BUILT_IN_TEMPLATES };
  if (dir === undefined) return out;
  for (const kind of Object.keys(BUILT_IN_TEMPLATES)) {
    try {
      out[kind] = await readFile(join(dir, `${kind}.txt`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new RosterError('bad_config', `cannot read template ${join(dir, `${kind}.txt`)}: ${errorMessage(e)}`);
    }
  }
  return out;
}

export interface RenderedMessage {
  readonly subject: string;
  readonly text: string;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(show).join(', ');
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k} ${show(v)}`)
    .join(', ');
}

/** Fills a template; a field nobody provides renders empty rather than as `{{field}}`. */
export function renderMessage(templates: TemplateSet, kind: string, data: Readonly<Record<string, unknown>>, config: RosterConfig): RenderedMessage {
  const template = templates[kind];
  if (template === undefined) throw new RosterError('internal', `no template for notices of kind ${kind}`);
  const site: Record<string, unknown> = {
    portalUrl: config.notify.portalUrl ?? '',
    payUrl: config.notify.payUrl ?? config.notify.portalUrl ?? 'ask the administrators how to pay',
    currency: config.billing.currency,
    keep: config.freeze.keep.join(', '),
    freezeLeadDays: config.billing.freezeLeadDays,
    timeZone: config.timeZone,
  };
  const fill = (text: string): string => text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_m, field: string) => show(field in data ? data[field] : site[field]));
  const normalised = template.replace(/\r\n/g, '\n');
  const m = /^Subject:[ \t]*(.*)\n\n?([\s\S]*)$/.exec(normalised);
  if (m === null) throw new RosterError('bad_config', `template ${kind} must start with a "Subject:" line and a blank line`);
  // A subject is one header line: a newline from the data would inject headers.
  const subject = fill(m[1] ?? '').replace(/[\r\n\t]+/g, ' ').trim();
  const text = fill(m[2] ?? '').replace(/\n{3,}/g, '\n\n');
  return { subject, text: text.endsWith('\n') ? text : `${text}\n` };
}
