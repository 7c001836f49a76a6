/**
 * One ADS stream, protocol-independent: takes the node from the first request, watches the
 * snapshot source, feeds requests and snapshots to the protocol engine and pumps its responses
 * through a backpressure-aware outbox. A bad request ends only this stream.
 */
import type { NodeInfo, Snapshot, SnapshotSource, SnapshotWatch } from '../cache/types.ts';
import type { Logger } from '../../util/log.ts';
import type { DeltaRequest, MalformedRequest, RequestNode, SotwRequest } from './requests.ts';
import { GrpcCode, type HeldResource, type Outbox, type ProxyStatus, type StreamEngine, type StreamInfo } from './stream-types.ts';

/** What a session needs from the transport (the gRPC call). */
export interface StreamTransport {
  readonly peer: string;
  /** Writes one encoded response; false means "buffer full, wait for drain". */
  write(bytes: Uint8Array): boolean;
  /** Ends the call with a non-OK status. */
  fail(code: number, message: string): void;
}

/** Options for one session. */
export interface SessionOptions<Req> {
  readonly streamId: number;
  readonly protocol: 'sotw' | 'delta';
  readonly transport: StreamTransport;
  readonly source: SnapshotSource;
  readonly log: Logger;
  readonly createEngine: (outbox: Outbox) => StreamEngine<Req>;
  readonly onOpen?: (info: StreamInfo) => void;
  readonly onClose?: (info: StreamInfo) => void;
  /** Runs the pump after a snapshot change, paced with other streams' (push-pacer.ts); default: at once. */
  readonly schedulePush?: (push: () => void) => void;
}

/** A live stream as the server tracks it. */
export interface Session {
  onMessage(request: SotwRequest | DeltaRequest | MalformedRequest): void;
  onDrain(): void;
  /** The call ended (client closed, cancelled or server shut down); idempotent. */
  onEnd(): void;
  /** Undefined until the stream identified its node. */
  status(): ProxyStatus | undefined;
  node(): RequestNode | undefined;
  held(): HeldResource[];
}

/** Creates the session of one ADS call. */
export function createSession<Req extends SotwRequest | DeltaRequest>(options: SessionOptions<Req>): Session {
  const { transport, log } = options;
  let congested = false;
  let ended = false;
  let node: RequestNode | undefined;
  let info: StreamInfo | undefined;
  let connectedAt = '';
  let watch: SnapshotWatch | undefined;
  // The snapshot last taken; its version is hashed only when status asks (snapshot.ts).
  let lastSnapshot: Snapshot | undefined;

  const outbox: Outbox = {
    ready: () => !congested && !ended,
    send(bytes) {
      if (!transport.write(bytes)) congested = true;
    },
  };
  const engine = options.createEngine(outbox);

  const end = (): void => {
    if (ended) return;
    ended = true;
    watch?.close();
    watch = undefined;
    if (info) options.onClose?.(info);
  };

  const fail = (code: number, message: string): void => {
    if (ended) return;
    log.warn('ending ADS stream', { streamId: options.streamId, node: node?.info.id, message });
    transport.fail(code, message);
    end();
  };

  // An engine bug must end this stream, never the process or other streams.
  const guarded = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      log.error(`ADS stream failed while ${what}`, { streamId: options.streamId, error: String(error) });
      fail(GrpcCode.INTERNAL, `internal error while ${what}`);
    }
  };

  // One queued push per stream at a time: further snapshots before it runs are in the engine already.
  let pushQueued = false;
  const push = (): void => {
    pushQueued = false;
    if (!ended) guarded('pushing a snapshot', () => engine.pump());
  };

  const onSnapshot = (snapshot: Snapshot): void => {
    if (ended) return;
    guarded('taking a snapshot', () => {
      lastSnapshot = snapshot;
      engine.onSnapshot(snapshot);
    });
    if (ended || pushQueued) return;
    if (!options.schedulePush) {
      push();
      return;
    }
    pushQueued = true;
    options.schedulePush(push);
  };

  const identify = (announced: RequestNode): void => {
    node = announced;
    connectedAt = new Date().toISOString();
    info = {
      streamId: options.streamId,
      protocol: options.protocol,
      peer: transport.peer,
      node: announced.info,
    };
    options.onOpen?.(info);
  };

  const startWatch = (nodeInfo: NodeInfo): void => {
    watch = options.source.watch(nodeInfo, onSnapshot);
    const current = watch.current();
    if (current && lastSnapshot === undefined) {
      lastSnapshot = current;
      engine.onSnapshot(current);
    }
  };

  return {
    onMessage(request) {
      if (ended) return;
      if (request.kind === 'malformed') {
        fail(GrpcCode.INVALID_ARGUMENT, request.message);
        return;
      }
      if (request.kind !== options.protocol) {
        fail(GrpcCode.INTERNAL, `a ${request.kind} request on a ${options.protocol} stream`);
        return;
      }
      // Checked just above: the kind names the protocol, and Req is that protocol's request.
      const typed = request as Req;
      guarded('handling a request', () => {
        if (!node) {
          if (!request.node || request.node.info.id === '') {
            fail(GrpcCode.INVALID_ARGUMENT, 'the first request of a stream must carry node with a non-empty id');
            return;
          }
          identify(request.node);
          engine.onRequest(typed);
          startWatch(request.node.info);
        } else {
          engine.onRequest(typed);
        }
        engine.pump();
      });
    },
    onDrain() {
      congested = false;
      if (!ended) guarded('resuming after drain', () => engine.pump());
    },
    onEnd: end,
    status() {
      if (!node) return undefined;
      const { info: n } = node;
      return {
        streamId: options.streamId,
        nodeId: n.id,
        cluster: n.cluster,
        metadata: n.metadata,
        userAgent: n.user_agent_name ? `${n.user_agent_name}/${n.user_agent_version}` : '',
        protocol: options.protocol,
        peer: transport.peer,
        connectedAt,
        snapshotVersion: lastSnapshot?.version,
        types: engine.types(),
      };
    },
    node: () => node,
    held: () => engine.held(),
  };
}
