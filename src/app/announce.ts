import { createHash } from 'node:crypto';
import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import { keysetPages } from '../store/keyset-pages.js';
import type { AppContext, MutationOptions } from './app-context.js';
import { audit, mutate } from './mutate.js';
import { memberAddress, queueNotices, type Notice } from './notices.js';
import { printable } from './person-input.js';

export interface AnnounceInput {
  readonly host: string;
  readonly subject: string;
  readonly body: string;
}

export interface AnnounceResult {
  readonly host: string;
  readonly subject: string;
  /** One per address, sorted. */
  readonly recipients: readonly string[];
  /** Members with an account on the host but no address on record. */
  readonly unaddressed: readonly string[];
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/**
 * An intervention notice to everyone who lives on a host (GlobeNet: "a
 * status page so users hear about interventions"): every person with a
 * live account (active or disabled, not purged) of a type whose `hosts.live`
 * names the host gets one message, queued with an audit record in one
 * transaction and sent after commit.
 */
export async function announce(ctx: AppContext, input: AnnounceInput, options: MutationOptions = {}): Promise<AnnounceResult> {
  if (ctx.config.hosts[input.host] === undefined) {
    throw new RosterError('not_found', `no host "${printable(input.host)}" in roster.yaml (known: ${Object.keys(ctx.config.hosts).join(', ') || 'none'})`);
  }
  const subject = input.subject.trim();
  if (subject === '' || /[\r\n]/.test(subject) || CONTROL.test(subject) || subject.length > 200) {
    throw new RosterError('bad_input', 'the subject must be one line of at most 200 characters', [{ where: '--subject', message: 'one line, 1-200 characters, no control characters' }]);
  }
  if (input.body.trim() === '' || CONTROL.test(input.body)) {
    throw new RosterError('bad_input', 'the message body must not be empty or contain control characters', [{ where: 'body', message: 'empty or with control characters' }]);
  }
  const types = Object.entries(ctx.config.types).filter(([, t]) => t.hosts.live.includes(input.host)).map(([name]) => name);
  const byPerson = new Map<string, Account[]>();
  for (const type of types) {
    for await (const page of keysetPages({ limit: 1000, page: (afterId: number | undefined, limit) => ctx.store.read.listAccounts({ type, afterId: afterId ?? 0, limit }), keyOf: (a) => a.id })) {
      for (const a of page) byPerson.set(a.personId, [...(byPerson.get(a.personId) ?? []), a]);
    }
  }
  const people = await ctx.store.read.getPeople([...byPerson.keys()]);
  const digest = createHash('sha256').update(`${input.host}\u0000${subject}\u0000${input.body}\u0000${ctx.clock.now().toISOString()}`).digest('hex').slice(0, 16);
  const seen = new Set<string>();
  const notices: Notice[] = [];
  const unaddressed: string[] = [];
  for (const person of people.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const to = memberAddress(person, ctx, byPerson.get(person.id) ?? []);
    if (to === null) {
      unaddressed.push(person.id);
      continue;
    }
    if (seen.has(to.toLowerCase())) continue;
    seen.add(to.toLowerCase());
    notices.push({ kind: 'announcement', to, data: { host: input.host, subject, body: input.body, name: `${person.firstName} ${person.lastName}` }, dedupeKey: `announcement:${digest}:${to.toLowerCase()}` });
  }
  await mutate(ctx, options, async (tx) => {
    await queueNotices(tx, ctx, notices);
    await audit(tx, ctx, { action: 'announce', target: `host:${input.host}`, before: null, after: { subject, recipients: notices.length, unaddressed: unaddressed.length } });
  });
  return { host: input.host, subject, recipients: notices.map((n) => n.to ?? '').sort(), unaddressed };
}
