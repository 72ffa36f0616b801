import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

/** The definition the walk must reproduce: JSON.stringify of a JSON round trip with every object's keys inserted in sorted order. */
function byRoundTrip(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const out = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(v).sort()) out[key] = sortKeys((v as Record<string, unknown>)[key]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null)) as unknown));
}

describe('canonicalJson', () => {
  const samples: Array<[string, unknown]> = [
    ['keys in any order', { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } }],
    ['undefined and functions', { a: undefined, b: [undefined, () => 1], c: () => 2, d: null }],
    ['non-finite numbers', { a: Number.NaN, b: [Number.POSITIVE_INFINITY], c: -0 }],
    ['dates through toJSON', { at: new Date('2026-03-01T10:00:00Z'), list: [new Date(0)] }],
    ['array-index keys', { '10': 'ten', '9': 'nine', b: 1, '01': 'zero-one', '4294967295': 'big', a: 2 }],
    ['a __proto__ member', JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown],
    ['text that needs escaping', { 'quo"te': 'line\nbreak \u2028 é' }],
    ['scalars', ['s', 1.5, true, false, null]],
    ['top-level undefined', undefined],
    ['boxed values', { n: Object(1) as unknown, s: Object('s') as unknown, b: Object(false) as unknown }],
  ];
  for (const [what, value] of samples) {
    it(`matches the round-trip definition: ${what}`, () => {
      expect(canonicalJson(value)).toBe(byRoundTrip(value));
    });
  }

  it('gives one text for values built in different key orders', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 3 } })).toBe(canonicalJson({ y: { a: 3, b: 2 }, x: 1 }));
    expect(canonicalJson({ x: 1, y: { b: 2, a: 3 } })).toBe('{"x":1,"y":{"a":3,"b":2}}');
  });

  it('refuses a bigint as JSON.stringify does', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});
