import { afterEach, describe, expect, it } from 'vitest';
import { endpointsOf, startFloorServer, type FloorServer } from '../../bench/lib/floor-server.ts';
import { startLoadFleet, type LoadFleet } from '../../bench/lib/load-fleet.ts';
import { sidecarClientNode } from '../../bench/lib/load-protocol.ts';
import { generateRegistrySnapshot } from '../../bench/lib/mesh-generator.ts';
import { outboundClusterName } from '../../src/model/names.ts';
import { connect, type AdsClient } from '../../src/xds/client/ads-client.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { dumpOf, NODE, reweighted, TARGET } from '../support/bench-mesh.ts';


describe('floor server', () => {
  let floor: FloorServer | undefined;
  let clients: AdsClient[] = [];
  let fleet: LoadFleet | undefined;
  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await fleet?.close();
    fleet = undefined;
    await floor?.close();
    floor = undefined;
  });

  const registry = generateRegistrySnapshot({ services: 4, endpointsPerService: 2 });
  const before = dumpOf(registry);
  const after = dumpOf(reweighted(registry, 50));
  const cluster = outboundClusterName(TARGET);

  it('serves the dump to Envoy-like clients and pushes one EDS change they ACK', async () => {
    expect(endpointsOf(before).length).toBeGreaterThan(0);
    floor = await startFloorServer(before);
    for (const mode of ['sotw', 'delta'] as const) {
      const client = connect(floor.address, NODE, mode, { deadlineMs: 10_000 });
      clients.push(client);
      await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).size === endpointsOf(before).length, 5_000);
      expect(client.resources(TypeUrl.Cluster).size).toBe(before[TypeUrl.Cluster]?.items.length);
    }
    const old = clients.map((c) => c.resources(TypeUrl.ClusterLoadAssignment).get(cluster)?.any);
    expect(floor.streams()).toBe(2);
    const pushed = await floor.push(endpointsOf(after), 5_000);
    expect(pushed.streams).toBe(2);
    expect(pushed.allAckedAt).toBeGreaterThanOrEqual(pushed.startedAt);
    const expected = after[TypeUrl.ClusterLoadAssignment]?.items.find((i) => i.name === cluster)?.any;
    expect(expected).toBeDefined();
    for (const [index, client] of clients.entries()) {
      const now = client.resources(TypeUrl.ClusterLoadAssignment).get(cluster)?.any;
      expect(Buffer.compare(Buffer.from(now ?? []), Buffer.from(old[index] ?? []))).not.toBe(0);
      expect(Buffer.compare(Buffer.from(now ?? []), Buffer.from(expected ?? []))).toBe(0);
      // SotW replaces the whole EDS state, delta only the changed items: both end with all of them.
      expect(client.resources(TypeUrl.ClusterLoadAssignment).size).toBe(endpointsOf(after).length);
    }
    const delta = clients[1]?.decoded(TypeUrl.ClusterLoadAssignment, cluster);
    expect(JSON.stringify(delta)).toContain('50');
  });

  it('lets a load generator process connect streams and report their ACK of a change', async () => {
    floor = await startFloorServer(before);
    fleet = startLoadFleet({ processes: 1 });
    const nodes = [0, 1, 2].map((i) => sidecarClientNode(i, 'svc-00000', 'ns-0', 'a'));
    const ready = await fleet.connect(floor.address, 'delta', nodes, 15_000);
    expect(ready).toHaveLength(3);
    const dump = await fleet.dump();
    expect(dump[TypeUrl.ClusterLoadAssignment]?.items.length).toBe(endpointsOf(before).length);
    await fleet.arm(1, cluster, 5_000);
    const startedAt = performance.timeOrigin + performance.now();
    await floor.push(endpointsOf(after), 5_000);
    const result = await fleet.collect(1);
    expect(result.missing).toBe(0);
    expect(result.ackedAt).toHaveLength(3);
    for (const at of result.ackedAt) expect(at).toBeGreaterThanOrEqual(startedAt);
    // Nothing changes for a cluster no push touches: the wait times out with every stream missing.
    await fleet.arm(2, outboundClusterName('svc-00001.ns-1'), 300);
    expect(await fleet.collect(2)).toEqual({ ackedAt: [], missing: 3 });
    expect((await fleet.usage()).cpuSeconds).toBeGreaterThan(0);
  });
});
