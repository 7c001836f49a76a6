/**
 * The convergence floor: a minimal ADS server (same gRPC glue and options as Trellis) that serves
 * pre-encoded responses and does nothing else. Each stream gets the dumped resources of its type
 * on its first request; `push` writes one pre-encoded EDS response to every stream. Whatever time
 * the same clients need to ACK that push is the floor of this machine, client and transport
 * included, against which Trellis's convergence is quoted.
 */
import type { EncodedResource, ResourceSet } from '../../src/xds/cache/types.ts';
import { createGrpcJsServer } from '../../src/xds/server/grpc-js-glue.ts';
import type { DeltaRequest, MalformedRequest, SotwRequest } from '../../src/xds/server/requests.ts';
import { deltaResponse, prepareSotw, sotwResponse } from '../../src/xds/server/response-wire.ts';
import { FULL_STATE_TYPES, isKnownTypeUrl, TypeUrl } from '../../src/xds/type-urls.ts';
import type { ResourceDump } from './load-protocol.ts';
import { epochMs } from './stats.ts';

/** A running floor server. */
export interface FloorServer {
  readonly address: string;
  /** Streams that have been sent their initial EDS response. */
  streams(): number;
  /**
   * Writes `endpoints` (an EDS state) to every stream that holds EDS: only the items that differ
   * from the previous state (all streams hold the same one), in SotW as in delta. Resolves with the time of
   * the first write and the time the last stream's ACK came back (server side).
   */
  push(endpoints: readonly EncodedResource[], timeoutMs: number): Promise<{ startedAt: number; allAckedAt: number; streams: number }>;
  /**
   * Like `push` for any non-EDS type (e.g. RDS): writes `items` to every stream that was sent that
   * type (delta: only the items that differ from the previous state of that type).
   */
  pushType(typeUrl: TypeUrl, items: readonly EncodedResource[], timeoutMs: number): Promise<{ startedAt: number; allAckedAt: number; streams: number }>;
  close(): Promise<void>;
}

interface FloorStream {
  readonly mode: 'sotw' | 'delta';
  write(bytes: Uint8Array): boolean;
  /** Nonce of the last response per type, and whether its ACK is still due. */
  readonly sent: Map<string, { nonce: string; acked: boolean }>;
  /** The stream has been sent its initial EDS response (so pushes go to it). */
  hasEndpoints: boolean;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.compare(a, b) === 0;
}

function setOf(items: readonly EncodedResource[], version: string): ResourceSet {
  return { version, items: new Map([...items].sort((a, b) => (a.name < b.name ? -1 : 1)).map((i) => [i.name, i])) };
}

