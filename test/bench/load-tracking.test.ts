import { afterEach, describe, expect, it } from 'vitest';
import { startLagMonitor } from '../../bench/lib/event-loop-lag.ts';
import { startFloorServer, type FloorServer } from '../../bench/lib/floor-server.ts';
import { startLoadFleet, type LoadFleet } from '../../bench/lib/load-fleet.ts';
import { sidecarClientNode, type ResourceDump } from '../../bench/lib/load-protocol.ts';
import { behaviourOptions, bytesSince, holderIndex, NACK_MESSAGE, waitOnResource } from '../../bench/lib/load-tracking.ts';
import { generateRegistrySnapshot } from '../../bench/lib/mesh-generator.ts';
import { outboundClusterName } from '../../src/model/names.ts';
import { connect, type AdsClient } from '../../src/xds/client/ads-client.ts';
import type { ReceivedResponse } from '../../src/xds/client/response-decode.ts';
import { encodeResource } from '../../src/xds/cache/snapshot.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { dumpOf, NODE, reweighted, TARGET } from '../support/bench-mesh.ts';

const CLUSTER = outboundClusterName(TARGET);

const registry = generateRegistrySnapshot({ services: 4, endpointsPerService: 2 });
const before = dumpOf(registry);
const after = dumpOf(reweighted(registry, 50));
const items = (dump: ResourceDump, typeUrl: string): { name: string; version: string; any: Uint8Array }[] => [...(dump[typeUrl]?.items ?? [])];

const response = (typeUrl: string): ReceivedResponse => ({ kind: 'sotw', versionInfo: '1', typeUrl, nonce: 'n', resources: [], removed: [], controlPlane: '', bytes: 0 });

describe('stream behaviours', () => {
  it('slow streams delay each response; NACKing streams accept CDS/LDS and reject the rest', () => {
    expect(behaviourOptions('slow', 1234).applyDelayMs).toBe(1234);
    expect(behaviourOptions('slow').applyDelayMs).toBe(2000);
    expect(behaviourOptions('healthy')).toEqual({});
    expect(behaviourOptions(undefined)).toEqual({});
    const policy = behaviourOptions('nack').nackPolicy;
    expect(policy).toBeDefined();
    expect(policy?.(TypeUrl.Cluster, response(TypeUrl.Cluster))).toBeUndefined();
    expect(policy?.(TypeUrl.Listener, response(TypeUrl.Listener))).toBeUndefined();
    expect(policy?.(TypeUrl.ClusterLoadAssignment, response(TypeUrl.ClusterLoadAssignment))).toBe(NACK_MESSAGE);
    expect(policy?.(TypeUrl.RouteConfiguration, response(TypeUrl.RouteConfiguration))).toBe(NACK_MESSAGE);
  });
});

