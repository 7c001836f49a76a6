import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type AdsClient } from '../../../src/xds/client/ads-client.ts';
import { connectH2, openH2AdsStream } from '../../../src/xds/client/h2-stream.ts';
import { grpcMessageReader } from '../../../src/xds/grpc-framing.ts';
import { openAdsStream, type RawAdsStream } from '../../../src/xds/client/raw-stream.ts';
import type { ReceivedResponse } from '../../../src/xds/client/response-decode.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, cla, cluster, listener, NODE, route, snapshotOf, startServer, type Running } from '../server/helpers.ts';

let running: Running | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await running?.server.close();
  running = undefined;
});

function frames(messages: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(m.length, 1);
      return Buffer.concat([prefix, m]);
    }),
  );
}

describe('grpcMessageReader', () => {
  it('cuts the same messages however the body is split into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat({ max: 400 }), { maxLength: 20 }), (messages, cuts) => {
        const body = frames(messages);
        const got: Buffer[] = [];
        const read = grpcMessageReader((m) => got.push(Buffer.from(m)));
        const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const point of [...points, body.length]) {
          read(body.subarray(from, point));
          from = point;
        }
        expect(got.map((m) => m.toString('hex'))).toEqual(messages.map((m) => Buffer.from(m).toString('hex')));
      }),
      { numRuns: 300 },
    );
  });

  it('transient readers join split messages in one shared buffer, and interleaved readers keep their own partial messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 40 }),
        (first, second, step) => {
          const bodies = [frames(first), frames(second)];
          const got: string[][] = [[], []];
          const joined = new Set<ArrayBufferLike>();
          const readers = bodies.map((_, i) =>
            grpcMessageReader(
              (m) => {
                got[i]?.push(m.toString('hex'));
                if (!bodies.some((body) => body.buffer === m.buffer)) joined.add(m.buffer);
              },
              { transient: true },
            ),
          );
          // Both bodies in small alternating chunks: every message of either one is split.
          const size = 1 + step;
          for (let from = 0; from < Math.max(...bodies.map((b) => b.length)); from += size) {
            bodies.forEach((body, i) => {
              if (from < body.length) readers[i]?.(body.subarray(from, from + size));
            });
          }
          expect(got[0]).toEqual(first.map((m) => Buffer.from(m).toString('hex')));
          expect(got[1]).toEqual(second.map((m) => Buffer.from(m).toString('hex')));
          // Every joined message of both readers was in the same (shared) buffer.
          if (size < 6) expect(joined.size).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('messages of a default reader stay intact after later reads (they may be kept)', () => {
    const messages = [Buffer.alloc(100, 1), Buffer.alloc(100, 2), Buffer.alloc(100, 3)];
    const body = frames(messages);
    const kept: Buffer[] = [];
    const read = grpcMessageReader((m) => kept.push(m));
    for (let from = 0; from < body.length; from += 7) read(body.subarray(from, from + 7));
    expect(kept.map((m) => m.toString('hex'))).toEqual(messages.map((m) => m.toString('hex')));
  });

  it('refuses a compressed message', () => {
    const read = grpcMessageReader(() => undefined);
    expect(() => read(Buffer.from([1, 0, 0, 0, 1, 7]))).toThrow(/compressed/);
  });
});

function names(response: ReceivedResponse): string[] {
  return response.resources.map((r) => r.name);
}

describe.each(['sotw', 'delta'] as const)('ADS over plain HTTP/2 (%s)', (mode) => {
  const open = (address: string, transport: 'h2' | 'grpc-js'): RawAdsStream => {
    const stream = transport === 'h2' ? openH2AdsStream(address, mode, { deadlineMs: 10_000 }) : openAdsStream(address, mode, { deadlineMs: 10_000 });
    cleanups.push(() => stream.close());
    return stream;
  };
  const firstRequest = (typeUrl: string): Record<string, unknown> =>
    mode === 'sotw' ? { node: NODE, type_url: typeUrl, resource_names: [] } : { node: NODE, type_url: typeUrl };

  it('gets the same responses as a grpc-js stream, including one too large for a single chunk', async () => {
    // 3,000 clusters: a CDS response of hundreds of KB, far beyond one 16 KB HTTP/2 frame.
    const clusters = Array.from({ length: 3000 }, (_, i) => cluster(`c${i}`, 1 + (i % 5)));
    running = await startServer(snapshotOf(basicMesh({ clusters })));
    const viaH2 = open(running.address, 'h2');
    const viaGrpc = open(running.address, 'grpc-js');
    viaH2.send(firstRequest(TypeUrl.Cluster));
    viaGrpc.send(firstRequest(TypeUrl.Cluster));
    const [h2, grpc] = [await viaH2.next(5000), await viaGrpc.next(5000)];
    expect(h2.bytes).toBeGreaterThan(100_000);
    expect(names(h2)).toHaveLength(3000);
    expect(names(h2)).toEqual(names(grpc));
    expect(h2.resources.map((r) => Buffer.from(r.any).toString('base64'))).toEqual(grpc.resources.map((r) => Buffer.from(r.any).toString('base64')));
    expect(h2.typeUrl).toBe(TypeUrl.Cluster);
  });

  it('reports the status the server ends a stream with, and CANCELLED after close()', async () => {
    running = await startServer(snapshotOf(basicMesh()));
    const garbage = open(running.address, 'h2');
    // Field 1/2 (the node) claims 5 bytes and carries 1.
    garbage.sendBytes(Buffer.from([mode === 'sotw' ? 0x12 : 0x0a, 0x05, 0x01]));
    const end = await garbage.ended;
    expect(end.code).toBe(3);
    expect(end.details).toMatch(/cannot decode/);

    const cancelled = open(running.address, 'h2');
    cancelled.send(firstRequest(TypeUrl.Cluster));
    await cancelled.next(5000);
    cancelled.close();
    expect((await cancelled.ended).code).toBe(1);
  });

  it('carries an ADS client that follows references, streams sharing one connection', async () => {
    running = await startServer(
      snapshotOf(basicMesh({ clusters: [cluster('a'), cluster('b')], clas: [cla('a'), cla('b')], listeners: [listener('l', 'r')], routes: [route('r', 'a')] })),
    );
    const address = running.address;
    const session = connectH2(address);
    cleanups.push(() => session.close());
    const clients: AdsClient[] = [0, 1, 2].map((i) =>
      connect(address, { id: `h2-${i}`, cluster: 'c' }, mode, { openStream: (m) => openH2AdsStream(address, m, { session, deadlineMs: 10_000 }) }),
    );
    for (const client of clients) cleanups.push(() => client.close());
    for (const client of clients) {
      await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).size === 2 && c.resources(TypeUrl.RouteConfiguration).size === 1, 5000);
    }
    // Every type ACKed on the server for all three streams.
    await clients[0]?.waitFor(() => {
      const proxies = running?.server.status() ?? [];
      return proxies.length === 3 && proxies.every((p) => (['CDS', 'EDS', 'LDS', 'RDS'] as const).every((t) => p.types[t]?.versionAcked !== undefined && !p.types[t]?.awaitingAck));
    }, 5000);
    // A push reaches every stream on the shared connection.
    running.source.set(snapshotOf(basicMesh({ clusters: [cluster('a')], clas: [cla('a', [9090])], listeners: [listener('l', 'r')], routes: [route('r', 'a')] })));
    for (const client of clients) await client.waitFor((c) => c.resources(TypeUrl.Cluster).size === 1, 5000);
    expect(running.server.status()).toHaveLength(3);
  });
});
