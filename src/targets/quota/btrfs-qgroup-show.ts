import { RosterError } from '../../domain/errors.js';

/** The qgroup of a subvolume and its referenced-bytes limit (null: none). */
export interface QgroupLimit {
  readonly qgroup: string;
  readonly maxReferenced: number | null;
}

/**
 * Parses `btrfs qgroup show -re --raw -f PATH` (btrfs-progs 6.x): a header,
 * a dashed rule, then `0/ID  rfer  excl  max_rfer  max_excl  path` with
 * byte counts or `none`. `-f` lists only the qgroup of the subvolume that
 * holds PATH, so the level-0 line is the one.
 */
export function parseQgroupShow(output: string, where: string): QgroupLimit {
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!/^0\/\d+$/.test(fields[0] ?? '')) continue;
    const max = fields[3];
    if (max === 'none') return { qgroup: fields[0] as string, maxReferenced: null };
    if (max !== undefined && /^\d+$/.test(max)) return { qgroup: fields[0] as string, maxReferenced: Number(max) };
    throw new RosterError('unavailable', `cannot read btrfs qgroup show output for ${where}: "${line}"`);
  }
  throw new RosterError('unavailable', `btrfs qgroup show printed no level-0 qgroup for ${where}`);
}
