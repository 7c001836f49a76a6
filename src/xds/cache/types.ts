/**
 * What the ADS server sees: immutable snapshots of encoded resources, shared by every stream
 * whose proxy has the same view. The server imports nothing from config, model or translation.
 */
import type { TypeUrl } from '../type-urls.ts';

/** One resource, encoded once per content version and shared by every stream that sends it. */
export interface EncodedResource {
  readonly name: string;
  /** Content hash of `body`. */
  readonly version: string;
  /** The encoded `google.protobuf.Any` wrapping the resource: what goes on the wire. */
  readonly any: Uint8Array;
}

/** All resources of one type in a snapshot. */
export interface ResourceSet {
  /** Hash of the (name, version) pairs: equal sets have equal versions. */
  readonly version: string;
  readonly items: ReadonlyMap<string, EncodedResource>;
}

/** An immutable, internally consistent set of resources for one proxy view. */
export interface Snapshot {
  /** Hash over every type's version. */
  readonly version: string;
  readonly resources: Readonly<Record<TypeUrl, ResourceSet>>;
}

/** The xDS node a stream announced in its first request, as a plain object (proto field names). */
export interface NodeInfo {
  readonly id: string;
  readonly cluster: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly locality: { readonly region?: string; readonly zone?: string; readonly sub_zone?: string };
  readonly user_agent_name: string;
  readonly user_agent_version: string;
}

/** A stream's subscription to the snapshots of its proxy; `close` ends it. */
export interface SnapshotWatch {
  /** The snapshot to serve now; undefined until the first one is ready. */
  current(): Snapshot | undefined;
  close(): void;
}

/**
 * The only thing the ADS server knows about where resources come from. `watch` is called once
 * per stream, when its node is known; `onChange` fires (asynchronously, coalesced) whenever the
 * snapshot for that proxy is replaced.
 */
export interface SnapshotSource {
  watch(node: NodeInfo, onChange: (snapshot: Snapshot) => void): SnapshotWatch;
}
