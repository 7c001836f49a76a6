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
  | { readonly seq: number; readonly cmd: 'connect'; readonly address: string; readonly mode: 'sotw' | 'delta'; readonly nodes: readonly ClientNode[]; readonly timeoutMs: number; readonly secrets?: readonly string[] }
  /** Record each stream's current copy of `cluster`'s endpoints and start waiting for a new one. */
  | { readonly seq: number; readonly cmd: 'arm'; readonly id: number; readonly cluster: string; readonly timeoutMs: number }
  /** Answer when armed wait `id` is over (every stream ACKed a changed copy, or the timeout hit). */
  | { readonly seq: number; readonly cmd: 'await'; readonly id: number }
  /**
   * Record each stream's copy of SDS secret `secret` and start waiting until `condition` holds on
   * every stream (answered by 'await' like 'arm'). Needs streams connected with `secrets`.
   */
  | { readonly seq: number; readonly cmd: 'arm-secret'; readonly id: number; readonly secret: string; readonly condition: SecretCondition; readonly timeoutMs: number }
  | { readonly seq: number; readonly cmd: 'dump' }
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
  | { readonly seq: number; readonly ok: false; readonly error: string };

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
