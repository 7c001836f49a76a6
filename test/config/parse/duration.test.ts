import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../../src/config/parse/index.ts';

describe('durations', () => {
  it.each([
    ['250ms', 250], ['2s', 2000], ['1.5s', 1500], ['1m', 60_000], ['1h', 3_600_000], ['1m30s', 90_000],
    ['0s', 0], ['1.001s', 1001], ['0.1s', 100], [1500, 1500], ['24h', 86_400_000],
  ] as const)('parses %s to %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, ms });
  });
  it.each(['', '2', 's', '-1s', '1x', '1.5', '2 s', '1e3ms', '0.5ms', '25h', 'Infinity'])('refuses %j', (input) => {
    expect(parseDuration(input).ok).toBe(false);
  });
  it.each([[1500, '1.5s'], [250, '250ms'], [120_000, '2m'], [7_200_000, '2h'], [90_000, '90s'], [0, '0s'], [1001, '1.001s']] as const)(
    'formats %d ms as %s', (ms, text) => {
      expect(formatDuration(ms)).toBe(text);
    });
  it('round-trips every whole millisecond count', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
      expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, ms });
    }), { numRuns: 2000 });
  });
});
