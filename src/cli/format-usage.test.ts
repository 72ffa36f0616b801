import { describe, expect, it } from 'vitest';
import { byteSize } from '../domain/byte-size.js';
import { formatUsage } from './format-usage.js';

describe('formatUsage', () => {
  it('shows one figure a line in columns, and a total for an account with more than one', () => {
    const at = '2026-05-01T10:00:00.000Z';
    expect(
      formatUsage([
        { user: 'ann', host: 'db', target: 'postgres', subject: 'postgres-database:ann_blog', bytes: 8 * 1024 * 1024, measuredAt: at },
        { user: 'ann', host: 'shell', target: 'homes', subject: 'home:/home/ann', bytes: 2 * 1024 * 1024 * 1024, measuredAt: at },
        { user: 'bo', host: 'shell', target: 'homes', subject: 'home:/home/bo', bytes: 512, measuredAt: at },
      ]),
    ).toBe(
      [
        'ann  db     postgres  postgres-database:ann_blog     8.0 MiB  2026-05-01T10:00:00.000Z',
        'ann  shell  homes     home:/home/ann                 2.0 GiB  2026-05-01T10:00:00.000Z',
        'ann  total                                           2.0 GiB',
        'bo   shell  homes     home:/home/bo                    512 B  2026-05-01T10:00:00.000Z',
      ].join('\n'),
    );
    expect(formatUsage([])).toBe('no usage measured (roster usage --measure --host HOST measures it)');
  });

  it('counts bytes in powers of 1024', () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 4, 3 * 1024 ** 6].map(byteSize)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 TiB', '3072.0 PiB']);
  });
});
