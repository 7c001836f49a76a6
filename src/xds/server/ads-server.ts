/**
 * The ADS server: SotW and delta streams over one gRPC server, plus CSDS. It sees only a
 * SnapshotSource; it never imports config, model or translation.
 */
import type { SnapshotSource } from '../cache/types.ts';
import { createLogger, type Logger } from '../../util/log.ts';
import { clientStatusResponse, type CsdsStream } from './csds.ts';
import { createDeltaEngine } from './delta-engine.ts';
import type { ServingTls } from './glue-types.ts';
import { createGrpcJsServer } from './grpc-js-glue.ts';
import { createH2GrpcServer } from './h2-glue.ts';
import { rateLimited } from '../../util/rate-limit.ts';
import { warmRequestDecoding, type DeltaRequest, type SotwRequest } from './requests.ts';
import { encodeControlPlane } from './response-wire.ts';
import { createSotwEngine } from './sotw-engine.ts';
import { createPushPacer } from './push-pacer.ts';
import { createSession, type Session } from './stream-session.ts';
import type { Outbox, ProxyStatus, StreamInfo } from './stream-types.ts';

/** Options of `createAdsServer`. */
export interface AdsServerOptions {
  readonly source: SnapshotSource;
  readonly onStreamOpen?: (info: StreamInfo) => void;
  readonly onStreamClose?: (info: StreamInfo) => void;
  readonly log?: Logger;
  /** Sent as `control_plane.identifier` in every response when set. */
  readonly controlPlaneId?: string;
  /** Serve ADS and CSDS over TLS with this (renewing) certificate; plaintext when absent. */
  readonly tls?: ServingTls;
  /** The gRPC transport: h2 (default, gRPC over node:http2, h2-glue.ts) or grpc-js. */
  readonly grpcServer?: GrpcServerKind;
}

export type GrpcServerKind = 'h2' | 'grpc-js';

/** A running (or ready to run) ADS server. */
export interface AdsServer {
  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Ends every stream with UNAVAILABLE and stops the server. */
  close(): Promise<void>;
  /** One entry per stream that has announced its node. */
  status(): ProxyStatus[];
}

const NACK_LOG_WINDOW_MS = 10_000;

/** Creates the ADS + CSDS server over `options.source`. */
export function createAdsServer(options: AdsServerOptions): AdsServer {
  const log = options.log ?? createLogger('ads');
  const sessions = new Map<number, Session>();
  const controlPlane = options.controlPlaneId ? encodeControlPlane(options.controlPlaneId) : undefined;
  let nextStreamId = 0;
  const nackLog = rateLimited(NACK_LOG_WINDOW_MS);
  const pacer = createPushPacer();

  const createServer = options.grpcServer === 'grpc-js' ? createGrpcJsServer : createH2GrpcServer;
  const grpcServer = createServer({
    openAds(protocol, transport) {
      nextStreamId += 1;
      const streamId = nextStreamId;
      const onUnknownType = (typeUrl: string): void =>
        log.debug('ignoring request for an unknown type', { streamId, typeUrl });
      const common = {
        streamId,
        transport,
        source: options.source,
        log,
        schedulePush: pacer.schedule,
        ...(options.onStreamOpen ? { onOpen: options.onStreamOpen } : {}),
        ...(options.onStreamClose ? { onClose: options.onStreamClose } : {}),
      };
      // One line per type and message per window: every proxy NACKing one bad resource is one
      // line; each proxy's NACK stays visible in status and CSDS.
      const onNack = (typeUrl: string, version: string, message: string): void =>
        nackLog(`${typeUrl}\0${message}`, (suppressed) =>
          log.warn('proxy rejected a response (NACK)', {
            streamId,
            node: session.node()?.info.id,
            typeUrl,
            version,
            message,
            ...(suppressed > 0 ? { similarNacksNotLogged: suppressed } : {}),
          }),
        );
      const engineOptions = (outbox: Outbox) => ({
        outbox,
        onUnknownType,
        onNack,
        ...(controlPlane ? { controlPlane } : {}),
      });
      const session =
        protocol === 'sotw'
          ? createSession<SotwRequest>({ ...common, protocol, createEngine: (o) => createSotwEngine(engineOptions(o)) })
          : createSession<DeltaRequest>({ ...common, protocol, createEngine: (o) => createDeltaEngine(engineOptions(o)) });
      sessions.set(streamId, session);
      return {
        onMessage: (request) => session.onMessage(request),
        onDrain: () => session.onDrain(),
        onEnd: () => {
          sessions.delete(streamId);
          session.onEnd();
        },
      };
    },
    csds(query) {
      const streams: CsdsStream[] = [];
      for (const session of sessions.values()) {
        const node = session.node();
        if (node) streams.push({ node, held: session.held() });
      }
      return clientStatusResponse(streams, query);
    },
  }, options.tls ? { tls: options.tls } : {});

  return {
    async listen(host, port) {
      const bound = await grpcServer.listen(host, port);
      // Right after listening, not before: loading the descriptors must not delay the bind.
      setImmediate(warmRequestDecoding);
      return bound;
    },
    async close() {
      for (const session of sessions.values()) session.onEnd();
      sessions.clear();
      await grpcServer.close();
    },
    status() {
      const out: ProxyStatus[] = [];
      for (const session of sessions.values()) {
        const status = session.status();
        if (status) out.push(status);
      }
      return out;
    },
  };
}
