import { createHash } from 'node:crypto';
import type { PartPlan, PersonPlan, SyncNote } from './sync-plan.js';
import type { RosterRow } from './roster-file.js';

export type SyncChange =
  | { readonly action: 'add-person'; readonly personId: string; readonly row: number; readonly name: string }
  | { readonly action: 'update-person'; readonly personId: string; readonly row: number; readonly fields: readonly string[] }
  | { readonly action: 'create'; readonly personId: string; readonly username: string; readonly type: string; readonly returning: boolean }
  | { readonly action: 'reactivate'; readonly personId: string; readonly username: string; readonly type: string }
  | { readonly action: 'retire'; readonly personId: string; readonly username: string; readonly type: string; readonly why: string; readonly deactivates: string | null; readonly deletes: string | null }
  | { readonly action: 'purge'; readonly personId: string; readonly username: string; readonly type: string; readonly why: string };

export interface SyncSummary {
  /** Accounts created (new people's and returning people's). */
  readonly created: number;
  /** People whose record changed (names, roles, classes, …). */
  readonly updated: number;
  /** Accounts retired with the grace periods (and purged at once when the deletion grace is 0). */
  readonly retired: number;
  readonly reactivated: number;
  /** People in the file with nothing to change. */
  readonly unchanged: number;
  /** People new to the store. */
  readonly added: number;
  /** Of `retired`, accounts purged at once. */
  readonly purged: number;
}

/** Every change of these people's plans, in plan order, as a report lists them. */
export function describePeople(people: readonly PersonPlan[]): SyncChange[] {
  const changes: SyncChange[] = [];
  for (const p of people) {
    if (p.personChange === 'add' && p.row !== null) {
      changes.push({ action: 'add-person', personId: p.personId, row: p.row, name: `${p.after.firstName} ${p.after.lastName}` });
    } else if (p.personChange === 'update' && p.row !== null) {
      changes.push({ action: 'update-person', personId: p.personId, row: p.row, fields: p.fields });
    }
    for (const c of p.creates) changes.push({ action: 'create', personId: p.personId, username: c.username, type: c.type, returning: c.reserved });
    for (const r of p.reactivations) changes.push({ action: 'reactivate', personId: p.personId, username: r.before.username, type: r.before.type });
    for (const r of p.retirements) {
      if (r.after === null) changes.push({ action: 'purge', personId: p.personId, username: r.before.username, type: r.before.type, why: r.why });
      else changes.push({ action: 'retire', personId: p.personId, username: r.before.username, type: r.before.type, why: r.why, deactivates: r.after.expiresAt, deletes: r.after.purgeAt });
    }
  }
  return changes;
}

/**
 * What a part of the plan is, for telling whether planning it again gives
 * the same: its rows as read and every change and note planned for them.
 */
export function partDigest(rows: readonly RosterRow[], part: PartPlan): string {
  const hash = createHash('sha256');
  // Row by row: one string of a whole chunk would be allocated where only a full collection frees it.
  for (const r of rows) hash.update(JSON.stringify(r));
  for (const c of describePeople(part.people)) hash.update(JSON.stringify(c));
  hash.update(JSON.stringify(part.notes));
  return hash.digest('hex');
}

/**
 * The figures of a whole plan, fed one part at a time: the summary counts
 * every change, while only the first `listed` changes and notes are kept
 * (the rest only counted), so a report of a million rows fits in memory.
 */
export class PlanTally {
  created = 0;
  updated = 0;
  retired = 0;
  reactivated = 0;
  unchanged = 0;
  added = 0;
  purged = 0;
  readonly changes: SyncChange[] = [];
  readonly notes: SyncNote[] = [];
  unlistedChanges = 0;
  unlistedNotes = 0;

  constructor(private readonly listed: number) {}

  add(part: PartPlan): void {
    this.unchanged += part.unchanged;
    for (const p of part.people) {
      if (p.row !== null && p.personChange === 'add') this.added++;
      else if (p.row !== null && p.personChange === 'update') this.updated++;
      this.created += p.creates.length;
      this.reactivated += p.reactivations.length;
      this.retired += p.retirements.length;
      this.purged += p.retirements.filter((r) => r.after === null).length;
    }
    const room = this.listed - this.changes.length;
    if (room > 0) {
      const changes = describePeople(part.people);
      for (const c of changes.slice(0, room)) this.changes.push(c);
      this.unlistedChanges += Math.max(0, changes.length - room);
    } else {
      this.unlistedChanges += part.people.reduce((n, p) => n + (p.row !== null && p.personChange !== null ? 1 : 0) + p.creates.length + p.reactivations.length + p.retirements.length, 0);
    }
    const noteRoom = Math.max(0, this.listed - this.notes.length);
    for (const n of part.notes.slice(0, noteRoom)) this.notes.push(n);
    this.unlistedNotes += Math.max(0, part.notes.length - noteRoom);
  }

  summary(): SyncSummary {
    return { created: this.created, updated: this.updated, retired: this.retired, reactivated: this.reactivated, unchanged: this.unchanged, added: this.added, purged: this.purged };
  }
}
