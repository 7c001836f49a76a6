/**
 * The gRPC contract of the ADS server, run against both transports (h2: gRPC spoken over
 * node:http2, the default; grpc-js): responses over grpc-js's client and a raw HTTP/2 client,
 * the status codes of unknown methods, deadlines, oversized and malformed requests (and on h2,
 * compressed ones),
 * CSDS unary and streaming, and UNAVAILABLE for open streams on shutdown.
 */
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { openH2AdsStream } from '../../../src/xds/client/h2-stream.ts';
import { createAdsGrpcClient, openAdsStream, type RawAdsStream } from '../../../src/xds/client/raw-stream.ts';
import { frameMessage } from '../../../src/xds/grpc-framing.ts';
import { decodeMessage, encodeMessage } from '../../../src/xds/proto/codec.ts';
import { createAdsServer, type AdsServer, type GrpcServerKind } from '../../../src/xds/server/ads-server.ts';
import { createH2GrpcServer, parseGrpcTimeout } from '../../../src/xds/server/h2-glue.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, fakeSource, NODE, snapshotOf } from './helpers.ts';

const Code = { OK: 0, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, INVALID_ARGUMENT: 3 } as const;
const ADS_SOTW = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const CSDS = '/envoy.service.status.v3.ClientStatusDiscoveryService';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve(kind: GrpcServerKind): Promise<{ server: AdsServer; address: string }> {
  const server = createAdsServer({ source: fakeSource(snapshotOf(basicMesh())).source, grpcServer: kind });
  let closed = false;
  closers.push(() => (closed ? undefined : server.close()));
  const port = await server.listen('127.0.0.1', 0);
  return {
    server: { ...server, close: () => ((closed = true), server.close()) },
    address: `127.0.0.1:${port}`,
  };
}

function track(stream: RawAdsStream): RawAdsStream {
  closers.push(() => stream.close());
  return stream;
}

/** What a raw HTTP/2 call saw: response headers, trailers, messages. */
interface RawCall {
  readonly status: number | undefined;
  readonly grpcStatus: number | undefined;
  readonly grpcMessage: string;
  readonly bodyBytes: number;
}

/** One call with chosen headers and body bytes; resolves when the server ends it. */
function rawCall(address: string, headers: http2.OutgoingHttpHeaders, body: Buffer | undefined, endStream: boolean): Promise<RawCall> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => undefined);
  closers.push(() => session.close());
  return new Promise((resolve) => {
    const request = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers }, { endStream: false });
    let status: number | undefined;
    let grpcStatus: number | undefined;
    let grpcMessage = '';
    let bodyBytes = 0;
    const done = (): void => resolve({ status, grpcStatus, grpcMessage, bodyBytes });
    // The status ends the call; our half may still be open (a stream the client never ended).
    const readStatus = (h: http2.IncomingHttpHeaders): void => {
      if (h[':status'] !== undefined) status = Number(h[':status']);
      if (typeof h['grpc-message'] === 'string') grpcMessage = decodeURIComponent(h['grpc-message']);
      if (h['grpc-status'] === undefined) return;
      grpcStatus = Number(h['grpc-status']);
      done();
      request.close();
    };
    request.on('response', readStatus);
    request.on('trailers', readStatus);
    request.on('data', (chunk: Buffer) => void (bodyBytes += chunk.length));
    request.on('error', () => undefined);
    request.on('close', done);
    if (body) request.write(body);
    if (endStream) request.end();
  });
}

const clusterRequest = (): Uint8Array => encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', { node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });

