/**
 * The gRPC server on grpc-js (`--grpc-server grpc-js`; the default is h2-glue.ts): service
 * definitions with our own (de)serializers (requests decoded with protobufjs, responses written
 * as bytes we assembled), server options, listening and shutdown. The only server file that
 * imports `@grpc/grpc-js`, and only when a server is created: importing it costs about 50 ms of
 * start-up that the default server does not need.
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeClientStatusRequest, type ClientStatusQuery } from './csds.ts';
import { DEFAULT_KEEPALIVE, type GlueHandlers, type GrpcServerHandle, type GrpcServerOptions, type ServingTls } from './glue-types.ts';
import { decodeDeltaRequest, decodeSotwRequest, type DeltaRequest, type MalformedRequest, type SotwRequest } from './requests.ts';
import { GrpcCode } from './stream-types.ts';

const MiB = 1024 * 1024;

/** Options for a control plane serving many long-lived streams with large responses. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 64 * MiB,
  'grpc.max_send_message_length': 64 * MiB,
  // Node's default per-session cap (10 MiB) would reset the connection of a busy client.
  'grpc-node.max_session_memory': 256 * MiB,
  'grpc.keepalive_permit_without_calls': 1,
  // Channelz (per-call and per-socket tracing for gRPC's debug service, which Trellis does not
  // expose) was 2.4% of server CPU in a 10k-stream connect storm, on every stream it admits.
  'grpc.enable_channelz': 0,
};

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const identity = (bytes: Buffer): Buffer => bytes;

function method<Req>(
  service: string,
  name: string,
  requestStream: boolean,
  responseStream: boolean,
  decode: (bytes: Buffer) => Req,
): grpc.MethodDefinition<Req, Uint8Array> {
  return {
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: () => {
      throw new Error('server-side definition: requests are never serialized here');
    },
    requestDeserialize: decode,
    responseSerialize: toBuffer,
    responseDeserialize: identity,
  };
}

const ADS = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
const CSDS = 'envoy.service.status.v3.ClientStatusDiscoveryService';

/** Ends a server call with a non-OK status; grpc-js turns an 'error' event into trailers. */
function failCall(call: grpc.ServerDuplexStream<unknown, Uint8Array>, code: number, details: string): void {
  try {
    call.emit('error', { code, details, name: 'Error', message: details });
  } catch {
    call.end();
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * grpc-js server credentials over a `ServingTls`: its certificate-provider credentials re-create
 * the secure context whenever the provider reports a new pair.
 */
function tlsCredentials(grpcJs: typeof grpc, tls: ServingTls): { credentials: grpc.ServerCredentials; stop: () => void } {
  const listeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();
  const update = (): grpc.experimental.IdentityCertificateUpdate => {
    const pair = tls.current();
    return { certificate: Buffer.from(pair.certificateChainPem), privateKey: Buffer.from(pair.privateKeyPem) };
  };
  const stop = tls.onChange(() => {
    const next = update();
    for (const listener of listeners) listener(next);
  });
  const provider: grpc.experimental.CertificateProvider = {
    addCaCertificateListener: () => undefined,
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener(listener) {
      listeners.add(listener);
      listener(update());
    },
    removeIdentityCertificateListener: (listener) => void listeners.delete(listener),
  };
  // grpc-js 1.14 takes the identity provider first despite its .d.ts naming (no CA provider: no client certificates).
  const credentials = grpcJs.experimental.createCertificateProviderServerCredentials(provider, null, false);
  // Subscribe now: grpc-js reads the context once at bind and would otherwise miss the first
  // pair (it subscribes to the provider before registering the server's own watcher).
  const primer = (): void => undefined;
  credentials._addWatcher(primer);
  return {
    credentials,
    stop: () => {
      stop();
      credentials._removeWatcher(primer);
    },
  };
}

/**
 * Creates a gRPC server exposing ADS (SotW and delta) and CSDS through `handlers`; TLS when
 * `options.tls` is set. Synchronous like h2-glue.ts; grpc-js itself loads in the background and
 * `listen` waits for it (a failed load is reported by `listen`).
 */
export function createGrpcJsServer(handlers: GlueHandlers, options: GrpcServerOptions = {}): GrpcServerHandle {
  const created = import('@grpc/grpc-js').then((grpcJs) => serverOn(grpcJs, handlers, options));
  created.catch(() => undefined);
  return {
    listen: async (host, port) => (await created).listen(host, port),
    close: () => created.then((server) => server.close(), () => undefined),
  };
}

function serverOn(grpcJs: typeof grpc, handlers: GlueHandlers, options: GrpcServerOptions): GrpcServerHandle {
  const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
  const server = new grpcJs.Server({ ...SERVER_OPTIONS, 'grpc.keepalive_time_ms': keepalive.intervalMs, 'grpc.keepalive_timeout_ms': keepalive.timeoutMs });
  const tls = options.tls ? tlsCredentials(grpcJs, options.tls) : undefined;
  const calls = new Set<grpc.ServerDuplexStream<unknown, Uint8Array>>();

  const ads =
    (protocol: 'sotw' | 'delta') =>
    (call: grpc.ServerDuplexStream<SotwRequest | DeltaRequest | MalformedRequest, Uint8Array>): void => {
      const untyped = call as grpc.ServerDuplexStream<unknown, Uint8Array>;
      calls.add(untyped);
      const session = handlers.openAds(protocol, {
        peer: call.getPeer(),
        write: (bytes) => call.write(bytes),
        fail: (code, message) => failCall(untyped, code, message),
      });
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        calls.delete(untyped);
        session.onEnd();
      };
      call.on('data', (request: SotwRequest | DeltaRequest | MalformedRequest) => session.onMessage(request));
      call.on('drain', () => session.onDrain());
      call.on('end', () => {
        finish();
        call.end();
      });
      call.on('cancelled', finish);
      call.on('error', finish);
      call.on('close', finish);
    };

  server.addService(
    {
      StreamAggregatedResources: method(ADS, 'StreamAggregatedResources', true, true, decodeSotwRequest),
      DeltaAggregatedResources: method(ADS, 'DeltaAggregatedResources', true, true, decodeDeltaRequest),
    },
    { StreamAggregatedResources: ads('sotw'), DeltaAggregatedResources: ads('delta') },
  );

  server.addService(
    {
      FetchClientStatus: method(CSDS, 'FetchClientStatus', false, false, decodeClientStatusRequest),
      StreamClientStatus: method(CSDS, 'StreamClientStatus', true, true, decodeClientStatusRequest),
    },
    {
      FetchClientStatus: (
        call: grpc.ServerUnaryCall<ClientStatusQuery | MalformedRequest, Uint8Array>,
        callback: grpc.sendUnaryData<Uint8Array>,
      ) => {
        const query = call.request;
        if (query.kind === 'malformed') callback({ code: GrpcCode.INVALID_ARGUMENT, details: query.message });
        else callback(null, handlers.csds(query));
      },
      StreamClientStatus: (call: grpc.ServerDuplexStream<ClientStatusQuery | MalformedRequest, Uint8Array>) => {
        const untyped = call as grpc.ServerDuplexStream<unknown, Uint8Array>;
        calls.add(untyped);
        const drop = (): void => void calls.delete(untyped);
        call.on('data', (query: ClientStatusQuery | MalformedRequest) => {
          if (query.kind === 'malformed') failCall(untyped, GrpcCode.INVALID_ARGUMENT, query.message);
          else call.write(handlers.csds(query));
        });
        call.on('end', () => {
          drop();
          call.end();
        });
        call.on('cancelled', drop);
        call.on('error', drop);
      },
    },
  );

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.bindAsync(hostPort(host, port), tls?.credentials ?? grpcJs.ServerCredentials.createInsecure(), (error, bound) => {
          if (error) reject(error);
          else resolve(bound);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        // Tell clients to reconnect elsewhere; then drain, and force after a grace period.
        tls?.stop();
        for (const call of calls) failCall(call, GrpcCode.UNAVAILABLE, 'control plane shutting down');
        calls.clear();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
