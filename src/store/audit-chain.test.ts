import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../domain/canonical-json.js';
import { auditHash, GENESIS_HASH, normaliseSummary, type HashedAuditFields } from './audit-chain.js';

const base: HashedAuditFields = {
  seq: 1,
  at: '2026-01-02T03:04:05.000Z',
  actor: 'cli:root',
  action: 'account.create',
  target: 'account:alice',
  before: null,
  after: { uid: 10_000, groups: ['users'] },
  result: 'ok',
  prevHash: GENESIS_HASH,
};

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('keeps a "__proto__" member as data', () => {
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it('drops undefined members like JSON does, and maps undefined to null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('does not depend on key insertion order, and survives a JSON round trip', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(text);
        expect(canonicalJson(normaliseSummary(value))).toBe(text);
        const reversed: unknown = JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
        );
        expect(canonicalJson(reversed)).toBe(text);
      }),
    );
  });
});

describe('auditHash', () => {
  it('is SHA-256 hex of the canonical record', () => {
    expect(auditHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(auditHash({ ...base, after: { groups: ['users'], uid: 10_000 } })).toBe(auditHash(base));
  });

  it('equals SHA-256 over canonicalJson of every field but the hash, whatever the summaries', () => {
    const text = fc.string({ unit: 'binary' });
    fc.assert(
      fc.property(fc.record({ seq: fc.nat(), at: text, actor: text, action: text, target: text, before: fc.jsonValue(), after: fc.jsonValue(), result: fc.constantFrom('ok', 'failed', 'refused'), prevHash: text }), (record) => {
        const fields = record as HashedAuditFields;
        expect(auditHash(fields)).toBe(createHash('sha256').update(canonicalJson(fields)).digest('hex'));
      }),
    );
  });

  it('changes when any covered field changes', () => {
    const h = auditHash(base);
    const variants: HashedAuditFields[] = [
      { ...base, seq: 2 },
      { ...base, at: '2026-01-02T03:04:05.001Z' },
      { ...base, actor: 'cli:mallory' },
      { ...base, action: 'account.purge' },
      { ...base, target: 'account:bob' },
      { ...base, before: {} },
      { ...base, after: { uid: 10_001, groups: ['users'] } },
      { ...base, result: 'failed' },
      { ...base, prevHash: 'f'.repeat(64) },
    ];
    for (const v of variants) expect(auditHash(v)).not.toBe(h);
  });
});
