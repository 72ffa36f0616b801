import { describe, expect, it } from 'vitest';
import { unixConfigSchema } from './unix-config.js';

describe('unixConfigSchema', () => {
  it('has the documented defaults', () => {
    expect(unixConfigSchema.parse({})).toEqual({ groupLineLimit: 1024, splitExtension: 'x', flushCaches: true, lockTimeoutSeconds: 15 });
  });
  it('is strict and checks ranges', () => {
    expect(unixConfigSchema.safeParse({ groupLineLimt: 2000 }).success).toBe(false);
    expect(unixConfigSchema.safeParse({ groupLineLimit: 63 }).success).toBe(false);
    expect(unixConfigSchema.safeParse({ splitExtension: 'a:b' }).success).toBe(false);
    expect(unixConfigSchema.safeParse({ splitExtension: 'part' }).success).toBe(true);
  });
});