describe('waits on a resource and byte counts (in process)', () => {
  let floor: FloorServer | undefined;
  let clients: AdsClient[] = [];
  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await floor?.close();
    floor = undefined;
  });

  it('times each holder\'s ACK of a changed copy, skips non-holders, and counts bytes since a mark', async () => {
    floor = await startFloorServer(before);
    const address = floor.address;
    clients = (['sotw', 'delta'] as const).map((mode) => connect(address, NODE, mode, { deadlineMs: 10_000 }));
    const full = (c: AdsClient): boolean =>
      c.resources(TypeUrl.ClusterLoadAssignment).size === items(before, TypeUrl.ClusterLoadAssignment).length &&
      c.resources(TypeUrl.RouteConfiguration).size === items(before, TypeUrl.RouteConfiguration).length;
    for (const client of clients) await client.waitFor(full, 5_000);
    // A client that holds nothing: not a holder, so not tracked with holdersOnly.
    const idle = connect(address, NODE, 'sotw', { deadlineMs: 10_000, followReferences: false });
    clients.push(idle);
    const marks = clients.map((c) => c.responses.length);
    const changed = waitOnResource(clients, { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'changed', holdersOnly: true, timeoutMs: 5_000 });
    expect(changed.tracked).toBe(2);
    const skipped = waitOnResource(clients, { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'changed', holdersOnly: true, timeoutMs: 5_000 }, (i) => i === 0);
    expect(skipped.tracked).toBe(1);
    const startedAt = performance.timeOrigin + performance.now();
    await floor.push(items(after, TypeUrl.ClusterLoadAssignment), 5_000);
    const result = await changed.done;
    expect(result.missing).toBe(0);
    expect(result.ackedAt).toHaveLength(2);
    for (const at of result.ackedAt) expect(at).toBeGreaterThanOrEqual(startedAt);
    expect((await skipped.done).ackedAt).toHaveLength(1);

    const counted = bytesSince(clients, marks);
    // EDS is not full state in SotW either: both got exactly one EDS response with the changed
    // item only, far less than the whole EDS state.
    expect(counted.map((c) => c.responses)).toEqual([1, 1, 0]);
    const [sotw, delta] = counted;
    const wholeEds = items(before, TypeUrl.ClusterLoadAssignment).reduce((sum, item) => sum + item.any.length, 0);
    expect(items(before, TypeUrl.ClusterLoadAssignment).length).toBeGreaterThan(2);
    expect(sotw?.byType[TypeUrl.ClusterLoadAssignment]).toBe(sotw?.bytes);
    for (const one of [sotw, delta]) {
      expect(one?.bytes ?? 0).toBeGreaterThan(0);
      expect(one?.bytes ?? Infinity).toBeLessThan(wholeEds / 2);
    }
    expect(counted[2]).toEqual({ bytes: 0, responses: 0, byType: {} });

    // Present/absent: the cluster is held now; nothing removes it, so 'absent' times out as missing.
    const present = waitOnResource(clients.slice(0, 2), { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'present', timeoutMs: 1_000 });
    expect((await present.done).ackedAt).toHaveLength(2);
    const absent = waitOnResource(clients.slice(0, 2), { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'absent', timeoutMs: 200 });
    expect(await absent.done).toEqual({ ackedAt: [], missing: 2 });
  });
});

describe('the holder index', () => {
  /** A client holding `names` of EDS, counting how often its resources are read. */
  function fakeClient(names: string[], reads: { count: number }): AdsClient {
    const held = new Map(names.map((name) => [name, { name, version: '1', any: new Uint8Array(0) }]));
    return { resources: () => (reads.count += 1, held) } as unknown as AdsClient;
  }

  it('finds the clients holding a name once, and scans again only after held names changed or the clients were replaced', () => {
    const reads = { count: 0 };
    const clients = [fakeClient(['a'], reads), fakeClient(['b'], reads), fakeClient(['a', 'b'], reads)];
    const index = holderIndex();
    expect(index.holders(clients, TypeUrl.ClusterLoadAssignment, 'a')).toEqual([0, 2]);
    expect(reads.count).toBe(3);
    expect(index.holders(clients, TypeUrl.ClusterLoadAssignment, 'a')).toEqual([0, 2]);
    expect(reads.count).toBe(3);
    expect(index.holders(clients, TypeUrl.ClusterLoadAssignment, 'b')).toEqual([1, 2]);
    index.changed();
    expect(index.holders(clients, TypeUrl.ClusterLoadAssignment, 'a')).toEqual([0, 2]);
    expect(reads.count).toBe(9);
    const replaced = [fakeClient(['a'], reads)];
    expect(index.holders(replaced, TypeUrl.ClusterLoadAssignment, 'a')).toEqual([0]);
  });

  it('is told by real clients when the names they hold change, not when a held resource gets a new version', async () => {
    const floor = await startFloorServer(before);
    let changes = 0;
    const index = holderIndex();
    const clients = (['sotw', 'delta'] as const).map((mode) =>
      connect(floor.address, NODE, mode, { deadlineMs: 10_000, onHeldNamesChange: () => (changes += 1, index.changed()) }),
    );
    try {
      const full = (c: AdsClient): boolean =>
        c.resources(TypeUrl.ClusterLoadAssignment).size === items(before, TypeUrl.ClusterLoadAssignment).length &&
        c.resources(TypeUrl.RouteConfiguration).size === items(before, TypeUrl.RouteConfiguration).length;
      for (const client of clients) await client.waitFor(full, 5_000);
      expect(changes).toBeGreaterThan(0);
      const settled = changes;
      const wait = waitOnResource(clients, { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'changed', holdersOnly: true, timeoutMs: 5_000 }, undefined, index);
      expect(wait.tracked).toBe(2);
      await floor.push(items(after, TypeUrl.ClusterLoadAssignment), 5_000);
      expect((await wait.done).ackedAt).toHaveLength(2);
      expect(changes).toBe(settled);
    } finally {
      for (const client of clients) client.close();
      await floor.close();
    }
  });
});

