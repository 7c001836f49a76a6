/**
 * The gRPC server spoken directly over node:http2: gRPC's wire protocol (POST `application/grpc`,
 * 5-byte length-prefixed messages, status in trailers) for the four methods Trellis serves (ADS
 * SotW and delta, CSDS unary and streaming), without grpc-js's per-call machinery (call objects,
 * interceptors, object-mode streams, a copy of every message to frame it). A control plane
 * writes the same response to thousands of streams per change; grpc-js's per-message layers cost
 * more than the rest of the push. Responses are framed once and the frame is shared by every
 * stream that writes it. `--grpc-server grpc-js` selects grpc-js-glue.ts instead.
 */
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeClientStatusRequest, type ClientStatusQuery } from './csds.ts';
import { DEFAULT_KEEPALIVE, type GlueHandlers, type GrpcServerHandle, type GrpcServerOptions } from './glue-types.ts';
import { decodeDeltaRequest, decodeSotwRequest, type DeltaRequest, type MalformedRequest, type SotwRequest } from './requests.ts';
import { GrpcCode } from './stream-types.ts';
import { frameMessage, grpcMessageReader, OversizedMessageError } from '../grpc-framing.ts';

const MiB = 1024 * 1024;
/** Largest request accepted (grpc-js's `grpc.max_receive_message_length` was set to the same). */
const MAX_REQUEST_BYTES = 64 * MiB;
const SHUTDOWN_GRACE_MS = 2_000;

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
const CSDS = '/envoy.service.status.v3.ClientStatusDiscoveryService/';

type Method =
  | { readonly kind: 'ads'; readonly protocol: 'sotw' | 'delta'; readonly decode: (bytes: Buffer) => SotwRequest | DeltaRequest | MalformedRequest }
  | { readonly kind: 'csds'; readonly unary: boolean };

const METHODS = new Map<string, Method>([
  [`${ADS}StreamAggregatedResources`, { kind: 'ads', protocol: 'sotw', decode: decodeSotwRequest }],
  [`${ADS}DeltaAggregatedResources`, { kind: 'ads', protocol: 'delta', decode: decodeDeltaRequest }],
  [`${CSDS}FetchClientStatus`, { kind: 'csds', unary: true }],
  [`${CSDS}StreamClientStatus`, { kind: 'csds', unary: false }],
]);

const RESPONSE_HEADERS = {
  ':status': 200,
  'content-type': 'application/grpc',
  'grpc-accept-encoding': 'identity',
} as const;

/**
 * Frames shared by every stream writing the same response bytes: a change is one response
 * object written to thousands of streams, framed (and copied) once.
 */
const frames = new WeakMap<Uint8Array, Buffer>();

function framed(bytes: Uint8Array): Buffer {
  let frame = frames.get(bytes);
  if (!frame) frames.set(bytes, (frame = frameMessage(bytes)));
  return frame;
}

