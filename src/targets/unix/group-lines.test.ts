import { describe, expect, it } from 'vitest';
import { continuationBase, groupLines } from './group-lines.js';

const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `student${String(i).padStart(4, '0')}`);

describe('groupLines (RATS internals 3)', () => {
  it('keeps a short group on one line, gshadow mirroring it', () => {
    const lines = groupLines({ name: 'staff', gid: 20000, members: ['alice', 'bob'] }, 1024, 'x');
    expect(lines).toEqual({ names: ['staff'], group: ['staff:x:20000:alice,bob'], gshadow: ['staff:!::alice,bob'] });
  });

  it('splits a long member list into <group>-<ext><n> lines with the same GID, each within the limit', () => {
    const all = members(500);
    const lines = groupLines({ name: 'students', gid: 30000, members: all }, 1024, 'x');
    expect(lines.names.length).toBeGreaterThan(1);
    expect(lines.names).toEqual(lines.names.map((_, i) => (i === 0 ? 'students' : `students-x${i}`)));
    for (const line of lines.group) {
      expect(line.length).toBeLessThanOrEqual(1024);
      expect(line.split(':')[2]).toBe('30000');
    }
    // Every member exactly once, in order, and gshadow has the same partition.
    expect(lines.group.flatMap((l) => l.split(':')[3]?.split(',') ?? [])).toEqual(all);
    expect(lines.gshadow.map((l) => l.split(':')[3])).toEqual(lines.group.map((l) => l.split(':')[3]));
    expect(lines.gshadow.map((l) => l.split(':')[0])).toEqual(lines.names);
  });

  it('fills lines greedily: one more member would overflow each full line', () => {
    const lines = groupLines({ name: 'g', gid: 1, members: members(300) }, 200, 'part');
    for (let i = 0; i < lines.group.length - 1; i++) {
      const next = lines.group[i + 1]?.split(':')[3]?.split(',')[0] ?? '';
      expect((lines.group[i] ?? '').length + 1 + next.length).toBeGreaterThan(200);
    }
    expect(lines.names[1]).toBe('g-part1');
  });

  it('re-trims from scratch: fewer members give fewer lines', () => {
    expect(groupLines({ name: 's', gid: 1, members: members(400) }, 1024, 'x').names.length).toBe(5);
    expect(groupLines({ name: 's', gid: 1, members: members(100) }, 1024, 'x').names).toEqual(['s', 's-x1']);
    expect(groupLines({ name: 's', gid: 1, members: [] }, 1024, 'x').group).toEqual(['s:x:1:']);
  });

  it('gives a member longer than the limit a line of its own rather than dropping it', () => {
    const long = 'a'.repeat(70);
    const lines = groupLines({ name: 'g', gid: 1, members: ['b', long, 'c'] }, 64, 'x');
    expect(lines.group).toEqual(['g:x:1:b', `g-x1:x:1:${long}`, 'g-x2:x:1:c']);
  });
});

describe('continuationBase', () => {
  it('recognises <group>-<ext><n> only', () => {
    expect(continuationBase('students-x12', 'x')).toBe('students');
    expect(continuationBase('my-x-group-x3', 'x')).toBe('my-x-group');
    expect(continuationBase('students-x0', 'x')).toBeNull();
    expect(continuationBase('students-x', 'x')).toBeNull();
    expect(continuationBase('students-y1', 'x')).toBeNull();
    expect(continuationBase('-x1', 'x')).toBeNull();
  });
});
