import { RosterError } from '../domain/errors.js';
import { auditHash, GENESIS_HASH } from './audit-chain.js';
import { keysetPages } from './keyset-pages.js';
import type { AuditReads, AuditRecord } from './store.js';

export type AuditProblemKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'head-mismatch';

export interface AuditProblem {
  /** The record (position) the problem is about; for `deleted`/`truncated`, the first missing seq. */
  readonly seq: number;
  readonly kind: AuditProblemKind;
  readonly message: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** Records read. */
  readonly records: number;
  /** The end of the chain as read (seq 0 and the genesis hash when empty): keep it outside the database and pass it back as `expectHead`. */
  readonly head: { readonly seq: number; readonly hash: string };
  readonly problems: readonly AuditProblem[];
}

export interface VerifyAuditOptions {
  /** A head kept from an earlier run: `SEQ:HASH` or just `HASH`. Detects truncation even when audit_head was rewritten to match. */
  readonly expectHead?: string;
  /** Records per page (default 1000). */
  readonly pageSize?: number;
}

/** Past this many, the chain is broken beyond listing; stop collecting. */
const MAX_PROBLEMS = 10_000;
/** Bound on out-of-place hashes remembered for reorder detection. */
const MAX_TRACKED = 100_000;

interface ExpectedHead {
  readonly seq: number | undefined;
  readonly hash: string;
}

function parseExpectHead(text: string): ExpectedHead {
  const m = /^(?:(\d+):)?([0-9a-fA-F]{64})$/.exec(text.trim());
  if (m === null || m[2] === undefined) throw new RosterError('bad_input', `expected head "${text}" is not SEQ:HASH or a 64-digit hex SHA-256`);
  return { seq: m[1] === undefined ? undefined : Number(m[1]), hash: m[2].toLowerCase() };
}

/**
 * Checks the hash chain of DESIGN.md §7 page by page, in constant memory for
 * an intact chain: every record's hash is recomputed (edited), seqs must be
 * contiguous from 1 (deleted), each record must chain to the one before it
 * (a link to an earlier or later record is reordered; a link to a hash that
 * appears nowhere means the record before was rewritten and re-hashed), the
 * last record must be audit_head (truncated / head-mismatch), and an
 * `expectHead` kept outside the database must still be in the chain
 * (truncated even if the attacker also rewrote audit_head).
 *
 * Only anomalies are remembered (hashes nothing linked to, links to hashes
 * not yet seen), so a million intact records cost one page of memory.
 */
