import { describe, expect, it } from 'vitest';
import { fractionalPercent } from '../../../src/xds/resources/envoy-values.ts';

describe('fractionalPercent', () => {
  it.each<[number, number, string]>([
    [0, 0, 'HUNDRED'],
    [10, 10, 'HUNDRED'],
    [100, 100, 'HUNDRED'],
    [0.5, 50, 'TEN_THOUSAND'],
    [12.25, 1225, 'TEN_THOUSAND'],
    [0.125, 1250, 'MILLION'],
    [33.3333, 333_333, 'MILLION'],
  ])('%d%% is %i per %s', (percent, numerator, denominator) => {
    expect(fractionalPercent(percent)).toEqual({ numerator, denominator });
  });

  it('keeps the ratio for every two-decimal percentage', () => {
    for (let hundredths = 0; hundredths <= 10_000; hundredths += 7) {
      const f = fractionalPercent(hundredths / 100);
      const scale = f['denominator'] === 'HUNDRED' ? 100 : f['denominator'] === 'TEN_THOUSAND' ? 10_000 : 1_000_000;
      expect((f['numerator'] as number) / scale).toBeCloseTo(hundredths / 10_000, 9);
    }
  });

  it('clamps out-of-range values', () => {
    expect(fractionalPercent(150)).toEqual({ numerator: 100, denominator: 'HUNDRED' });
    expect(fractionalPercent(-1)).toEqual({ numerator: 0, denominator: 'HUNDRED' });
  });
});
