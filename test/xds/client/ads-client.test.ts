import { afterEach, describe, expect, it } from 'vitest';
import { connect, type AdsClient } from '../../../src/xds/client/ads-client.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, cla, cluster, listener, route, scope, scopedListener, snapshotOf, startServer, staticCluster, type Running } from '../server/helpers.ts';

let running: Running | undefined;
const clients: AdsClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await running?.server.close();
  running = undefined;
});

const mesh = basicMesh({
  clusters: [cluster('a'), cluster('b', 1, 'b-endpoints'), staticCluster('s')],
  clas: [cla('a'), cla('b-endpoints'), cla('unused')],
  listeners: [listener('l1', 'r1'), listener('l2', 'r2')],
  routes: [route('r1', 'a'), route('r2', 'b'), route('r3', 'a')],
});

const keys = (m: ReadonlyMap<string, unknown>): string[] => [...m.keys()].sort();

function open(r: Running, mode: 'sotw' | 'delta', options: Parameters<typeof connect>[3] = {}): AdsClient {
  const client = connect(r.address, { id: `client-${clients.length}`, cluster: 'c' }, mode, { deadlineMs: 15_000, ...options });
  clients.push(client);
  return client;
}

describe.each(['sotw', 'delta'] as const)('ADS client (%s)', (mode) => {
  it('follows references like Envoy: CDS+LDS wildcard, then EDS and RDS by name', async () => {
    running = await startServer(snapshotOf(mesh));
    const client = open(running, mode);
    await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).size === 2 && c.resources(TypeUrl.RouteConfiguration).size === 2, 5000);
    expect(keys(client.resources(TypeUrl.Cluster))).toEqual(['a', 'b', 's']);
    expect(keys(client.resources(TypeUrl.ClusterLoadAssignment))).toEqual(['a', 'b-endpoints']);
    expect(keys(client.resources(TypeUrl.Listener))).toEqual(['l1', 'l2']);
    expect(keys(client.resources(TypeUrl.RouteConfiguration))).toEqual(['r1', 'r2']);
    expect(client.decoded(TypeUrl.RouteConfiguration, 'r2')?.['name']).toBe('r2');
    const record = client.responses[0];
    expect(record?.bytes).toBeGreaterThan(0);
    expect(record?.at).toBeGreaterThan(0);

    // The server has every type acknowledged for this stream.
    await client.waitFor(() => {
      const types = running?.server.status()[0]?.types;
      return types !== undefined && (['CDS', 'EDS', 'LDS', 'RDS'] as const).every((t) => types[t]?.versionAcked !== undefined && !types[t]?.awaitingAck);
    }, 3000);
    // No listener has scoped routes: no SRDS subscription at all.
    expect(running.server.status()[0]?.types.SRDS).toBeUndefined();

    // Dropping a listener drops its route subscription.
    running.source.set(snapshotOf({ ...mesh, listeners: [listener('l1', 'r1')] }));
    await client.waitFor((c) => c.resources(TypeUrl.Listener).size === 1 && c.resources(TypeUrl.RouteConfiguration).size === 1, 5000);
    expect(keys(client.resources(TypeUrl.RouteConfiguration))).toEqual(['r1']);
  });

  it('tells handled-response listeners each type after applying it, until stopped', async () => {
    running = await startServer(snapshotOf(mesh));
    const client = open(running, mode);
    const seen: (string | undefined)[] = [];
    let heldAtCall = -1;
    const stop = client.onHandled((typeUrl) => {
      seen.push(typeUrl);
      if (typeUrl === TypeUrl.Cluster) heldAtCall = client.resources(TypeUrl.Cluster).size;
    });
    await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).size === 2 && c.resources(TypeUrl.RouteConfiguration).size === 2, 5000);
    expect(new Set(seen)).toEqual(new Set([TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration]));
    // Called after the response was applied.
    expect(heldAtCall).toBe(3);
    stop();
    const before = seen.length;
    running.source.set(snapshotOf({ ...mesh, listeners: [listener('l1', 'r1')] }));
    await client.waitFor((c) => c.resources(TypeUrl.Listener).size === 1, 5000);
    expect(seen).toHaveLength(before);
  });

  it('follows scoped routes like Envoy: wildcard SRDS for a scoped listener, RDS for what listeners and scopes name', async () => {
    const scoped = {
      ...mesh,
      listeners: [scopedListener('l'), listener('l2', 'r0')],
      scopes: [scope('s1', 'a.ns', 'r1'), scope('s2', 'a', 'r1'), scope('s3', 'b.ns', 'r2')],
      routes: [route('r0', 'a'), route('r1', 'a'), route('r2', 'b'), route('r3', 'b')],
    };
    running = await startServer(snapshotOf(scoped));
    const client = open(running, mode);
    await client.waitFor((c) => c.resources(TypeUrl.ScopedRouteConfiguration).size === 3 && c.resources(TypeUrl.RouteConfiguration).size === 3, 5000);
    expect(client.subscription(TypeUrl.ScopedRouteConfiguration).wildcard).toBe(true);
    expect(keys(client.resources(TypeUrl.RouteConfiguration))).toEqual(['r0', 'r1', 'r2']);
    await client.waitFor(() => {
      const types = running?.server.status()[0]?.types;
      return types?.SRDS?.subscribed === 'wildcard' && types.SRDS.versionAcked !== undefined && types.RDS?.subscribed === 3;
    }, 3000);

    // A scope goes (SotW: missing from the full state; delta: removed) and takes its route with it;
    // a new scope brings its route.
    running.source.set(snapshotOf({ ...scoped, scopes: [scope('s1', 'a.ns', 'r1'), scope('s2', 'a', 'r1'), scope('s4', 'c.ns', 'r3')] }));
    await client.waitFor((c) => c.resources(TypeUrl.RouteConfiguration).has('r3') && !c.resources(TypeUrl.RouteConfiguration).has('r2'), 5000);
    expect(keys(client.resources(TypeUrl.ScopedRouteConfiguration))).toEqual(['s1', 's2', 's4']);
    expect(keys(client.resources(TypeUrl.RouteConfiguration))).toEqual(['r0', 'r1', 'r3']);
  });

  it('NACKs by policy and keeps what it had', async () => {
    running = await startServer(snapshotOf(mesh));
    let reject = false;
    const client = open(running, mode, { nackPolicy: (type) => (reject && type === TypeUrl.ClusterLoadAssignment ? 'no thanks' : undefined) });
    await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).size === 2, 5000);
    const before = client.resources(TypeUrl.ClusterLoadAssignment).get('a')?.any;
    reject = true;
    running.source.set(snapshotOf({ ...mesh, clas: [cla('a', [1, 2]), cla('b-endpoints'), cla('unused')] }));
    await client.waitFor((c) => c.responses.some((x) => x.nacked === 'no thanks'), 5000);
    expect(client.resources(TypeUrl.ClusterLoadAssignment).get('a')?.any).toEqual(before);
    await client.waitFor(() => running?.server.status()[0]?.types.EDS?.lastNack?.message === 'no thanks', 3000);
  });

  it('reconnects announcing what it holds, so only changes are sent', async () => {
    running = await startServer(snapshotOf(mesh));
    const client = open(running, mode, { applyDelayMs: 5 });
    await client.waitFor((c) => c.resources(TypeUrl.RouteConfiguration).size === 2, 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const changed = { ...mesh, clas: [cla('a', [4]), cla('b-endpoints'), cla('unused')] };
    running.source.set(snapshotOf(changed));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seen = client.responses.length;
    client.reconnect();
    const expected = snapshotOf(changed).resources[TypeUrl.ClusterLoadAssignment].items.get('a')?.any;
    await client.waitFor((c) => Buffer.compare(Buffer.from(c.resources(TypeUrl.ClusterLoadAssignment).get('a')?.any ?? []), Buffer.from(expected ?? [])) === 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = client.responses.slice(seen).filter((r) => r.names.length > 0 || r.removed.length > 0);
    // Whatever reached the old stream, the new one carries only EDS changes.
    expect(after.every((r) => r.typeUrl === TypeUrl.ClusterLoadAssignment)).toBe(true);
    if (mode === 'delta') expect(after.flatMap((r) => r.names)).not.toContain('b-endpoints');
    expect(running.server.status()).toHaveLength(1);
  });
});
