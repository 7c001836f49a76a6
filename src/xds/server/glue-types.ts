/**
 * What the ADS server asks of a gRPC transport (h2-glue.ts, the default, or grpc-js-glue.ts):
 * four methods (ADS SotW and delta, CSDS unary and streaming) routed to these handlers.
 */
import type { ClientStatusQuery } from './csds.ts';
import type { DeltaRequest, MalformedRequest, SotwRequest } from './requests.ts';
import type { StreamTransport } from './stream-session.ts';

/** Callbacks of one ADS call, returned by `GlueHandlers.openAds`. */
export interface CallHandlers {
  onMessage(request: SotwRequest | DeltaRequest | MalformedRequest): void;
  onDrain(): void;
  onEnd(): void;
}

/** What the gRPC layer calls into. */
export interface GlueHandlers {
  openAds(protocol: 'sotw' | 'delta', transport: StreamTransport): CallHandlers;
  /** An encoded ClientStatusResponse for the query. */
  csds(query: ClientStatusQuery): Uint8Array;
}

/**
 * A serving certificate that may change (renewal, root rotation). With it the server speaks TLS
 * only (no client certificate asked: ADS clients prove who they are with a join token); a new
 * pair applies to new connections without a restart.
 */
export interface ServingTls {
  current(): { readonly certificateChainPem: string; readonly privateKeyPem: string };
  /** Subscribes to changes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Options of the gRPC servers. */
export interface GrpcServerOptions {
  /** Serve TLS with this certificate instead of plaintext. */
  readonly tls?: ServingTls;
  /** Pings every connection this often and drops one that does not answer within `timeoutMs` (default 30 s / 10 s). */
  readonly keepalive?: { readonly intervalMs: number; readonly timeoutMs: number };
}

/** Keepalive when not configured: a connection idle behind a dead peer is found within 40 s. */
export const DEFAULT_KEEPALIVE = { intervalMs: 30_000, timeoutMs: 10_000 } as const;

/** A running gRPC server. */
export interface GrpcServerHandle {
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}
