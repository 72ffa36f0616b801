import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { hostAssignmentSchema, type HostAssignment } from '../desired/desired-host-schema.js';
import { errorMessage } from '../domain/errors.js';

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
  pendingReports: z.array(z.record(z.string(), z.unknown())).max(20),
});

/** A state kept in the former format, and the files it was read from. */
export interface LegacyState {
  readonly header: { readonly server: string; readonly host: string; readonly fetchedAt: string };
  readonly assignment: HostAssignment;
  readonly applied: { readonly revision: string; readonly at: string; readonly ok: boolean } | null;
  readonly pendingReports: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly files: readonly string[];
}

function readChecked<T>(path: string, schema: z.ZodType<T>, what: string, warn: (message: string) => void): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
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
 * The state an agent kept before its SQLite file (`agent-HOST.json`, the
 * desired state, and `agent-HOST.status.json`, what was applied and the
 * reports to send), read once to migrate it; null when there is none or it
 * does not check (reported through `warn`, as the former agent did).
 */
export function readLegacyState(path: string, warn: (message: string) => void): LegacyState | null {
  const kept = readChecked(path, assignmentFileSchema, 'an agent state', warn);
  if (kept === null) return null;
  const statusPath = path.replace(/\.json$/, '.status.json');
  const status = readChecked(statusPath, statusFileSchema, 'an agent status', warn);
  return {
    header: { server: kept.server, host: kept.host, fetchedAt: kept.fetchedAt },
    assignment: kept.assignment,
    applied: status?.applied ?? null,
    pendingReports: status?.pendingReports ?? [],
    files: [path, statusPath],
  };
}
