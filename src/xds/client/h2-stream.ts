/**
 * A raw ADS stream spoken directly over node:http2: gRPC's wire protocol (POST, `application/grpc`,
 * 5-byte length-prefixed messages, status in trailers) without grpc-js's per-call machinery
 * (channel, load balancer, filters, interceptors). The load generator holds thousands of streams
 * on one core; with grpc-js the client, not the server, set the pace of every figure. Behaves as
 * `openAdsStream` (raw-stream.ts) does, so the ADS client runs on either.
 */
import * as http2 from 'node:http2';
import { adsCallShape, type RawAdsStream } from './raw-stream.ts';
import { responseInbox, type StreamEnd } from './response-inbox.ts';
import { encodeMessage } from '../proto/codec.ts';
import { frameMessage, grpcMessageReader, GrpcCode } from '../grpc-framing.ts';

const MiB = 1024 * 1024;

/**
 * An HTTP/2 connection for ADS streams. Windows are large so full-state responses of megabytes
 * are not throttled by flow control; close it with `session.close()`.
 */
export function connectH2(address: string): http2.ClientHttp2Session {
  const session = http2.connect(`http://${address}`, {
    settings: { initialWindowSize: 16 * MiB, enablePush: false },
    maxSessionMemory: 256,
  });
  session.once('connect', () => session.setLocalWindowSize(64 * MiB));
  // Errors end the session's streams, which report them as their status.
  session.on('error', () => undefined);
  return session;
}

/** `grpc-timeout` header: at most 8 digits, in milliseconds when they fit, else seconds. */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= 99_999_999 ? `${whole}m` : `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}

/** Options of `openH2AdsStream`. */
export interface H2StreamOptions {
  readonly deadlineMs?: number;
  /** False: never read responses (a stuck client); they stay in transport buffers. */
  readonly read?: boolean;
  /** A shared connection (`connectH2`); else the stream opens and closes its own. */
  readonly session?: http2.ClientHttp2Session;
  /** Keep every response for `next()` and `received` (default true); false when only `onResponse` listeners read them. */
  readonly retain?: boolean;
}

/** Opens a SotW or delta ADS stream to `address` (host:port) over plain HTTP/2. */
export function openH2AdsStream(address: string, mode: 'sotw' | 'delta', options: H2StreamOptions = {}): RawAdsStream {
  const ownSession = options.session === undefined;
  const session = options.session ?? connectH2(address);
  const { path, decode, requestType } = adsCallShape(mode);
  const inbox = responseInbox(options.retain !== false);
  let endStatus: StreamEnd | undefined;
  let status: StreamEnd | undefined;
  let resolveEnded: (end: StreamEnd) => void = () => undefined;
  const ended = new Promise<StreamEnd>((resolve) => {
    resolveEnded = resolve;
  });

  const finish = (end: StreamEnd): void => {
    if (endStatus) return;
    endStatus = end;
    if (ownSession) session.close();
    inbox.end(end);
    resolveEnded(end);
  };

  let request: http2.ClientHttp2Stream;
  try {
    request = session.request(
      {
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': grpcTimeout(options.deadlineMs ?? 600_000),
      },
      { endStream: false },
    );
  } catch (error) {
    // A session that already failed or closed: the stream ends at once, as grpc-js reports it.
    const end = { code: GrpcCode.UNAVAILABLE, details: (error as Error).message };
    finish(end);
    return closedStream(mode, end, ended);
  }
  // The status comes in the trailers (or in the response headers of a trailers-only reply). It ends
  // the call: our half of the stream is never ended by us, so 'close' alone would not come.
  const readStatus = (headers: http2.IncomingHttpHeaders): void => {
    const code = headers['grpc-status'];
    if (code === undefined) return;
    const message = headers['grpc-message'];
    status = { code: Number(code), details: typeof message === 'string' ? decodeURIComponent(message) : '' };
    finish(status);
    if (!request.closed) request.close(http2.constants.NGHTTP2_NO_ERROR);
  };
  request.on('response', readStatus);
  request.on('trailers', readStatus);
  request.on('error', (error: Error) => {
    status ??= { code: GrpcCode.UNAVAILABLE, details: error.message };
  });
  request.on('close', () => {
    const cancelled = request.rstCode === http2.constants.NGHTTP2_CANCEL;
    finish(status ?? (cancelled ? { code: GrpcCode.CANCELLED, details: 'Cancelled on client' } : { code: GrpcCode.UNAVAILABLE, details: 'stream closed without a status' }));
  });
  if (options.read !== false) {
    const read = grpcMessageReader((bytes) => {
      const at = performance.now();
      inbox.deliver(decode(bytes), at);
    });
    request.on('data', (chunk: Buffer) => {
      try {
        read(chunk);
      } catch (error) {
        status = { code: GrpcCode.INTERNAL, details: `bad response: ${(error as Error).message}` };
        request.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
  }

  const write = (bytes: Uint8Array): void => {
    if (!endStatus && !request.closed) request.write(frameMessage(bytes));
  };

  return {
    mode,
    send: (message) => write(encodeMessage(requestType, message)),
    sendBytes: write,
    ...inbox.reader,
    ended,
    close() {
      if (!request.closed) request.close(http2.constants.NGHTTP2_CANCEL);
    },
  };
}

/** A stream that could not be opened: sends nothing, receives nothing, ended with `end`. */
function closedStream(mode: 'sotw' | 'delta', end: StreamEnd, ended: Promise<StreamEnd>): RawAdsStream {
  const inbox = responseInbox(false);
  inbox.end(end);
  return { mode, send: () => undefined, sendBytes: () => undefined, ...inbox.reader, ended, close: () => undefined };
}
