/**
 * Event-loop lag of this process (the in-process server) over a measured section, from
 * `perf_hooks.monitorEventLoopDelay`: how late a timer of `resolutionMs` fires. A stall of the
 * loop (a long translation, a big encode, a synchronous signing) shows up as a high p99/max.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Lag figures in milliseconds. `samples` is how many timer ticks were measured. */
export interface EventLoopLag {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  readonly samples: number;
}

/** A started measurement; `stop` ends it and returns the figures (NaN when nothing was sampled). */
export interface LagMonitor {
  stop(): EventLoopLag;
}

/**
 * Starts sampling the event loop every `resolutionMs` (default 5 ms). Node 20's histogram records
 * the whole interval of each tick (an idle loop reads as `resolutionMs`), so the figures are that
 * minus the resolution, never below 0: the lag beyond the timer's due time.
 */
export function startLagMonitor(resolutionMs = 5): LagMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      const ms = (ns: number): number => Math.max(0, ns / 1e6 - resolutionMs);
      const samples = histogram.count;
      if (samples === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN, samples };
      return {
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        mean: ms(histogram.mean),
        samples,
      };
    },
  };
}
