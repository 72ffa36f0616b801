import { printable } from '../app/person-input.js';
import type { ErrorIssue } from '../domain/errors.js';
import { usernameCandidates, type UsernamePolicy } from '../domain/usernames.js';
import type { ReservationReads } from '../store/store.js';
import type { PersonPlan, PlannedCreate } from './sync-plan.js';

/**
 * RATS step 6 for many people at once: each new account of `plans` (one
 * chunk of the file) takes the first of its person's candidates that is
 * free in the store and not in `chosen`, the names this run has chosen so
 * far (lower-cased; the chunk's choices are added). Candidates are checked
 * a few thousand per round trip instead of one query each. A person with
 * no free candidate left is returned as an issue naming the row, so the
 * whole file's are reported together.
 */
export async function assignUsernames(q: ReservationReads, plans: readonly PersonPlan[], policy: UsernamePolicy, chosen: Set<string>): Promise<ErrorIssue[]> {
  for (const p of plans) for (const c of p.creates) if (c.username !== '') chosen.add(c.username.toLowerCase());
  interface Pending { readonly p: PersonPlan; readonly c: PlannedCreate; readonly candidates: Iterator<string>; next: string | undefined }
  let pending: Pending[] = plans.flatMap((p) =>
    p.creates.filter((c) => c.username === '').map((c) => ({ p, c, candidates: usernameCandidates(p.after.firstName, p.after.lastName, policy), next: undefined })),
  );
  const issues: ErrorIssue[] = [];
  while (pending.length > 0) {
    for (const item of pending) {
      let n = item.candidates.next();
      while (n.done !== true && chosen.has(n.value.toLowerCase())) n = item.candidates.next();
      item.next = n.done === true ? undefined : n.value;
    }
    const exhausted = pending.filter((i) => i.next === undefined);
    for (const i of exhausted) issues.push({ where: `row ${i.p.row ?? '?'}`, message: `no free username can be derived from the names of ${printable(i.p.personId)}` });
    pending = pending.filter((i) => i.next !== undefined);
    const taken = await q.takenNames(pending.map((i) => i.next ?? ''));
    const rest: Pending[] = [];
    for (const item of pending) {
      const name = item.next ?? '';
      const lower = name.toLowerCase();
      if (taken.has(lower) || chosen.has(lower)) {
        rest.push(item);
        continue;
      }
      chosen.add(lower);
      item.c.username = name;
    }
    pending = rest;
  }
  return issues;
}

/** The usernames of a chunk's new accounts, in plan order: what the run applies is what the plan chose. */
export function chosenUsernames(plans: readonly PersonPlan[]): string[] {
  return plans.flatMap((p) => p.creates.map((c) => c.username));
}

/**
 * Gives a chunk planned again the usernames its first planning chose;
 * false when its new accounts are not the same in number (the store or the
 * file changed in between).
 */
export function reuseUsernames(plans: readonly PersonPlan[], names: readonly string[]): boolean {
  const creates = plans.flatMap((p) => p.creates);
  if (creates.length !== names.length) return false;
  creates.forEach((c, i) => {
    c.username = names[i] ?? '';
  });
  return true;
}