describe.each(['h2', 'grpc-js'] as const)('the %s gRPC server', (kind) => {
  it('serves ADS to grpc-js\'s client and to a raw HTTP/2 client alike', async () => {
    const { address } = await serve(kind);
    const viaGrpcJs = track(openAdsStream(address, 'sotw', { deadlineMs: 5000 }));
    const viaH2 = track(openH2AdsStream(address, 'sotw', { deadlineMs: 5000 }));
    for (const stream of [viaGrpcJs, viaH2]) stream.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    const [a, b] = await Promise.all([viaGrpcJs.next(5000), viaH2.next(5000)]);
    expect(a.resources.map((r) => r.name).sort()).toEqual(['a', 'b']);
    expect(b.resources.map((r) => r.name).sort()).toEqual(['a', 'b']);
    expect(b.versionInfo).toBe(a.versionInfo);
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const { address } = await serve(kind);
    const call = await rawCall(address, { ':path': '/no.Such/Method' }, frameMessage(new Uint8Array(0)), true);
    expect(call.grpcStatus).toBe(Code.UNIMPLEMENTED);
  });

  it('ends a call at its grpc-timeout with DEADLINE_EXCEEDED', async () => {
    const { address } = await serve(kind);
    const started = Date.now();
    const call = await rawCall(address, { ':path': ADS_SOTW, 'grpc-timeout': '300m' }, frameMessage(clusterRequest()), false);
    expect(call.grpcStatus).toBe(Code.DEADLINE_EXCEEDED);
    expect(call.bodyBytes).toBeGreaterThan(0); // it was served until then
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('refuses a message over 64 MiB before buffering it, with RESOURCE_EXHAUSTED', async () => {
    const { address } = await serve(kind);
    const prefix = Buffer.alloc(5 + 1024);
    prefix.writeUInt32BE(65 * 1024 * 1024, 1);
    const call = await rawCall(address, { ':path': ADS_SOTW }, prefix, false);
    expect(call.grpcStatus).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it('ends a stream whose request is not a DiscoveryRequest with INVALID_ARGUMENT and a readable message', async () => {
    const { address } = await serve(kind);
    const stream = track(openAdsStream(address, 'sotw', { deadlineMs: 5000 }));
    stream.sendBytes(Uint8Array.of(0x0a, 0xff, 0xff)); // field 1, length 32767 past the end
    const end = await stream.ended;
    expect(end.code).toBe(Code.INVALID_ARGUMENT);
    expect(end.details.length).toBeGreaterThan(0);
    expect(stream.received).toHaveLength(0);
  });

  it('answers CSDS unary and streaming calls with the streams it holds', async () => {
    const { address } = await serve(kind);
    const ads = track(openAdsStream(address, 'sotw', { deadlineMs: 5000 }));
    ads.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    await ads.next(5000);
    const client = createAdsGrpcClient(address);
    closers.push(() => client.close());
    const identity = (bytes: Buffer): Buffer => bytes;
    const unary = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(`${CSDS}/FetchClientStatus`, identity, identity, Buffer.alloc(0), (error, value) => (error || !value ? reject(error) : resolve(value))),
    );
    const streaming = await new Promise<Buffer>((resolve, reject) => {
      const call = client.makeBidiStreamRequest(`${CSDS}/StreamClientStatus`, identity, identity);
      call.on('data', (value: Buffer) => {
        resolve(value);
        call.cancel();
      });
      call.on('error', (error: grpc.ServiceError) => (error.code === grpc.status.CANCELLED ? undefined : reject(error)));
      call.write(Buffer.alloc(0));
    });
    for (const bytes of [unary, streaming]) {
      const response = decodeMessage('envoy.service.status.v3.ClientStatusResponse', bytes) as { config?: { node?: { id?: string } }[] };
      expect(response.config?.map((c) => c.node?.id)).toEqual([NODE.id]);
    }
  });

  it('ends open streams with UNAVAILABLE when it shuts down', async () => {
    const { server, address } = await serve(kind);
    const streams = [track(openAdsStream(address, 'sotw', { deadlineMs: 5000 })), track(openH2AdsStream(address, 'sotw', { deadlineMs: 5000 }))];
    for (const stream of streams) stream.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    await Promise.all(streams.map((s) => s.next(5000)));
    await server.close();
    for (const stream of streams) {
      const end = await stream.ended;
      expect(end.code).toBe(Code.UNAVAILABLE);
      expect(end.details).toBe('control plane shutting down');
    }
  });
});

describe('the h2 gRPC server', () => {
  it('answers a request that is not gRPC with HTTP 415', async () => {
    const { address } = await serve('h2');
    const call = await rawCall(address, { ':path': ADS_SOTW, 'content-type': 'application/json' }, Buffer.from('{}'), true);
    expect(call.status).toBe(415);
    expect(call.grpcStatus).toBeUndefined();
  });

  // grpc-js's server leaves such a call hanging (no status); this is one reason h2 is the default.
  it('refuses a compressed message it was not told how to decompress', async () => {
    const { address } = await serve('h2');
    const framed = frameMessage(clusterRequest());
    framed[0] = 1;
    const call = await rawCall(address, { ':path': ADS_SOTW }, framed, false);
    expect(call.grpcStatus).toBe(Code.INTERNAL);
    expect(call.grpcMessage).toContain('compressed');
    expect(call.bodyBytes).toBe(0);
  });

  it('percent-encodes grpc-message, so any text reaches the client intact', async () => {
    const message = 'naïve 100% sure: line\nbreak';
    const server = createH2GrpcServer({
      openAds(_protocol, transport) {
        transport.fail(Code.INVALID_ARGUMENT, message);
        return { onMessage: () => undefined, onDrain: () => undefined, onEnd: () => undefined };
      },
      csds: () => new Uint8Array(0),
    });
    closers.push(() => server.close());
    const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    const end = await track(openAdsStream(address, 'sotw', { deadlineMs: 5000 })).ended;
    expect(end).toEqual({ code: Code.INVALID_ARGUMENT, details: message });
  });

  it('pings its peers (keepalive) at the configured interval', async () => {
    const server = createH2GrpcServer({ openAds: () => ({ onMessage: () => undefined, onDrain: () => undefined, onEnd: () => undefined }), csds: () => new Uint8Array(0) }, { keepalive: { intervalMs: 50, timeoutMs: 1000 } });
    closers.push(() => server.close());
    const port = await server.listen('127.0.0.1', 0);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    closers.push(() => session.close());
    let pings = 0;
    session.on('ping', () => void (pings += 1));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pings).toBeGreaterThanOrEqual(3);
  });

  it('reads grpc-timeout in every unit gRPC defines, and ignores malformed ones', () => {
    expect(parseGrpcTimeout('300m')).toBe(300);
    expect(parseGrpcTimeout('2S')).toBe(2000);
    expect(parseGrpcTimeout('1M')).toBe(60_000);
    expect(parseGrpcTimeout('1H')).toBe(3_600_000);
    expect(parseGrpcTimeout('5000u')).toBe(5);
    expect(parseGrpcTimeout('5000000n')).toBe(5);
    expect(parseGrpcTimeout('123456789m')).toBeUndefined(); // at most 8 digits
    expect(parseGrpcTimeout('10x')).toBeUndefined();
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
  });
});
