import { posix } from 'node:path';
import * as z from 'zod';
import { hostAssignmentSchema, type HostAssignment } from '../desired/desired-host-schema.js';
import { errorMessage } from '../domain/errors.js';
import { readTextIfExists } from '../system/read-text-if-exists.js';
import { writeFileAtomic } from '../system/write-file-atomic.js';

/** A report the server has not accepted yet (it was down): sent, oldest first, when it answers again. */
export type PendingReport = Readonly<Record<string, unknown>>;

/** Reports kept while the server is down; older ones are dropped (the newest tell the current state). */
export const MAX_PENDING_REPORTS = 20;

const assignmentFileSchema = z.object({
  version: z.literal(1),
  server: z.string(),
  host: z.string(),
  fetchedAt: z.string(),
  assignment: hostAssignmentSchema,
});

const statusFileSchema = z.object({
  version: z.literal(1),
  applied: z.object({ revision: z.string(), at: z.string(), ok: z.boolean() }).nullable(),
  pendingReports: z.array(z.record(z.string(), z.unknown())).max(MAX_PENDING_REPORTS),
});

/**
 * What an agent keeps on disk (DESIGN.md §5 "Agent"): the last desired
 * state it received, so it goes on applying it while the server is down,
 * what it last applied, and the reports still to send.
 */
export interface AgentState {
  readonly version: 1;
  readonly server: string;
  readonly host: string;
  readonly fetchedAt: string;
  readonly assignment: HostAssignment;
  readonly applied: { readonly revision: string; readonly at: string; readonly ok: boolean } | null;
  readonly pendingReports: readonly PendingReport[];
}

/**
 * Two files in the state directory: `agent-HOST.json` holds the desired
 * state (large: every account of the host) and is rewritten only when a new
 * revision arrives; `agent-HOST.status.json` holds what was applied and the
 * reports still to send, and changes after every apply.
 */
export function agentStatePath(stateDir: string, host: string): string {
  return posix.join(stateDir, `agent-${host}.json`);
}

function statusPath(path: string): string {
  return path.replace(/\.json$/, '.status.json');
}

async function readChecked<T>(path: string, schema: z.ZodType<T>, what: string, warn: (message: string) => void): Promise<T | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    warn(`${path}: not JSON (${errorMessage(e)}); ignoring it`);
    return null;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    warn(`${path}: not ${what} (${first === undefined ? 'invalid' : `${first.path.join('.')}: ${first.message}`}); ignoring it`);
    return null;
  }
  return parsed.data;
}

/**
 * The state on disk, or null when there is none yet. A file that does not
 * parse (a disk error, an edit by hand) is reported through `warn` and
 * treated as missing: the next answer of the server replaces it.
 */
export async function loadAgentState(path: string, warn: (message: string) => void): Promise<AgentState | null> {
  const kept = await readChecked(path, assignmentFileSchema, 'an agent state', warn);
  if (kept === null) return null;
  const status = await readChecked(statusPath(path), statusFileSchema, 'an agent status', warn);
  const state: AgentState = { ...kept, assignment: kept.assignment, applied: status?.applied ?? null, pendingReports: status?.pendingReports ?? [] };
  saved.set(state.assignment, path);
  return state;
}

/** Which assignment each state file holds now, so an unchanged one is not written again. */
const saved = new WeakMap<object, string>();

/** Written atomically with mode 0600: the state holds password hashes. */
export async function saveAgentState(path: string, state: AgentState): Promise<void> {
  if (saved.get(state.assignment) !== path) {
    const { version, server, host, fetchedAt, assignment } = state;
    await writeFileAtomic(path, `${JSON.stringify({ version, server, host, fetchedAt, assignment })}\n`, { mode: 0o600 });
    saved.set(state.assignment, path);
  }
  await writeFileAtomic(statusPath(path), `${JSON.stringify({ version: 1, applied: state.applied, pendingReports: state.pendingReports })}\n`, { mode: 0o600 });
}