describe('load generator: mixed behaviours, resource waits, bytes (child process)', () => {
  let floor: FloorServer | undefined;
  let fleet: LoadFleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    await floor?.close();
    floor = undefined;
  });

  it('awaits only healthy streams, tracks only them when asked, and NACKing streams never take the change', async () => {
    floor = await startFloorServer(before);
    fleet = startLoadFleet({ processes: 1 });
    const nodes = [0, 1, 2].map((i) => sidecarClientNode(i, 'svc-00000', 'ns-0', 'a'));
    const ready = await fleet.connectMixed(floor.address, 'sotw', nodes, { behaviours: ['healthy', 'nack', 'slow'], slowDelayMs: 3_000, record: true }, 15_000);
    expect(ready).toHaveLength(3);
    expect(ready[0]).toBeGreaterThan(0);
    expect(ready.slice(1)).toEqual([0, 0]);
    // Give the NACKing stream time to subscribe EDS (after accepting CDS) and reject it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await fleet.armResource(1, { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'changed', healthyOnly: true, timeoutMs: 5_000 })).toBe(1);
    // Every stream, NACKing one included (it rejects EDS, so it never holds the new copy).
    expect(await fleet.armResource(2, { typeUrl: TypeUrl.ClusterLoadAssignment, name: CLUSTER, expect: 'changed', timeoutMs: 1_500 })).toBe(3);
    await fleet.markBytes();
    await floor.push(items(after, TypeUrl.ClusterLoadAssignment), 1_000).catch(() => undefined);
    const healthy = await fleet.collect(1);
    expect(healthy.missing).toBe(0);
    expect(healthy.ackedAt).toHaveLength(1);
    const all = await fleet.collect(2);
    // The slow stream (3 s per response) and the NACKing one miss a 1.5 s wait.
    expect(all.ackedAt).toHaveLength(1);
    expect(all.missing).toBe(2);
    const bytes = await fleet.bytes();
    expect(bytes).toHaveLength(3);
    expect(bytes[0]?.byType[TypeUrl.ClusterLoadAssignment] ?? 0).toBeGreaterThan(0);
  });

  it('the floor pushes route configurations to every stream that holds them', async () => {
    floor = await startFloorServer(before);
    fleet = startLoadFleet({ processes: 1 });
    const nodes = [0, 1].map((i) => sidecarClientNode(i, 'svc-00000', 'ns-0', 'a'));
    await fleet.connectMixed(floor.address, 'delta', nodes, {}, 15_000);
    const route = items(before, TypeUrl.RouteConfiguration)[0]?.name;
    expect(route).toBeDefined();
    // A route edit: the same RouteConfiguration with another virtual host.
    const grown = encodeResource(TypeUrl.RouteConfiguration, route ?? '', {
      name: route,
      virtual_hosts: [{ name: 'edited', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 503 } }] }],
    });
    expect(Buffer.compare(Buffer.from(grown.any), Buffer.from(items(before, TypeUrl.RouteConfiguration)[0]?.any ?? []))).not.toBe(0);
    expect(await fleet.armResource(5, { typeUrl: TypeUrl.RouteConfiguration, name: route ?? '', expect: 'changed', timeoutMs: 5_000 })).toBe(2);
    const pushed = await floor.pushType(TypeUrl.RouteConfiguration, [grown], 5_000);
    expect(pushed.streams).toBe(2);
    expect(await fleet.collect(5)).toMatchObject({ missing: 0 });
    const held = (await fleet.dump())[TypeUrl.RouteConfiguration]?.items.find((r) => r.name === route);
    expect(Buffer.compare(Buffer.from(held?.any ?? []), Buffer.from(grown.any))).toBe(0);
  });
});

describe('event-loop lag', () => {
  it('reads about zero on an idle loop and shows a 60 ms stall', async () => {
    const idle = startLagMonitor(5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const quiet = idle.stop();
    expect(quiet.samples).toBeGreaterThan(5);
    expect(quiet.p50).toBeLessThan(5);
    const busy = startLagMonitor(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // A synchronous stall, as a long encode would be.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stalled = busy.stop();
    expect(stalled.max).toBeGreaterThan(40);
    expect(stalled.max).toBeLessThan(200);
  });
});
