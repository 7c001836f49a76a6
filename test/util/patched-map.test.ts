import { describe, expect, it } from 'vitest';
import { patchMap } from '../../src/util/patched-map.ts';

describe('patchMap', () => {
  const base = new Map([['a', 1], ['b', 2], ['c', 3]]);

  it('replaces values without touching base, keeping keys and order', () => {
    const patched = patchMap(base, [['b', 20]]);
    expect(patched).toBeDefined();
    expect(patched?.get('b')).toBe(20);
    expect(patched?.get('a')).toBe(1);
    expect(patched?.has('c')).toBe(true);
    expect(patched?.has('z')).toBe(false);
    expect(patched?.size).toBe(3);
    expect([...(patched ?? [])]).toEqual([['a', 1], ['b', 20], ['c', 3]]);
    expect([...(patched?.values() ?? [])]).toEqual([1, 20, 3]);
    expect(base.get('b')).toBe(2);
    const seen: string[] = [];
    patched?.forEach((value, key, map) => seen.push(`${key}=${value}:${map === patched}`));
    expect(seen).toEqual(['a=1:true', 'b=20:true', 'c=3:true']);
  });

  it('refuses new keys (the caller rebuilds)', () => {
    expect(patchMap(base, [['d', 4]])).toBeUndefined();
  });

  it('chains patches and flattens, always equal to applying them to a copy', () => {
    const big = new Map<string, number>(Array.from({ length: 500 }, (_, i) => [`k${i}`, i] as const));
    const truth = new Map(big);
    let current: ReadonlyMap<string, number> = big;
    for (let round = 0; round < 300; round += 1) {
      const key = `k${(round * 7) % 500}`;
      truth.set(key, 1000 + round);
      const next = patchMap(current, [[key, 1000 + round]]);
      if (!next) throw new Error('patch refused');
      current = next;
      expect(current.get(key)).toBe(1000 + round);
    }
    expect([...current.entries()]).toEqual([...truth.entries()]);
    expect(big.get('k0')).toBe(0);
  });
});
