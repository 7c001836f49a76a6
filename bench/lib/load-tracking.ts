/**
 * What the load generator needs beyond a plain Envoy-like stream: misbehaving streams (slow to
 * apply, NACKing), waits on one resource across many streams, and per-stream byte counts. Pure
 * functions over ADS clients, so they are testable without a child process.
 */
import type { AdsClient, AdsClientOptions } from '../../src/xds/client/ads-client.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import type { ResourceExpectation, StreamBehaviour, StreamBytes } from './load-protocol.ts';
import { epochMs } from './stats.ts';

/** The default apply delay of a 'slow' stream, as scenario 9 asks for. */
export const SLOW_APPLY_DELAY_MS = 2_000;

/** The NACK message of 'nack' streams (never secret-bearing). */
export const NACK_MESSAGE = 'bench: rejected by an always-NACKing client';

/**
 * Client options for a behaviour: 'slow' waits `slowDelayMs` before applying (and ACKing) each
 * response; 'nack' accepts CDS and LDS (so it subscribes EDS and RDS like Envoy) and NACKs every
 * other response, so every change to what it asked for comes back rejected.
 */
export function behaviourOptions(behaviour: StreamBehaviour | undefined, slowDelayMs = SLOW_APPLY_DELAY_MS): AdsClientOptions {
  if (behaviour === 'slow') return { applyDelayMs: slowDelayMs };
  if (behaviour === 'nack') {
    return { nackPolicy: (typeUrl) => (typeUrl === TypeUrl.Cluster || typeUrl === TypeUrl.Listener ? undefined : NACK_MESSAGE) };
  }
  return {};
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * Which clients hold a resource, by index: scanned once per name and kept until some client's
 * held names change (`changed`, from AdsClientOptions.onHeldNamesChange) or the clients are
 * replaced. A churn of endpoint events waits on 40 names a second; scanning thousands of clients
 * for each was a fifth of the load generator's CPU.
 */
export interface HolderIndex {
  changed(): void;
  holders(clients: readonly AdsClient[], typeUrl: TypeUrl, name: string): readonly number[];
}

export function holderIndex(): HolderIndex {
  let epoch = 0;
  let indexed: readonly AdsClient[] | undefined;
  const cache = new Map<string, { readonly epoch: number; readonly holders: readonly number[] }>();
  return {
    changed: () => void (epoch += 1),
    holders(clients, typeUrl, name) {
      if (clients !== indexed) {
        indexed = clients;
        cache.clear();
      }
      const key = `${typeUrl}\0${name}`;
      const hit = cache.get(key);
      if (hit?.epoch === epoch) return hit.holders;
      const holders: number[] = [];
      clients.forEach((client, i) => {
        if (client.resources(typeUrl).has(name)) holders.push(i);
      });
      cache.set(key, { epoch, holders });
      return holders;
    },
  };
}

/** Options of `waitOnResource`. */
export interface ResourceWait {
  readonly typeUrl: string;
  readonly name: string;
  readonly expect: ResourceExpectation;
  /** Only streams holding the resource now are tracked (the ones a change affects). */
  readonly holdersOnly?: boolean;
  readonly timeoutMs: number;
}

/** One stream a wait tracks: its client, and whether its copy meets the wait's condition now. */
export interface TrackedStream {
  readonly client: AdsClient;
  readonly met: () => boolean;
}

/**
 * Resolves with the time each stream first met its condition (checked at once, then after each
 * `typeUrl` response the stream handled, which it has applied and ACKed by then, so this is its
 * ACK time) and how many never did within `timeoutMs`. One timer and one promise per wait, not
 * per stream: a churn arms hundreds of streams forty times a second, and a promise and a timer
 * for each cost the load generator more than handling the responses.
 */
export function waitUntilMet(streams: readonly TrackedStream[], typeUrl: string, timeoutMs: number): Promise<{ ackedAt: number[]; missing: number }> {
  const ackedAt: number[] = [];
  const watching = new Set<() => void>();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      resolve({ ackedAt, missing: watching.size });
    };
    const timer = setTimeout(() => {
      for (const stop of watching) stop();
      finish();
    }, timeoutMs);
    for (const { client, met } of streams) {
      if (met()) {
        ackedAt.push(epochMs());
        continue;
      }
      const stop = client.onHandled((handledType) => {
        if (handledType !== typeUrl || !met()) return;
        ackedAt.push(epochMs());
        stop();
        watching.delete(stop);
        if (watching.size === 0) finish();
      });
      watching.add(stop);
    }
    if (watching.size === 0) finish();
  });
}

/**
 * Waits on every client (minus those `skip` names by index) until its copy of the resource meets
 * the expectation (see `waitUntilMet`). `tracked` is the number of streams waited on, known at once.
 */
export function waitOnResource(
  clients: readonly AdsClient[],
  wait: ResourceWait,
  skip: (index: number) => boolean = () => false,
  index?: HolderIndex,
): { tracked: number; done: Promise<{ ackedAt: number[]; missing: number }> } {
  const typeUrl = wait.typeUrl as TypeUrl;
  const candidates = wait.holdersOnly === true && index ? index.holders(clients, typeUrl, wait.name) : clients.map((_, i) => i);
  const streams: TrackedStream[] = [];
  for (const i of candidates) {
    const client = clients[i];
    if (client === undefined || skip(i)) continue;
    const held = client.resources(typeUrl);
    const baseline = held.get(wait.name);
    if (wait.holdersOnly === true && baseline === undefined) continue;
    const met = (): boolean => {
      const now = held.get(wait.name);
      if (wait.expect === 'present') return now !== undefined;
      if (wait.expect === 'absent') return now === undefined;
      // The same held object is the same copy; a new one may still carry the same bytes.
      return now !== undefined && (baseline === undefined || (now !== baseline && !sameBytes(now.any, baseline.any)));
    };
    streams.push({ client, met });
  }
  return { tracked: streams.length, done: waitUntilMet(streams, typeUrl, wait.timeoutMs) };
}

/** Per client: bytes, responses and bytes by type URL of the responses after `marks[i]`. */
export function bytesSince(clients: readonly AdsClient[], marks: readonly number[]): StreamBytes[] {
  return clients.map((client, i) => {
    const byType: Record<string, number> = {};
    let bytes = 0;
    let responses = 0;
    for (const record of client.responses.slice(marks[i] ?? 0)) {
      bytes += record.bytes;
      responses += 1;
      byType[record.typeUrl] = (byType[record.typeUrl] ?? 0) + record.bytes;
    }
    return { bytes, responses, byType };
  });
}