export async function verifyAudit(q: AuditReads, opts: VerifyAuditOptions = {}): Promise<AuditVerification> {
  const expect = opts.expectHead === undefined ? undefined : parseExpectHead(opts.expectHead);
  const pageSize = opts.pageSize ?? 1000;
  const problems: AuditProblem[] = [];
  const report = (seq: number, kind: AuditProblemKind, message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ seq, kind, message });
  };

  /** Hashes of records whose successor did not chain to them: where a moved record's link may point. */
  const dangling = new Map<string, number>();
  /** Records that fail their own hash and chain to a hash not seen yet: maybe moved here from after it. */
  const suspects = new Map<string, AuditRecord>();
  /** Positions whose link points to a hash not seen yet: reordered if it turns up later, else its predecessor was rewritten. */
  const wanted = new Map<string, number>();
  const track = <V>(map: Map<string, V>, key: string, value: V): void => {
    if (map.size < MAX_TRACKED) map.set(key, value);
  };

  let records = 0;
  let last: AuditRecord | undefined;
  /** The seq `last` was written with: its own, or where it was moved from. */
  let lastOrigin = 0;
  let lastFlagged = false;
  let expectedSeq = 1;
  let expectFound: AuditRecord | undefined;

  const knownSeq = (hash: string): number | undefined => {
    if (hash === GENESIS_HASH) return 0;
    if (last !== undefined && hash === last.hash) return lastOrigin;
    return dangling.get(hash);
  };

  const visit = (r: AuditRecord): void => {
    records++;
    if (expect !== undefined && (expect.seq === undefined ? r.hash === expect.hash : r.seq === expect.seq)) expectFound = r;

    const gap = r.seq > expectedSeq;
    if (gap) {
      report(expectedSeq, 'deleted', r.seq - 1 === expectedSeq ? `record ${expectedSeq} is missing` : `records ${expectedSeq}–${r.seq - 1} are missing`);
    }
    expectedSeq = r.seq + 1;

    let flagged = false;
    let origin = r.seq;
    if (auditHash(r) !== r.hash) {
      flagged = true;
      const from = knownSeq(r.prevHash);
      if (from === undefined) {
        // It may be a later record moved here: decided when its predecessor turns up.
        track(suspects, r.prevHash, r);
      } else if (from + 1 !== r.seq && auditHash({ ...r, seq: from + 1 }) === r.hash) {
        origin = from + 1;
        report(r.seq, 'reordered', `record ${r.seq} holds record ${origin}, moved out of place`);
      } else {
        report(r.seq, 'edited', `record ${r.seq} does not match its hash: its contents were changed`);
      }
    }

    const expectedPrev = last === undefined ? (r.seq === 1 ? GENESIS_HASH : undefined) : last.hash;
    if (expectedPrev !== undefined && r.prevHash !== expectedPrev) {
      if (last !== undefined) track(dangling, last.hash, lastOrigin);
      // A gap or an already-flagged neighbour explains the broken link; report it once.
      if (!gap && !flagged && !lastFlagged) {
        const to = knownSeq(r.prevHash);
        if (to !== undefined) {
          flagged = true;
          report(r.seq, 'reordered', `record ${r.seq} chains to record ${to}, not to record ${r.seq - 1}: records were moved`);
        } else {
          track(wanted, r.prevHash, r.seq);
        }
      }
    }

    // Does this record complete an earlier anomaly?
    const suspect = suspects.get(r.hash);
    if (suspect !== undefined) {
      suspects.delete(r.hash);
      if (auditHash({ ...suspect, seq: origin + 1 }) === suspect.hash) {
        report(suspect.seq, 'reordered', `record ${suspect.seq} holds record ${origin + 1}, moved out of place`);
      } else {
        report(suspect.seq, 'edited', `record ${suspect.seq} does not match its hash: its contents were changed`);
      }
    }
    const waiting = wanted.get(r.hash);
    if (waiting !== undefined) {
      wanted.delete(r.hash);
      report(waiting, 'reordered', `record ${waiting} chains to record ${r.seq}, which comes after it: records were moved`);
    }

    last = r;
    lastOrigin = origin;
    lastFlagged = flagged;
  };

  const drain = async (): Promise<void> => {
    const pages = keysetPages({ limit: pageSize, after: last?.seq, page: (afterSeq: number | undefined, limit) => q.listAudit({ ...(afterSeq === undefined ? {} : { afterSeq }), limit }), keyOf: (r) => r.seq });
    for await (const page of pages) for (const r of page) visit(r);
  };

  await drain();
  // Appends commit the record and audit_head together. Reading the head after
  // the records, and reading on while it is ahead, means a concurrent append
  // is never mistaken for truncation.
  let head = await q.auditHead();
  for (let seen = records; head.seq > (last?.seq ?? 0); seen = records) {
    await drain();
    if (records === seen) break;
    head = await q.auditHead();
  }

  for (const s of suspects.values()) report(s.seq, 'edited', `record ${s.seq} does not match its hash: its contents were changed`);
  for (const [, seq] of wanted) {
    report(seq - 1, 'edited', `record ${seq - 1} is not the record that record ${seq} chains to: it was rewritten and re-hashed`);
  }

  const end = last === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: last.seq, hash: last.hash };
  if (head.seq > end.seq) {
    report(end.seq + 1, 'truncated', `audit_head says the chain ends at record ${head.seq}, but the last record is ${end.seq}: records ${end.seq + 1}–${head.seq} were removed`);
  } else if (head.seq < end.seq) {
    report(head.seq, 'head-mismatch', `records after ${head.seq} exist that audit_head does not know of (last is ${end.seq}): they were added outside Roster`);
  } else if (head.hash !== end.hash) {
    report(head.seq, 'head-mismatch', `audit_head has hash ${head.hash} for record ${head.seq}, but the record's hash is ${end.hash}`);
  }

  if (expect !== undefined) {
    if (expect.seq === undefined) {
      if (expectFound === undefined) {
        report(end.seq + 1, 'truncated', `the expected head ${expect.hash} is not in the chain (which ends at record ${end.seq}): records were removed or rewritten`);
      }
    } else if (expectFound === undefined) {
      if (end.seq < expect.seq) {
        report(end.seq + 1, 'truncated', `the chain ends at record ${end.seq}, but the expected head is record ${expect.seq}: records ${end.seq + 1}–${expect.seq} were removed`);
      } else {
        report(expect.seq, 'head-mismatch', `record ${expect.seq}, the expected head, is missing`);
      }
    } else if (expectFound.hash !== expect.hash) {
      report(expect.seq, 'head-mismatch', `record ${expect.seq} has hash ${expectFound.hash}, not the expected ${expect.hash}: the chain was rewritten up to there`);
    }
  }

  problems.sort((a, b) => a.seq - b.seq);
  return { ok: problems.length === 0, records, head: end, problems };
}