/** Starts the floor server on 127.0.0.1 (ephemeral port) serving `initial` (a client's dump). */
export async function startFloorServer(initial: ResourceDump): Promise<FloorServer> {
  const streams = new Set<FloorStream>();
  let nonceCounter = 0;
  let pushCounter = 0;
  /** Called once per stream whose latest response of `typeUrl` is ACKed (the push in progress counts them). */
  let onAck: ((typeUrl: string) => void) | undefined;
  /** Last pushed state per non-EDS type (pushType). */
  const typeState = new Map<string, Map<string, EncodedResource>>();
  let current = new Map((initial[TypeUrl.ClusterLoadAssignment]?.items ?? []).map((e) => [e.name, e] as const));

  const record = (stream: FloorStream, typeUrl: TypeUrl, nonce: string, bytes: Uint8Array): void => {
    stream.sent.set(typeUrl, { nonce, acked: false });
    if (typeUrl === TypeUrl.ClusterLoadAssignment) stream.hasEndpoints = true;
    stream.write(bytes);
  };

  const respond = (stream: FloorStream, typeUrl: TypeUrl, items: readonly EncodedResource[], version: string): void => {
    nonceCounter += 1;
    const nonce = `f${nonceCounter}`;
    const bytes =
      stream.mode === 'sotw'
        ? sotwResponse(prepareSotw(typeUrl, setOf(items, version), true, [], '*'), nonce)
        : deltaResponse(typeUrl, version, items, [], nonce);
    record(stream, typeUrl, nonce, bytes);
  };

  /**
   * One push to `targets`: the bytes are built once per protocol and written to every stream, as
   * Trellis shares them. SotW carries what Trellis's SotW carries: every item for full-state types
   * (LDS, CDS), only the changed ones for the others (EDS, RDS); delta always only the changed.
   */
  const pushTo = (targets: readonly FloorStream[], typeUrl: TypeUrl, all: readonly EncodedResource[], changed: readonly EncodedResource[], version: string): void => {
    nonceCounter += 1;
    const nonce = `f${nonceCounter}`;
    const sotwItems = FULL_STATE_TYPES.has(typeUrl) ? all : changed;
    let sotw: Uint8Array | undefined;
    let delta: Uint8Array | undefined;
    for (const stream of targets) {
      if (stream.mode === 'sotw') {
        sotw ??= sotwResponse(prepareSotw(typeUrl, setOf(sotwItems, version), true, [], '*'), nonce);
        record(stream, typeUrl, nonce, sotw);
      } else {
        delta ??= deltaResponse(typeUrl, version, changed, [], nonce);
        record(stream, typeUrl, nonce, delta);
      }
    }
  };

  const onRequest = (stream: FloorStream, request: SotwRequest | DeltaRequest | MalformedRequest): void => {
    if (request.kind === 'malformed' || !isKnownTypeUrl(request.typeUrl)) return;
    const sent = stream.sent.get(request.typeUrl);
    if (sent === undefined) {
      const dumped = initial[request.typeUrl];
      respond(stream, request.typeUrl, dumped?.items ?? [], dumped?.version ?? 'floor-0');
      return;
    }
    if (request.responseNonce === sent.nonce && !sent.acked) {
      sent.acked = true;
      onAck?.(request.typeUrl);
    }
  };

  const server = createGrpcJsServer({
    openAds(mode, transport) {
      const stream: FloorStream = { mode, write: (bytes) => transport.write(bytes), sent: new Map(), hasEndpoints: false };
      streams.add(stream);
      return { onMessage: (request) => onRequest(stream, request), onDrain: () => undefined, onEnd: () => void streams.delete(stream) };
    },
    csds: () => new Uint8Array(0),
  });
  const port = await server.listen('127.0.0.1', 0);

  /**
   * Pushes to `targets` and resolves when each has ACKed it. ACKs are counted down (one per
   * stream), so the floor's own bookkeeping stays O(1) per ACK at any P.
   */
  const pushAndWait = (
    targets: readonly FloorStream[],
    typeUrl: TypeUrl,
    all: readonly EncodedResource[],
    changed: readonly EncodedResource[],
    timeoutMs: number,
  ): Promise<{ startedAt: number; allAckedAt: number; streams: number }> => {
    pushCounter += 1;
    const version = `floor-${pushCounter}`;
    return new Promise((resolve, reject) => {
      const startedAt = epochMs();
      let pending = targets.length;
      const timer = setTimeout(() => {
        onAck = undefined;
        reject(new Error(`floor push: ${pending} of ${targets.length} streams did not ACK within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        onAck = undefined;
        resolve({ startedAt, allAckedAt: epochMs(), streams: targets.length });
      };
      onAck = (acked) => {
        if (acked !== typeUrl) return;
        pending -= 1;
        if (pending === 0) finish();
      };
      pushTo(targets, typeUrl, all, changed, version);
      if (targets.length === 0) finish();
    });
  };
  const withEndpoints = (): FloorStream[] => [...streams].filter((s) => s.hasEndpoints);

  return {
    address: `127.0.0.1:${port}`,
    streams: () => withEndpoints().length,
    push(endpoints, timeoutMs) {
      // Every stream holds the same EDS state, so the delta is computed once per push.
      const changed = endpoints.filter((e) => !sameBytes(current.get(e.name)?.any, e.any));
      current = new Map(endpoints.map((e) => [e.name, e] as const));
      return pushAndWait(withEndpoints(), TypeUrl.ClusterLoadAssignment, endpoints, changed, timeoutMs);
    },
    pushType(typeUrl, items, timeoutMs) {
      const targets = [...streams].filter((s) => s.sent.has(typeUrl));
      const previous = typeState.get(typeUrl) ?? new Map((initial[typeUrl]?.items ?? []).map((e) => [e.name, e] as const));
      const changed = items.filter((e) => !sameBytes(previous.get(e.name)?.any, e.any));
      typeState.set(typeUrl, new Map(items.map((e) => [e.name, e] as const)));
      return pushAndWait(targets, typeUrl, items, changed, timeoutMs);
    },
    close: () => server.close(),
  };
}

/** The EDS items of a dump, as encoded resources. */
export function endpointsOf(dump: ResourceDump): EncodedResource[] {
  return [...(dump[TypeUrl.ClusterLoadAssignment]?.items ?? [])];
}

