import { describe, expect, it } from 'vitest';
import { rateLimited } from '../../src/util/rate-limit.ts';

describe('rateLimited', () => {
  it('emits once per key per window and reports how many were held back', () => {
    let clock = 0;
    const limit = rateLimited(10_000, () => clock);
    const emitted: Array<[string, number]> = [];
    const hit = (key: string): void => limit(key, (suppressed) => emitted.push([key, suppressed]));
    hit('a');
    hit('a');
    hit('a');
    hit('b');
    clock = 9_999;
    hit('a');
    expect(emitted).toEqual([['a', 0], ['b', 0]]);
    clock = 10_000;
    hit('a');
    hit('b');
    expect(emitted).toEqual([['a', 0], ['b', 0], ['a', 3], ['b', 0]]);
  });

  it('keeps a bounded number of keys', () => {
    const limit = rateLimited(60_000, () => 0);
    let emitted = 0;
    for (let i = 0; i < 1_500; i += 1) limit(`k${i}`, () => void (emitted += 1));
    // The first keys were forgotten, so they emit again; the latest are still limited.
    limit('k0', () => void (emitted += 1));
    limit('k1499', () => void (emitted += 1));
    expect(emitted).toBe(1_501);
  });
});
