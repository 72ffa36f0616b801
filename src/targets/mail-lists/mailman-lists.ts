import * as z from 'zod';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import type { MailListsConfig } from './mail-lists-config.js';

/** A list in Mailman 3 and the addresses of its owners, all in lower case. */
export interface MailmanList {
  readonly address: string;
  readonly owners: readonly string[];
}

/** One page of a Mailman REST collection (mailman.rest.helpers.CollectionMixin): no `entries` when it is empty. */
const page = <T extends z.ZodType>(entry: T) => z.object({ total_size: z.number().int().min(0), entries: z.array(entry).optional() });
const listEntry = z.object({ list_id: z.string(), fqdn_listname: z.string() });
const memberEntry = z.object({ list_id: z.string(), email: z.string() });

/** Entries per request: Mailman pages collections by `count` and a 1-based `page`. */
const PAGE_SIZE = 500;
const TIMEOUT_MS = 15_000;

/**
 * Every list of a Mailman 3 core with its owners, in two paged reads of the
 * REST API whatever the number of accounts (GET /lists and GET
 * /members/find?role=owner), so a freeze of one member among thousands does
 * not ask once per member. A server that cannot be read is `unavailable`:
 * planning without it would drop the refusals of its lists.
 */
export async function mailmanLists(root: string, settings: NonNullable<MailListsConfig['mailman']>): Promise<MailmanList[]> {
  const password = (await readTextIfExists(rootedPath(root, settings.passwordFile)))?.split('\n')[0];
  if (password === undefined) throw new RosterError('unavailable', `Mailman: the password file ${settings.passwordFile} does not exist`);
  const auth = `Basic ${Buffer.from(`${settings.user}:${password}`).toString('base64')}`;
  const lists = await readAll(settings.url, '/lists', {}, listEntry, auth);
  const owners = await readAll(settings.url, '/members/find', { role: 'owner' }, memberEntry, auth);
  const byId = new Map<string, { address: string; owners: string[] }>();
  for (const l of lists) byId.set(l.list_id, { address: l.fqdn_listname.toLowerCase(), owners: [] });
  for (const m of owners) byId.get(m.list_id)?.owners.push(m.email.toLowerCase());
  return [...byId.values()].map((l) => ({ address: l.address, owners: [...new Set(l.owners)].sort() })).sort((a, b) => (a.address < b.address ? -1 : 1));
}

async function readAll<T extends z.ZodType>(base: string, path: string, query: Record<string, string>, entry: T, auth: string): Promise<Array<z.output<T>>> {
  const all: Array<z.output<T>> = [];
  for (let n = 1; ; n++) {
    const url = `${base}${path}?${new URLSearchParams({ ...query, count: String(PAGE_SIZE), page: String(n) }).toString()}`;
    let body: unknown;
    try {
      const response = await fetch(url, { headers: { authorization: auth, accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!response.ok) throw new RosterError('unavailable', `HTTP ${response.status} ${response.statusText}`);
      body = await response.json();
    } catch (e) {
      throw new RosterError('unavailable', `Mailman: GET ${base}${path}: ${errorMessage(e)}`, [], { cause: e });
    }
    const parsed = page(entry).safeParse(body);
    if (!parsed.success) throw new RosterError('unavailable', `Mailman: GET ${base}${path} answered something that is not a page of a collection: ${parsed.error.issues[0]?.message ?? ''}`);
    const entries = (parsed.data.entries ?? []) as Array<z.output<T>>;
    all.push(...entries);
    if (entries.length === 0 || all.length >= parsed.data.total_size) return all;
  }
}
