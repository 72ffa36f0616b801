import { describe, expect, it } from 'vitest';
import { cacheFlushCommands, NSCD, SSS_CACHE } from './cache-flush.js';

describe('cacheFlushCommands', () => {
  const all = (): boolean => true;
  it('flushes nscd and sssd, as shadow-utils does, when the root is /', () => {
    expect(cacheFlushCommands('/', true, all)).toEqual([[NSCD, '-i', 'passwd'], [NSCD, '-i', 'group'], [SSS_CACHE, '-E']]);
    expect(cacheFlushCommands('/etc/..', true, (p) => p === SSS_CACHE)).toEqual([[SSS_CACHE, '-E']]);
  });
  it('never under a prefix, nor when disabled', () => {
    expect(cacheFlushCommands('/tmp/root', true, all)).toEqual([]);
    expect(cacheFlushCommands('/', false, all)).toEqual([]);
  });
});
