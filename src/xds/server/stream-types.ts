/** Types shared by the SotW and delta stream engines, the session and the status views. */
import type { NodeInfo, Snapshot } from '../cache/types.ts';
import type { TypeUrl } from '../type-urls.ts';

/** Short type names used in status output. */
export type TypeShortName = 'CDS' | 'EDS' | 'LDS' | 'RDS' | 'SRDS' | 'SDS';

/** The last NACK a stream sent for one type. */
export interface NackInfo {
  /** The version the client rejected. */
  readonly version: string;
  readonly code: number;
  readonly message: string;
  /** ISO-8601 time the NACK arrived. */
  readonly at: string;
}

/** Per-type protocol state of one stream, for status output. */
export interface TypeStatus {
  readonly subscribed: number | 'wildcard';
  readonly versionSent?: string;
  readonly nonceSent?: string;
  readonly versionAcked?: string;
  readonly lastNack?: NackInfo;
  /** True while a response is sent and not yet ACKed or NACKed. */
  readonly awaitingAck: boolean;
}

/** One connected ADS stream, as reported by `status()`. */
export interface ProxyStatus {
  readonly streamId: number;
  readonly nodeId: string;
  readonly cluster: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `name/version` of the client's user agent, when it announced one. */
  readonly userAgent: string;
  readonly protocol: 'sotw' | 'delta';
  readonly peer: string;
  /** ISO-8601 time the stream announced its node. */
  readonly connectedAt: string;
  /** Version of the snapshot being served; undefined until the first one is ready. */
  readonly snapshotVersion: string | undefined;
  readonly types: Readonly<Partial<Record<TypeShortName, TypeStatus>>>;
}

/** Passed to onStreamOpen / onStreamClose. */
export interface StreamInfo {
  readonly streamId: number;
  readonly protocol: 'sotw' | 'delta';
  readonly peer: string;
  /** The node the stream announced in its first request. */
  readonly node: NodeInfo;
}

/** How a resource stands with a client, as CSDS reports it. */
export type ClientResourceStatus = 'REQUESTED' | 'DOES_NOT_EXIST' | 'ACKED' | 'NACKED';

/** One resource a stream holds or asked for, for CSDS. */
export interface HeldResource {
  readonly typeUrl: TypeUrl;
  readonly name: string;
  readonly versionInfo: string;
  /** Encoded Any of the copy the client holds (or was last sent), when known. */
  readonly any: Uint8Array | undefined;
  readonly status: ClientResourceStatus;
  readonly nack?: NackInfo;
}

/** Where an engine writes responses; respects transport backpressure. */
export interface Outbox {
  /** False while the transport asked us to wait for drain: send nothing then. */
  ready(): boolean;
  send(bytes: Uint8Array): void;
}

/** The protocol-specific half of a stream: subscriptions, ACK bookkeeping, what to send. */
export interface StreamEngine<Req> {
  /** Applies one request (already known to come from an identified node). */
  onRequest(request: Req): void;
  /** A new snapshot replaced the previous one. */
  onSnapshot(snapshot: Snapshot): void;
  /** Sends every response that is due and allowed (single in-flight per type, PUSH_ORDER). */
  pump(): void;
  types(): Partial<Record<TypeShortName, TypeStatus>>;
  held(): HeldResource[];
}

/** gRPC status codes (defined with the wire protocol, shared with the client). */
export { GrpcCode } from '../grpc-framing.ts';