/** `grpc-message` is percent-encoded (gRPC's HTTP/2 spec): printable ASCII except `%` passes. */
function encodeGrpcMessage(message: string): string {
  return Buffer.from(message, 'utf8').reduce((out, byte) => out + (byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`), '');
}

/** `grpc-timeout` in milliseconds (undefined when absent or malformed, as grpc-js treats it). */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 }[match[2] as 'H' | 'M' | 'S' | 'm' | 'u' | 'n'];
  return amount * unit;
}

/** One gRPC call on one HTTP/2 stream: response headers once, messages, then the status. */
class Call {
  private responded = false;
  private finished = false;
  private deadline: NodeJS.Timeout | undefined;
  onFinish: (() => void) | undefined;

  constructor(readonly stream: http2.ServerHttp2Stream) {}

  expireAfter(ms: number): void {
    // Timers beyond 2^31-1 ms fire at once; such a deadline is as good as none.
    if (ms > 2_147_483_647) return;
    this.deadline = setTimeout(() => this.end(GrpcCode.DEADLINE_EXCEEDED, 'Deadline exceeded'), ms);
    this.deadline.unref();
  }

  /** Writes one message; false when the stream's buffer is full (wait for 'drain'). */
  write(bytes: Uint8Array): boolean {
    if (this.finished || this.stream.destroyed) return true;
    if (!this.responded) {
      this.responded = true;
      this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    }
    return this.stream.write(framed(bytes));
  }

  /** Ends the call with `code`; a call that sent nothing yet replies with trailers only. */
  end(code: number, message = ''): void {
    if (this.finished) return;
    this.finished = true;
    this.clear();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const status: http2.OutgoingHttpHeaders = { 'grpc-status': String(code) };
    if (message !== '') status['grpc-message'] = encodeGrpcMessage(message);
    if (!this.responded) {
      this.responded = true;
      if (!stream.headersSent) {
        stream.respond({ ...RESPONSE_HEADERS, ...status }, { endStream: true });
        return;
      }
    }
    stream.once('wantTrailers', () => stream.sendTrailers(status));
    stream.end();
  }

  /** The call is over from the transport's side (closed, reset); no status can be sent. */
  closed(): void {
    this.finished = true;
    this.clear();
  }

  private clear(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
    const onFinish = this.onFinish;
    this.onFinish = undefined;
    onFinish?.();
  }
}

function peerOf(stream: http2.ServerHttp2Stream): string {
  const socket = stream.session?.socket;
  if (!socket?.remoteAddress) return 'unknown';
  return socket.remoteFamily === 'IPv6' ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`;
}

/** Creates the gRPC server exposing ADS (SotW and delta) and CSDS through `handlers`; TLS when `options.tls` is set. */
export function createH2GrpcServer(handlers: GlueHandlers, options: GrpcServerOptions = {}): GrpcServerHandle {
  const settings: http2.Settings = { enablePush: false };
  // Node's default per-session cap (10 MiB) would reset the connection of a busy client.
  const common = { settings, maxSessionMemory: 256 };
  const tls = options.tls;
  const server = tls
    ? http2.createSecureServer({ ...common, cert: tls.current().certificateChainPem, key: tls.current().privateKeyPem, ALPNProtocols: ['h2'] })
    : http2.createServer(common);
  const stopTls = tls?.onChange(() => {
    const pair = tls.current();
    (server as http2.Http2SecureServer).setSecureContext({ cert: pair.certificateChainPem, key: pair.privateKeyPem });
  });
  const keepaliveOptions = options.keepalive ?? DEFAULT_KEEPALIVE;
  const calls = new Set<Call>();
  const sessions = new Set<http2.ServerHttp2Session>();

  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    // Keepalive: a peer that stops answering pings is gone; its streams end with it.
    const keepalive = setInterval(() => {
      if (session.closed || session.destroyed) return;
      const timeout = setTimeout(() => session.destroy(), keepaliveOptions.timeoutMs);
      timeout.unref();
      try {
        session.ping(() => clearTimeout(timeout));
      } catch {
        clearTimeout(timeout);
      }
    }, keepaliveOptions.intervalMs);
    keepalive.unref();
    session.on('close', () => {
      clearInterval(keepalive);
      sessions.delete(session);
    });
    // A broken connection ends its streams, which report it; nothing else to do here.
    session.on('error', () => undefined);
  });
  // TLS clients that do not speak h2 get no service.
  server.on('unknownProtocol', (socket: { destroy(): void }) => socket.destroy());

  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on('error', () => undefined);
    const call = new Call(stream);
    const contentType = headers['content-type'];
    if (headers[':method'] !== 'POST' || typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415, 'content-type': 'text/plain' }, { endStream: true });
      return;
    }
    const method = METHODS.get(String(headers[':path']));
    if (!method) {
      call.end(GrpcCode.UNIMPLEMENTED, `unknown method ${String(headers[':path'])}`);
      return;
    }
    const timeout = parseGrpcTimeout(headers['grpc-timeout']);
    if (timeout !== undefined) call.expireAfter(timeout);
    calls.add(call);
    stream.on('close', () => {
      calls.delete(call);
      call.closed();
    });
    if (method.kind === 'ads') serveAds(call, method.protocol, method.decode);
    else serveCsds(call, method.unary);
  });

  /**
   * Feeds each message of the request body to `onMessage`; a bad frame ends the call. Messages
   * are transient (grpc-framing.ts): requests are decoded and handled before `onMessage` returns,
   * and what a stream keeps of them is copied (strings, or the copied names of a SotW request).
   */
  function readMessages(call: Call, onMessage: (bytes: Buffer) => void): void {
    const read = grpcMessageReader(onMessage, { maxMessageBytes: MAX_REQUEST_BYTES, transient: true });
    call.stream.on('data', (chunk: Buffer) => {
      try {
        read(chunk);
      } catch (error) {
        call.end(error instanceof OversizedMessageError ? GrpcCode.RESOURCE_EXHAUSTED : GrpcCode.INTERNAL, (error as Error).message);
      }
    });
  }

  function serveAds(call: Call, protocol: 'sotw' | 'delta', decode: (bytes: Buffer) => SotwRequest | DeltaRequest | MalformedRequest): void {
    const session = handlers.openAds(protocol, {
      peer: peerOf(call.stream),
      write: (bytes) => call.write(bytes),
      fail: (code, message) => call.end(code, message),
    });
    // The call ended (status sent, reset or closed): the session ends with it (onEnd is idempotent).
    call.onFinish = () => session.onEnd();
    readMessages(call, (bytes) => session.onMessage(decode(bytes)));
    call.stream.on('drain', () => session.onDrain());
    // The client half-closed: the stream is over, with OK.
    call.stream.on('end', () => call.end(GrpcCode.OK));
  }

  function serveCsds(call: Call, unary: boolean): void {
    let answered = false;
    readMessages(call, (bytes) => {
      const query: ClientStatusQuery | MalformedRequest = decodeClientStatusRequest(bytes);
      if (query.kind === 'malformed') return call.end(GrpcCode.INVALID_ARGUMENT, query.message);
      if (unary && answered) return call.end(GrpcCode.UNIMPLEMENTED, 'a unary call carries one request');
      answered = true;
      call.write(handlers.csds(query));
    });
    call.stream.on('end', () => {
      if (unary && !answered) call.end(GrpcCode.UNIMPLEMENTED, 'a unary call needs one request');
      else call.end(GrpcCode.OK);
    });
  }

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        // Tell clients to reconnect elsewhere; then drain, and force after a grace period.
        stopTls?.();
        for (const call of calls) call.end(GrpcCode.UNAVAILABLE, 'control plane shutting down');
        calls.clear();
        for (const session of sessions) session.close();
        const timer = setTimeout(() => {
          for (const session of sessions) session.destroy();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
