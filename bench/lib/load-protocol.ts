/**
 * Messages between the bench process and its load generator children (Node IPC, advanced
 * serialization so resource bytes travel as Uint8Array). Every command carries a `seq`; the child
 * answers each with exactly one reply carrying the same `seq`. Times are epoch milliseconds with
 * sub-millisecond precision (`performance.timeOrigin + performance.now()`), comparable across
 * processes on one machine.
 */
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import type { SecretCondition } from './secret-check.ts';

/** One resource as a client holds it. */
export interface DumpedResource {
  readonly name: string;
  readonly version: string;
  readonly any: Uint8Array;
}

/** What the first client of a child holds, per type URL: SotW version_info and its resources. */
export type ResourceDump = Readonly<Record<string, { readonly version: string; readonly items: readonly DumpedResource[] }>>;

export type LoadCommand =
  /** Open one stream per node; answer once every stream holds (and has ACKed) its initial config. */
  | {
      readonly seq: number;
      readonly cmd: 'connect';
      readonly address: string;
      readonly mode: 'sotw' | 'delta';
      readonly nodes: readonly ClientNode[];
      readonly timeoutMs: number;
      readonly secrets?: readonly string[];
      /** Streams sharing one HTTP/2 connection (grpc-js client); default 1 (one per stream, like Envoy). */
      readonly streamsPerConnection?: number;
      /** Keep per-response records (needed by 'reconnect' to count bytes); default false. */
      readonly record?: boolean;
      /** Per node (same order): how the stream behaves (default healthy). Only healthy streams are awaited (others report 0). */
      readonly behaviours?: readonly StreamBehaviour[];
      /** Apply delay of 'slow' streams (default 2000 ms). */
      readonly slowDelayMs?: number;
    }
  /**
   * Every stream drops and reopens, announcing what it holds (SotW: last versions; delta:
   * initial_resource_versions); answer with what arrived since, once each delta stream got its
   * first response per type (SotW streams may get nothing: answered after `settleMs`).
   */
  | { readonly seq: number; readonly cmd: 'reconnect'; readonly timeoutMs: number; readonly settleMs: number }
  /** Record each stream's current copy of `cluster`'s endpoints and start waiting for a new one. */
  | { readonly seq: number; readonly cmd: 'arm'; readonly id: number; readonly cluster: string; readonly timeoutMs: number }
  /** Answer when armed wait `id` is over (every stream ACKed a changed copy, or the timeout hit). */
  | { readonly seq: number; readonly cmd: 'await'; readonly id: number }
  /**
   * Record each stream's copy of SDS secret `secret` and start waiting until `condition` holds on
   * every stream (answered by 'await' like 'arm'). Needs streams connected with `secrets`.
   */
  | { readonly seq: number; readonly cmd: 'arm-secret'; readonly id: number; readonly secret: string; readonly condition: SecretCondition; readonly timeoutMs: number }
  /**
   * Starts wait `id` (answered by 'await') until each tracked stream's copy of resource `name` of
   * `typeUrl` meets `expect`: 'changed' (bytes differ from the copy held now), 'present', 'absent'.
   * `holdersOnly`: track only streams holding the resource now (the streams a change affects);
   * `healthyOnly`: leave out slow and NACKing streams. Answered with the number of tracked streams.
   */
  | {
      readonly seq: number;
      readonly cmd: 'arm-resource';
      readonly id: number;
      readonly typeUrl: string;
      readonly name: string;
      readonly expect: ResourceExpectation;
      readonly holdersOnly?: boolean;
      readonly healthyOnly?: boolean;
      readonly timeoutMs: number;
    }
  /** Remembers how many responses each stream has had (see 'bytes'; needs streams connected with `record`). */
  | { readonly seq: number; readonly cmd: 'bytes-mark' }
  /** Per stream: response bytes and count since the last 'bytes-mark', by type URL. */
  | { readonly seq: number; readonly cmd: 'bytes' }
  | { readonly seq: number; readonly cmd: 'dump' }
  /**
   * A young-generation GC now (the generator runs with --expose-gc), answered when done: before
   * each change measured one at a time, so the generator's own scavenges (an Envoy, in C++, has
   * none) do not land inside a measured change. Not a full GC: forced before each change, that
   * made every change 2.5 times slower, on Trellis and the floor alike (p50 75 against 28 ms).
   */
  | { readonly seq: number; readonly cmd: 'collect-garbage' }
  | { readonly seq: number; readonly cmd: 'usage' }
  | { readonly seq: number; readonly cmd: 'disconnect' };

export type LoadReply =
  /** `secretsAt` (connect with `secrets`): per stream, when it first held every named secret (0: never). */
  | { readonly seq: number; readonly ok: true; readonly readyAt: readonly number[]; readonly secretsAt?: readonly number[] }
  | { readonly seq: number; readonly ok: true; readonly armed: number }
  | { readonly seq: number; readonly ok: true; readonly ackedAt: readonly number[]; readonly missing: number }
  | { readonly seq: number; readonly ok: true; readonly dump: ResourceDump }
  | { readonly seq: number; readonly ok: true; readonly cpuSeconds: number; readonly rssBytes: number }
  | { readonly seq: number; readonly ok: true; readonly closed: number }
  /** 'bytes': per stream since the mark. */
  | { readonly seq: number; readonly ok: true; readonly streams: readonly StreamBytes[] }
  /** 'reconnect': per stream, when it was answered on every type (0: not, or SotW), bytes received before the drop, and what it received since. */
  | { readonly seq: number; readonly ok: true; readonly reconnectedAt: readonly number[]; readonly bytesBefore: readonly number[]; readonly bytes: readonly number[]; readonly resources: readonly number[]; readonly responses: readonly number[] }
  | { readonly seq: number; readonly ok: false; readonly error: string };

/** How a load generator stream behaves: an Envoy that ACKs at once, one slow to apply each response, one that NACKs updates. */
export type StreamBehaviour = 'healthy' | 'slow' | 'nack';

/** What an 'arm-resource' wait expects of the tracked resource. */
export type ResourceExpectation = 'changed' | 'present' | 'absent';

/** Bytes one stream received since the mark: total, response count, and bytes per type URL. */
export interface StreamBytes {
  readonly bytes: number;
  readonly responses: number;
  readonly byType: Readonly<Record<string, number>>;
}

/** The announced node of a sidecar-like stream (see src/model/node-identity.ts). */
export function sidecarClientNode(index: number, service: string, namespace: string, zone: string): ClientNode {
  return {
    id: `sidecar-${index}~${service}.${namespace}`,
    cluster: service,
    metadata: { 'trellis.kind': 'sidecar', 'trellis.service': service, 'trellis.namespace': namespace },
    locality: { region: 'us-east', zone },
    user_agent_name: 'envoy',
    user_agent_version: 'bench',
  };
}
