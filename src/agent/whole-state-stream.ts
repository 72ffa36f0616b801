import * as z from 'zod';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { desiredHostSchema, hostAssignmentSchema } from '../desired/desired-host-schema.js';
import type { DesiredAccount, DesiredGroup } from '../desired/desired-host.js';
import type { KeptRest } from './delta-scope.js';
import { ndjsonLines } from './ndjson-lines.js';

/** The content type of a whole state sent as NDJSON. */
export const NDJSON_TYPE = 'application/x-ndjson';

const { accounts: accountsSchema, groups: groupsSchema, ...restShape } = desiredHostSchema.shape;
const { targets: targetsSchema, breaker: breakerSchema, revision: revisionSchema } = hostAssignmentSchema.shape;

/** The first line: the revision and everything of the assignment but its accounts and groups — the same checks as a whole JSON answer. */
const headSchema = z.object({ revision: revisionSchema, targets: targetsSchema, breaker: breakerSchema, desired: z.object(restShape) });
const accountLine = z.object({ account: accountsSchema.element });
const groupLine = z.object({ group: groupsSchema.element });
const endLine = z.object({ end: z.object({ accounts: z.int().min(0), groups: z.int().min(0) }) });

/** One entry of a streamed whole state, checked. */
export type WholeEntry = { readonly account: DesiredAccount } | { readonly group: DesiredGroup };

/**
 * A whole state arriving as NDJSON: its first line read and checked, its
 * entries still to read, a batch at a time. Reading them throws (a
 * `bad_input` RosterError naming the line) on a line that does not check,
 * an entry out of place, a body that ends without its end line or whose
 * end line's counts differ from the entries sent: a truncated body is
 * never taken for a whole state.
 */
export interface WholeStateStream {
  readonly revision: string;
  readonly rest: KeptRest;
  readonly entries: AsyncIterable<readonly WholeEntry[]>;
}

function refused(line: number, message: string, issues: readonly ErrorIssue[] = []): RosterError {
  return new RosterError('bad_input', `the server's desired state, line ${line}: ${message}; nothing applied from it`, issues);
}

function issuesOf(line: number, error: z.ZodError): ErrorIssue[] {
  return error.issues.slice(0, 10).map((i) => ({ where: [`line ${line}`, ...i.path.map(String)].join('.'), message: i.message }));
}

function parseLine(line: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw refused(line, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Reads the first line of an NDJSON whole state for `host` and returns it
 * with the rest of the body as checked entries (the wire format of `GET
 * /api/v1/hosts/{host}/desired` with `Accept: application/x-ndjson`: the
 * head line, an `{"account":…}` line per account, a `{"group":…}` line per
 * group, then `{"end":{"accounts":N,"groups":M}}`). Each line is checked
 * with the same schemas as a whole JSON answer, as it comes, so memory
 * holds the entries in flight and never the body.
 */
export async function readWholeStateStream(body: ReadableStream<Uint8Array>, host: string, onChunk?: () => void): Promise<WholeStateStream> {
  const batches = ndjsonLines(body, onChunk);
  let first: string[] = [];
  try {
    while (first.length === 0) {
      const next = await batches.next();
      if (next.done === true) throw refused(1, 'the body is empty');
      first = next.value;
    }
  } catch (e) {
    await batches.return(undefined);
    throw e instanceof RosterError ? e : refused(1, e instanceof Error ? e.message : String(e));
  }
  const head = headSchema.safeParse(parseLine(1, first[0] as string));
  if (!head.success) {
    await batches.return(undefined);
    throw refused(1, 'the head line does not check', issuesOf(1, head.error));
  }
  if (head.data.desired.host !== host) {
    await batches.return(undefined);
    throw new RosterError('bad_input', `the server sent the desired state of host "${head.data.desired.host}", not "${host}"`);
  }
  const { revision, targets, breaker, desired } = head.data;
  return { revision, rest: { desired, targets, breaker }, entries: entriesOf(batches, first.slice(1)) };
}

async function* entriesOf(batches: AsyncGenerator<string[]>, firstRest: readonly string[]): AsyncGenerator<readonly WholeEntry[]> {
  let line = 1;
  let accounts = 0;
  let groups = 0;
  // Set inside take(), read after the loop.
  const seen = { end: false };
  const take = (text: string): WholeEntry | null => {
    line++;
    if (seen.end) throw refused(line, 'a line after the end line');
    const value = parseLine(line, text);
    const key = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value)[0] : undefined;
    if (key === 'account') {
      if (groups > 0) throw refused(line, 'an account after the groups');
      const parsed = accountLine.safeParse(value);
      if (!parsed.success) throw refused(line, 'an account does not check', issuesOf(line, parsed.error));
      accounts++;
      return parsed.data;
    }
    if (key === 'group') {
      const parsed = groupLine.safeParse(value);
      if (!parsed.success) throw refused(line, 'a group does not check', issuesOf(line, parsed.error));
      groups++;
      return parsed.data;
    }
    if (key === 'end') {
      const parsed = endLine.safeParse(value);
      if (!parsed.success) throw refused(line, 'the end line does not check', issuesOf(line, parsed.error));
      const { end } = parsed.data;
      if (end.accounts !== accounts || end.groups !== groups) throw refused(line, `the end line counts ${end.accounts} accounts and ${end.groups} groups, the body sent ${accounts} and ${groups}`);
      seen.end = true;
      return null;
    }
    throw refused(line, 'expected {"account": …}, {"group": …} or {"end": …}');
  };
  const entriesIn = (texts: readonly string[]): WholeEntry[] => {
    const out: WholeEntry[] = [];
    for (const text of texts) {
      const entry = take(text);
      if (entry !== null) out.push(entry);
    }
    return out;
  };
  try {
    if (firstRest.length > 0) yield entriesIn(firstRest);
    for (;;) {
      let next: IteratorResult<string[]>;
      try {
        next = await batches.next();
      } catch (e) {
        throw e instanceof RosterError ? e : refused(line + 1, `the body could not be read (${e instanceof Error ? e.message : String(e)})`);
      }
      if (next.done === true) break;
      yield entriesIn(next.value);
    }
    if (!seen.end) throw refused(line, `the body ends without its end line (truncated after ${accounts} accounts and ${groups} groups)`);
  } finally {
    await batches.return(undefined);
  }
}
