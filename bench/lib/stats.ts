/** Small statistics helpers for benchmark figures. Pure functions over plain number arrays. */

/**
 * The q-quantile (0..1) by the nearest-rank method: the smallest value with at least q of the
 * samples at or below it. Empty input gives NaN, so a missing figure cannot pass as zero.
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile: q must be within 0..1, got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/** The median as the 0.5 nearest-rank percentile (a sample value, never an interpolation). */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** p50, p99 and max of a sample. */
export function summary(values: readonly number[]): { p50: number; p99: number; max: number } {
  return { p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: percentile(values, 1) };
}

/** CPU time in seconds between two `process.cpuUsage()` readings (user + system). */
export function cpuSeconds(before: NodeJS.CpuUsage, after: NodeJS.CpuUsage): number {
  return (after.user - before.user + after.system - before.system) / 1e6;
}

/** A wall-clock timestamp in ms comparable across processes on one machine (sub-ms precision). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
