import { describe, expect, it } from 'vitest';
import { mountOf, parseMounts } from './mount-table.js';

const TABLE = [
  '/dev/vda1 / ext4 rw,relatime 0 0',
  '/dev/vdb1 /home ext4 rw,relatime,usrquota,grpquota 0 0',
  '/dev/vdc1 /home/big\\040disk xfs rw,uquota 0 0',
  'tmpfs /home tmpfs rw 0 0',
  '',
].join('\n');

describe('mount table', () => {
  it('reads fstab(5) fields with \\ooo escapes', () => {
    const mounts = parseMounts(TABLE);
    expect(mounts).toHaveLength(4);
    expect(mounts[1]).toEqual({ source: '/dev/vdb1', mountPoint: '/home', type: 'ext4', options: ['rw', 'relatime', 'usrquota', 'grpquota'] });
    expect(mounts[2]?.mountPoint).toBe('/home/big disk');
  });

  it('finds the longest mount point holding a path, the later of two on one point (it hides the other)', () => {
    const mounts = parseMounts(TABLE);
    expect(mountOf('/home/big disk/alice', mounts)?.type).toBe('xfs');
    expect(mountOf('/home/alice', mounts)?.type).toBe('tmpfs');
    expect(mountOf('/homework', mounts)?.mountPoint).toBe('/');
  });
});
