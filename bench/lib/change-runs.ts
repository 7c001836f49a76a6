/**
 * Measuring one change at a time until every stream holding it ACKed it: the loop the endpoint
 * convergence figures share (Trellis through its API, and the floor server pushing bytes).
 */
import type { LoadFleet } from './load-fleet.ts';
import { epochMs } from './stats.ts';

export interface ChangeRun {
  /** Per change: time until the last stream ACKed (ms). */
  readonly allAcked: number[];
  /** The slowest of the unmeasured warm-up changes (ms; 0 without any): their cost, shown apart. */
  readonly warmUpMax: number;
  /** Per stream per change: time until that stream ACKed (ms). */
  readonly perStream: number[];
  /** Stream-changes never ACKed within the timeout. */
  readonly missing: number;
}

/**
 * Unmeasured changes before the measured ones, on Trellis and on the floor alike: with
 * --trace-opt, V8 was still optimizing the change path (server and load generators: the API,
 * the push, the ACK) through about the 25th change after the streams connected, and until then
 * changes took up to three times their later p50. The figures describe a running control plane;
 * the cold path is the cold-start scenario's, and `warmUpMax` reports the warm-up's slowest.
 */
export const WARM_UP_CHANGES = 30;

/**
 * The endpoint weight change `i` registers: the API takes 1-128, and consecutive changes, or
 * changes 50 apart (a service revisited in a round of 50), always differ. `offset` starts a
 * later phase elsewhere in the cycle.
 */
export function weightForChange(i: number, offset = 0): number {
  return 1 + ((9 + offset + i) % 128);
}

/**
 * `warmUp + count` times: arms every stream on `cluster`'s endpoints, applies `change(i)`, and
 * collects the time each stream ACKed a new copy; the first `warmUp` changes are not recorded
 * (WARM_UP_CHANGES). Changes never overlap (a short pause between them lets trailing work and
 * socket flushes settle), and the load generators empty their young generation before each one:
 * their GC pauses, which no Envoy has, set the P = 1k p99 (changes of 100 that took twice the p50
 * had a generator's GC inside). The server's own GC stays inside the measurement.
 */
export async function measureEndpointChanges(
  fleet: LoadFleet,
  cluster: string,
  count: number,
  timeoutMs: number,
  change: (i: number) => Promise<void>,
  warmUp = 0,
): Promise<ChangeRun> {
  const allAcked: number[] = [];
  const perStream: number[] = [];
  let missing = 0;
  let warmUpMax = 0;
  for (let i = 0; i < warmUp + count; i += 1) {
    await fleet.collectGarbage();
    await fleet.arm(i, cluster, timeoutMs);
    const startedAt = epochMs();
    await change(i);
    const result = await fleet.collect(i);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (i < warmUp) {
      for (const at of result.ackedAt) warmUpMax = Math.max(warmUpMax, at - startedAt);
      continue;
    }
    missing += result.missing;
    let last = 0;
    for (const at of result.ackedAt) {
      const latency = at - startedAt;
      perStream.push(latency);
      if (latency > last) last = latency;
    }
    allAcked.push(last);
  }
  return { allAcked, warmUpMax, perStream, missing };
}
