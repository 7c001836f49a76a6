import { describe, expect, it } from 'vitest';
import { sameTree } from '../../src/util/same-tree.ts';

describe('sameTree', () => {
  it('compares plain trees by content, key order and undefined keys aside', () => {
    const a = { name: 'l', filter_chains: [{ filters: [{ name: 'x', typed_config: { port: 1, on: true } }] }], bytes: Buffer.from('ab') };
    const b = { bytes: Buffer.from('ab'), filter_chains: [{ filters: [{ typed_config: { on: true, port: 1 }, name: 'x' }] }], name: 'l', extra: undefined };
    expect(sameTree(a, b)).toBe(true);
    expect(sameTree(b, a)).toBe(true);
  });

  it('tells apart any difference: value, type, length, missing key, bytes', () => {
    const base = { a: [1, 2, { b: 'c' }], d: null, e: new Uint8Array([1, 2]) };
    expect(sameTree(base, { ...base, a: [1, 2, { b: 'C' }] })).toBe(false);
    expect(sameTree(base, { ...base, a: [1, 2] })).toBe(false);
    expect(sameTree(base, { ...base, d: 0 })).toBe(false);
    expect(sameTree(base, { a: base.a, e: base.e })).toBe(false);
    expect(sameTree(base, { ...base, e: new Uint8Array([1, 3]) })).toBe(false);
    expect(sameTree({ a: [] }, { a: {} })).toBe(false);
    expect(sameTree({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameTree({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});
