import { describe, expect, it } from 'vitest';
import { etcBytes, EtcTable } from './etc-table.js';

/** The bytes `stream` gives, each piece copied as it comes: the next one may reuse its buffer. */
function written(t: EtcTable): Buffer {
  const pieces: Buffer[] = [];
  for (const piece of t.stream()) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

describe('EtcTable', () => {
  const raw = Buffer.concat([Buffer.from('root:x:0:0::/root:/bin/bash\n# comment\n\nb\xf6b:x:5:5:B\xf6b\r:/h:/bin/sh\n', 'latin1'), Buffer.from('alice:x:10:10::/h:/bin/sh\n+@nis::::::\n')]);

  it('emits every line it did not edit byte for byte', () => {
    const t = new EtcTable('passwd', raw);
    t.replace(['alice'], ['alice:x:10:10:A:/h:/bin/sh']);
    expect(written(t).toString('latin1')).toBe(raw.toString('latin1').replace('alice:x:10:10::', 'alice:x:10:10:A:'));
  });

  it('adds new entries in front of the NIS lines, as shadow-utils does', () => {
    const t = new EtcTable('passwd', raw);
    t.replace(['carol'], ['carol:x:11:11::/h:/bin/sh']);
    expect(written(t).toString('latin1').split('\n').slice(-3)).toEqual(['carol:x:11:11::/h:/bin/sh', '+@nis::::::', '']);
  });

  it('does not count writing the same bytes as a change', () => {
    const t = new EtcTable('passwd', raw);
    t.replace(['alice'], ['alice:x:10:10::/h:/bin/sh']);
    expect(t.changed).toBe(false);
    t.remove(['nobody-here']);
    expect(t.changed).toBe(false);
  });

  it('replaces a family of lines at the place of the first one', () => {
    const t = new EtcTable('group', ['a:x:1:', 'g:x:5:m1', 'b:x:2:', 'g-x1:x:5:m2', 'c:x:3:']);
    t.replace(['g', 'g-x1', 'g-x2'], ['g:x:5:m1,m2']);
    expect(written(t).toString('latin1')).toEqual('a:x:1:\ng:x:5:m1,m2\nb:x:2:\nc:x:3:\n');
  });

  it('gives the file with its edits, whether few or many', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `u${i}:x:${i}:${i}::/h:/bin/sh`);
    const edited = (n: number): { expected: string; got: string } => {
      const t = new EtcTable('passwd', [...lines, '+@nis::::::']);
      const want = [...lines];
      for (let i = 0; i < n; i++) {
        const k = (i * 7) % 300;
        if (i % 3 === 0) {
          t.remove([`u${k}`]);
          want[k] = '';
        } else {
          t.replace([`u${k}`], [`u${k}:x:${k}:${k}:E:/h:/bin/sh`]);
          want[k] = `u${k}:x:${k}:${k}:E:/h:/bin/sh\n`;
        }
      }
      t.replace(['new'], ['new:x:900:900::/h:/bin/sh']);
      const kept = want.map((l, i) => (l === lines[i] ? `${l}\n` : l)).join('');
      return { expected: `${kept}new:x:900:900::/h:/bin/sh\n+@nis::::::\n`, got: written(t).toString('latin1') };
    };
    for (const n of [1, 10, 200]) {
      const { expected, got } = edited(n);
      expect(got).toBe(expected);
    }
  });

  it('streams the file with its edits, lines added from their sources included, through a buffer it reuses', () => {
    // Enough lines, edits and kept bytes that the stream's buffer fills and is given out more than once.
    const lines = Array.from({ length: 20_000 }, (_, i) => `u${i}:x:${i}:${i}:${'G'.repeat(i % 40)}:/home/u${i}:/bin/sh`);
    const t = new EtcTable('passwd', [...lines, '+@nis::::::']);
    for (let k = 0; k < 20_000; k += 97) {
      if (k % 2 === 0) t.remove([`u${k}`]);
      else t.replace([`u${k}`], [`u${k}:x:${k}:${k}:E:/h:/bin/sh`]);
    }
    const line = (a: { readonly n: number }): string => `n${a.n}:x:${a.n}:${a.n}:${'\xe9'.repeat(a.n % 3)}:/h:/bin/sh`;
    for (let n = 0; n < 30_000; n++) {
      if (n % 1_000 === 0) t.put(`p${n}`, `p${n}:x:1:1::/h:/bin/sh`);
      else t.putFrom(`n${n}`, { n }, line);
    }
    // An existing entry is rendered at once and replaced in place.
    t.putFrom('u1', { n: 1 }, line);
    const streamed = written(t);
    expect(streamed.length).toBeGreaterThan(1_000_000);
    // The same edits made to the lines as text.
    const kept = lines.map((l, k) => (k === 1 ? line({ n: 1 }) : k % 97 !== 0 ? l : k % 2 === 0 ? null : `u${k}:x:${k}:${k}:E:/h:/bin/sh`)).filter((l) => l !== null);
    const added = Array.from({ length: 30_000 }, (_, n) => (n % 1_000 === 0 ? `p${n}:x:1:1::/h:/bin/sh` : line({ n })));
    expect(streamed.toString('latin1')).toBe([...kept, ...added, '+@nis::::::', ''].join('\n'));
  });

  it('finds lines by name and by id', () => {
    const t = new EtcTable('passwd', raw);
    expect(t.get('alice')?.line).toBe(5);
    expect(t.withId(5).map((e) => e.line)).toEqual([4]);
    expect(t.get('+@nis')).toBeUndefined();
  });

  it('keeps an empty file empty and ends a written file with a newline', () => {
    expect(etcBytes(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    expect(etcBytes(Buffer.from('a\nb')).toString()).toBe('a\nb\n');
    expect(etcBytes(['a', 'b']).toString()).toBe('a\nb\n');
  });

  it('finds a name after a blank first line, and ids only in field 3', () => {
    const t = new EtcTable('group', Buffer.from('\nteam0:x:20000:\nteam1:x:20001:team0\nx:x:20000:\n', 'latin1'));
    expect(t.get('team0')?.line).toBe(2);
    expect(t.text('team1')).toBe('team1:x:20001:team0');
    expect(t.withId(20000).map((e) => e.name)).toEqual(['team0', 'x']);
    expect(t.withId(2000)).toEqual([]);
    expect(t.has('eam0')).toBe(false);
  });

  it('lists the lines holding a token, from the first byte on', () => {
    const t = new EtcTable('group', ['ann:x:1:', 'g:x:5:ann,bob', 'h:x:6:bob']);
    expect(t.occurrences('ann').map((o) => [o.line, o.at])).toEqual([['ann:x:1:', 0], ['g:x:5:ann,bob', 6]]);
    expect(t.occurrences('bob').map((o) => o.line)).toEqual(['g:x:5:ann,bob', 'h:x:6:bob']);
  });

  it('answers the same after an index is built as while searching', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `u${i}:x:${1000 + i}:${1000 + i}::/h:/bin/sh`);
    const t = new EtcTable('passwd', lines);
    const searched = lines.map((_, i) => t.text(`u${i}`));
    expect(searched).toEqual(lines);
    expect(t.get('u99')?.line).toBe(100);
    expect(t.withId(1050).map((e) => e.name)).toEqual(['u50']);
    expect(t.has('nobody')).toBe(false);
  });

  it("finds a group's continuation lines by prefix as a search for each would", () => {
    const lines = ['g:x:5:m0', 'g-x1:x:5:m1', 'g-x2', 'g-x3:x:5:m3', '+g-x4:x:5:', 'h:x:6:', 'g-x5:x:5:m5'];
    const t = new EtcTable('group', lines);
    t.prefetch('g-x');
    // Another buffer of the same bytes, so nothing found by the prefetch is shared with it.
    const searched = new EtcTable('group', lines);
    for (const n of ['g-x1', 'g-x2', 'g-x3', 'g-x4', 'g-x5', 'g-x6']) {
      expect(t.has(n)).toBe(searched.has(n));
      expect(t.text(n)).toBe(searched.text(n));
    }
    expect(t.text('g-x5')).toBe('g-x5:x:5:m5');
    expect(t.has('g-x2')).toBe(false);
  });
});
