import { RosterError } from '../../domain/errors.js';

/** Limits of one UID on one filesystem, in KiB and inodes; 0 is "no limit" (setquota(8)). */
export interface QuotaEntry {
  readonly soft: number;
  readonly hard: number;
  readonly inodeSoft: number;
  readonly inodeHard: number;
}

// A user line of `repquota -u -v -n -p` (quota-tools 4.x repquota.c print()):
//   "%-9s %c%c %7s %7s %7s %6s" then " %7s %5s %5s %6s\n" with -n naming the
// user "#UID" and -p printing grace as seconds since the epoch or 0, so
// every line has exactly ten fields: name, flags, block used/soft/hard/grace,
// inode used/soft/hard/grace. Sizes are KiB (no -s).
const LINE = /^#(\d+)\s+[-+]{2}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;

/**
 * Parses `repquota -u -v -n -p FILESYSTEM`: UID → limits. Header, statistics
 * and blank lines are skipped; a line that looks like a user line but does
 * not parse is an error (a silent skip would read as "no limit" and make us
 * overwrite it).
 */
export function parseRepquota(output: string, where: string): ReadonlyMap<number, QuotaEntry> {
  const out = new Map<number, QuotaEntry>();
  output.split('\n').forEach((line, i) => {
    if (!line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (m === null) throw new RosterError('unavailable', `cannot read repquota output for ${where}, line ${i + 1}: "${line}"`, [{ where: `${where}:${i + 1}`, message: 'not a repquota -n -p user line' }]);
    out.set(Number(m[1]), { soft: Number(m[3]), hard: Number(m[4]), inodeSoft: Number(m[7]), inodeHard: Number(m[8]) });
  });
  return out;
}
