import { afterEach, describe, expect, it } from 'vitest';
import { openAdsStream, type RawAdsStream } from '../../../src/xds/client/raw-stream.ts';
import type { ReceivedResponse } from '../../../src/xds/client/response-decode.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, cla, cluster, listener, NODE, route, secret, snapshotOf, startServer, type Running } from './helpers.ts';

const QUIET_MS = 200;
let running: Running | undefined;
const streams: RawAdsStream[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await running?.server.close();
  running = undefined;
});

async function start(parts = basicMesh()): Promise<Running> {
  running = await startServer(snapshotOf(parts));
  return running;
}

function open(r: Running, read = true): RawAdsStream {
  const s = openAdsStream(r.address, 'sotw', { deadlineMs: 15_000, read });
  streams.push(s);
  return s;
}

function ack(s: RawAdsStream, res: ReceivedResponse, names: readonly string[] = []): void {
  s.send({ type_url: res.typeUrl, version_info: res.versionInfo, response_nonce: res.nonce, resource_names: names });
}

const names = (res: ReceivedResponse): string[] => res.resources.map((r) => r.name).sort();

describe('SotW ADS', () => {
  it('serves the first request, records the ACK and pushes nothing more', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    const res = await s.next(3000);
    expect(res.typeUrl).toBe(TypeUrl.Cluster);
    expect(names(res)).toEqual(['a', 'b']);
    // Full set: the response version is the set's content version.
    expect(res.versionInfo).toBe(snapshotOf(basicMesh()).resources[TypeUrl.Cluster].version);
    ack(s, res);
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    const [status] = r.server.status();
    expect(status?.nodeId).toBe('node-1');
    expect(status?.types.CDS).toMatchObject({ subscribed: 'wildcard', versionSent: res.versionInfo, versionAcked: res.versionInfo, nonceSent: res.nonce, awaitingAck: false });
    expect(r.source.nodes[0]?.id).toBe('node-1');
  });

  it('records a NACK, does not resend that version, then delivers the next one', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    const first = await s.next(3000);
    ack(s, first);
    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 2), cluster('b')] })));
    const bad = await s.next(3000);
    expect(bad.versionInfo).not.toBe(first.versionInfo);
    s.send({ type_url: TypeUrl.Cluster, version_info: first.versionInfo, response_nonce: bad.nonce, error_detail: { code: 13, message: 'bad timeout' } });
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    const cds = r.server.status()[0]?.types.CDS;
    expect(cds?.versionAcked).toBe(first.versionInfo);
    expect(cds?.lastNack).toMatchObject({ version: bad.versionInfo, message: 'bad timeout', code: 13 });
    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 3), cluster('b')] })));
    const next = await s.next(3000);
    expect(next.versionInfo).not.toBe(bad.versionInfo);
    expect(next.versionInfo).not.toBe(first.versionInfo);
    ack(s, next);
    await s.quiet(100);
    expect(r.server.status()[0]?.types.CDS?.versionAcked).toBe(next.versionInfo);
  });

  it('ignores a stale nonce for ACK but applies its subscription change', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    const r1 = await s.next(3000);
    expect(names(r1)).toEqual(['a']);
    ack(s, r1, ['a']);
    r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [1, 2]), cla('b')] })));
    const r2 = await s.next(3000);
    // Stale nonce (r1's), new names: not an ACK of r2, and nothing sent while r2 is in flight.
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: r1.versionInfo, response_nonce: r1.nonce, resource_names: ['a', 'b'] });
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    expect(r.server.status()[0]?.types.EDS).toMatchObject({ versionAcked: r1.versionInfo, awaitingAck: true, subscribed: 2 });
    ack(s, r2, ['a', 'b']);
    // EDS is partial state: the client holds a at r2's copy, so only b is new.
    const r3 = await s.next(3000);
    expect(names(r3)).toEqual(['b']);
    ack(s, r3, ['a', 'b']);
    // With nothing in flight, a stale-nonce request still changes the subscription; narrowing
    // it needs no response, the status follows.
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: r1.versionInfo, response_nonce: r1.nonce, resource_names: ['b'] });
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    const eds = r.server.status()[0]?.types.EDS;
    expect(eds).toMatchObject({ subscribed: 1, awaitingAck: false });
    expect(eds?.versionAcked).not.toBe(r3.versionInfo);
    // A change to b reaches the narrowed subscription.
    r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [1, 2]), cla('b', [4])] })));
    const r4 = await s.next(3000);
    expect(names(r4)).toEqual(['b']);
  });

  it('treats empty names as wildcard only for LDS/CDS, and honours * and explicit names', async () => {
    const r = await start(basicMesh({ listeners: [listener('l1', 'r1'), listener('l2', 'r1')] }));
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Listener, resource_names: ['l2'] });
    expect(names(await s.next(3000))).toEqual(['l2']);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: [] });
    expect(names(await s.next(3000))).toEqual([]);
    s.send({ type_url: TypeUrl.RouteConfiguration, resource_names: ['*'] });
    expect(names(await s.next(3000))).toEqual(['r1']);
    s.send({ type_url: TypeUrl.Cluster, resource_names: [] });
    expect(names(await s.next(3000))).toEqual(['a', 'b']);
    const types = r.server.status()[0]?.types;
    expect(types?.LDS?.subscribed).toBe(1);
    expect(types?.EDS?.subscribed).toBe(0);
    expect(types?.RDS?.subscribed).toBe('wildcard');
    expect(types?.CDS?.subscribed).toBe('wildcard');
  });

  it('pushes nothing for an unchanged snapshot or a change the stream does not see', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    ack(s, await s.next(3000), ['a']);
    r.source.set(snapshotOf(basicMesh()));
    r.source.set(snapshotOf(basicMesh({ clas: [cla('a'), cla('b', [9])] })));
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [7]), cla('b', [9])] })));
    expect(names(await s.next(3000))).toEqual(['a']);
  });

  it('pushes only the changed type, and several types in PUSH_ORDER', async () => {
    const r = await start(basicMesh({ secrets: [secret('s1')] }));
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    ack(s, await s.next(3000));
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a', 'b'] });
    ack(s, await s.next(3000), ['a', 'b']);
    s.send({ type_url: TypeUrl.Listener, resource_names: [] });
    ack(s, await s.next(3000));
    s.send({ type_url: TypeUrl.RouteConfiguration, resource_names: ['r1'] });
    ack(s, await s.next(3000), ['r1']);
    s.send({ type_url: TypeUrl.Secret, resource_names: ['s1'] });
    ack(s, await s.next(3000), ['s1']);

    r.source.set(snapshotOf(basicMesh({ secrets: [secret('s1')], routes: [route('r1', 'b')] })));
    const only = await s.next(3000);
    expect(only.typeUrl).toBe(TypeUrl.RouteConfiguration);
    ack(s, only, ['r1']);
    expect(await s.quiet(QUIET_MS)).toEqual([]);

    r.source.set(
      snapshotOf({
        clusters: [cluster('a'), cluster('b'), cluster('c')],
        clas: [cla('a', [1]), cla('b', [1])],
        listeners: [listener('l1', 'r1'), listener('l2', 'r1')],
        routes: [route('r1', 'c')],
        secrets: [secret('s1', 'rotated')],
      }),
    );
    const order: string[] = [];
    for (let i = 0; i < 5; i += 1) order.push((await s.next(3000)).typeUrl);
    expect(order).toEqual([TypeUrl.Secret, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]);
  });

  it('follows a changed cluster with EDS even when the endpoints did not change', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    ack(s, await s.next(3000));
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a', 'b'] });
    const eds1 = await s.next(3000);
    ack(s, eds1, ['a', 'b']);
    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 5), cluster('b')] })));
    const cds = await s.next(3000);
    expect(cds.typeUrl).toBe(TypeUrl.Cluster);
    const eds2 = await s.next(3000);
    expect(eds2.typeUrl).toBe(TypeUrl.ClusterLoadAssignment);
    expect(eds2.versionInfo).toBe(eds1.versionInfo);
    expect(names(eds2)).toEqual(['a', 'b']);
    expect(eds2.nonce).not.toBe(eds1.nonce);
  });

  it('keeps one response in flight per type and then sends only the latest', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    const first = await s.next(3000);
    for (const port of [1, 2, 3]) r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [port]), cla('b')] })));
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    ack(s, first, ['a']);
    const latest = await s.next(3000);
    const expected = snapshotOf(basicMesh({ clas: [cla('a', [3]), cla('b')] }));
    expect(latest.resources[0]?.any).toEqual(expected.resources[TypeUrl.ClusterLoadAssignment].items.get('a')?.any);
    ack(s, latest, ['a']);
    expect(await s.quiet(QUIET_MS)).toEqual([]);
  });

  it('keeps the subscriptions of streams apart when their large ACKs arrive split and interleaved', async () => {
    // ~90 KB of names per request: every request spans several HTTP/2 frames, and the server
    // joins them in one buffer shared by all streams (grpc-framing.ts).
    const many = (prefix: string): string[] => Array.from({ length: 1500 }, (_, i) => `${prefix}-${i}-outbound|8080||service-${i}.namespace.svc.cluster.local`);
    const one = [...many('one'), 'a'];
    const two = [...many('two'), 'b'];
    const r = await start();
    const [s1, s2] = [open(r), open(r)];
    s1.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: one });
    s2.send({ node: { ...NODE, id: 'node-2' }, type_url: TypeUrl.ClusterLoadAssignment, resource_names: two });
    let [r1, r2] = [await s1.next(3000), await s2.next(3000)];
    expect([names(r1), names(r2)]).toEqual([['a'], ['b']]);
    for (let round = 0; round < 3; round += 1) {
      ack(s1, r1, one);
      ack(s2, r2, two);
      r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [round + 10]), cla('b', [round + 20])] })));
      [r1, r2] = [await s1.next(3000), await s2.next(3000)];
      expect([names(r1), names(r2)]).toEqual([['a'], ['b']]);
    }
    ack(s1, r1, one);
    ack(s2, r2, two);
    expect(await s1.quiet(QUIET_MS)).toEqual([]);
    expect(await s2.quiet(0)).toEqual([]);
    const status = new Map(r.server.status().map((p) => [p.nodeId, p.types.EDS] as const));
    expect(status.get('node-1')).toMatchObject({ subscribed: 1501, awaitingAck: false, versionAcked: r1.versionInfo });
    expect(status.get('node-2')).toMatchObject({ subscribed: 1501, awaitingAck: false, versionAcked: r2.versionInfo });
    // The subscription each stream keeps is its own list: switching one stream to 'b' sends it 'b'.
    s1.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: r1.versionInfo, response_nonce: r1.nonce, resource_names: [...many('one'), 'b'] });
    expect(names(await s1.next(3000))).toEqual(['b']);
    expect(await s2.quiet(QUIET_MS)).toEqual([]);
  });

  it('does not resend on reconnect when the client already holds the current version', async () => {
    const r = await start();
    const s1 = open(r);
    s1.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    const res = await s1.next(3000);
    ack(s1, res);
    s1.close();
    const s2 = open(r);
    s2.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [], version_info: res.versionInfo });
    expect(await s2.quiet(QUIET_MS)).toEqual([]);
    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 9), cluster('b')] })));
    const pushed = await s2.next(3000);
    expect(pushed.versionInfo).not.toBe(res.versionInfo);
  });

  it('survives unknown types, garbage and node-less requests while other streams keep working', async () => {
    const r = await start();
    const odd = open(r);
    odd.send({ node: NODE, type_url: 'type.googleapis.com/some.Unknown', resource_names: [] });
    expect(await odd.quiet(100)).toEqual([]);
    odd.send({ type_url: TypeUrl.Cluster, resource_names: [] });
    expect(names(await odd.next(3000))).toEqual(['a', 'b']);

    const garbage = open(r);
    // Field 2 (node) claims 5 bytes and carries 1.
    garbage.sendBytes(Buffer.from([0x12, 0x05, 0x01]));
    const garbageEnd = await garbage.ended;
    expect(garbageEnd.code).toBe(3);
    expect(garbageEnd.details).toMatch(/cannot decode/);
    const nodeless = open(r);
    nodeless.send({ type_url: TypeUrl.Cluster, resource_names: [] });
    const end = await nodeless.ended;
    expect(end.code).toBe(3);
    expect(end.details).toMatch(/node/);

    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 4), cluster('b')] })));
    const healthy = open(r);
    healthy.send({ node: { ...NODE, id: 'node-2' }, type_url: TypeUrl.Cluster, resource_names: [] });
    expect(names(await healthy.next(3000))).toEqual(['a', 'b']);
    expect(r.server.status().map((p) => p.nodeId).sort()).toEqual(['node-1', 'node-2']);
  });

  it('does not let a client that never reads hold up the others', async () => {
    // ~4 MB per CDS response: far beyond HTTP/2 windows, so the stuck stream backs up.
    const big = (timeoutS: number) =>
      Array.from({ length: 400 }, (_, i) => cluster(`big-${i}-${'x'.repeat(10_000)}`, timeoutS));
    const r = await start({ clusters: big(1) });
    const stuck = open(r, false);
    stuck.send({ node: { ...NODE, id: 'stuck' }, type_url: TypeUrl.Cluster, resource_names: [] });
    const live = open(r);
    live.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    ack(live, await live.next(5000));
    for (let round = 2; round <= 4; round += 1) {
      r.source.set(snapshotOf({ clusters: big(round) }));
      const started = performance.now();
      const res = await live.next(5000);
      expect(performance.now() - started).toBeLessThan(3000);
      ack(live, res);
    }
    const stuckStatus = r.server.status().find((p) => p.nodeId === 'stuck');
    // One response in flight, never acknowledged: nothing queued behind it.
    expect(stuckStatus?.types.CDS?.awaitingAck).toBe(true);
    expect(stuckStatus?.types.CDS?.versionAcked).toBeUndefined();
  });
});
