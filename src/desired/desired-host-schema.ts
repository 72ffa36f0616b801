import * as z from 'zod';
import { targetRegistry } from '../targets/registry.js';
import type { DesiredHost } from './desired-host.js';

/**
 * The desired state as it crosses the wire from `roster serve` to an agent
 * (DESIGN.md §5 "Agent"): the agent checks what it receives, and what it
 * keeps on disk, against this before any target sees it. Unknown keys are
 * dropped, so a newer server can add fields without stopping older agents.
 */
const day = z.int().min(0).max(2_000_000);
const id = z.int().min(0).max(4_294_967_295);
const name = z.string().min(1).max(256);
const path = z.string().startsWith('/').max(4096);
const hold = z.object({
  kind: z.enum(['freeze', 'retired']),
  reason: z.string().max(256),
  since: z.string().max(64),
  note: z.string().max(4096).nullable(),
  setBy: z.string().max(256),
});

const core = {
  username: name,
  uid: id,
  gid: id,
  primaryGroup: name,
  gecos: z.string().max(1024),
  home: path,
  shell: path,
  type: name,
  personId: z.string().max(256),
  passwordField: z.string().max(1024),
  // Absent from a server that predates it: no principal.
  principal: z.string().max(1024).nullable().default(null),
  holds: z.array(hold),
  disabled: z.boolean(),
  expiryDay: day.nullable(),
  lastChangeDay: day,
  canLogin: z.boolean(),
  groups: z.array(name),
};

/** An owned resource; its settings were checked by its kind's schema when it was added, and its target reads them. */
const resource = z.object({ id: z.int().min(1), kind: name, name, owner: name, settings: z.record(z.string(), z.unknown()) });

/** What the wire schema needs of a target: the schema of its entry in `DesiredAccount.targets`, if it has one. */
export interface TargetWireEntry {
  readonly name: string;
  readonly entry?: z.ZodType;
}

/**
 * The desired state's schema for these targets: each account's `targets`
 * holds the entries of those that have one, each checked by the target's
 * own schema. An entry may be missing (a server that does not know the
 * target yet): the target then uses the defaults of a type that sets nothing.
 */
export function desiredHostSchemaFor(targets: readonly TargetWireEntry[]) {
  const entries = Object.fromEntries(targets.flatMap((t) => (t.entry === undefined ? [] : [[t.name, t.entry.optional()]])));
  const account = z.object({ ...core, targets: z.object(entries) });
  return z.object({
    host: name,
    at: z.iso.datetime({ offset: true }),
    timeZone: z.string().max(64),
    freezeKeep: z.array(z.string().max(64)),
    accounts: z.array(account),
    groups: z.array(z.object({ name, gid: id, members: z.array(name) })),
    removed: z.array(z.object({ username: name, uid: id, home: path, purgedAt: z.string().max(64) })),
    purge: z.object({ archive: z.boolean(), archiveDir: path }).exactOptional(),
    resources: z.record(name, z.array(resource)).exactOptional(),
  }) satisfies z.ZodType<DesiredHost>;
}

/**
 * What `GET /api/v1/hosts/{host}/desired` answers and an agent keeps: the
 * desired state, the host's `targets` section of roster.yaml (which targets
 * run and their settings; each target checks its own), the circuit breaker,
 * and the revision naming all three.
 */
export function hostAssignmentSchemaFor(targets: readonly TargetWireEntry[]) {
  return z.object({
    revision: z.string().min(1).max(128),
    desired: desiredHostSchemaFor(targets),
    targets: z.record(z.string(), z.unknown()).meta({ description: "the host's targets section of roster.yaml: which targets run and their settings" }),
    breaker: z.object({ count: z.int().min(0), percent: z.number().min(0).max(100) }),
  });
}

/** The schemas for the registered targets: what this build's server sends and its agents accept. */
export const desiredHostSchema = desiredHostSchemaFor(targetRegistry);
export const hostAssignmentSchema = hostAssignmentSchemaFor(targetRegistry);

export type HostAssignment = z.infer<typeof hostAssignmentSchema>;
