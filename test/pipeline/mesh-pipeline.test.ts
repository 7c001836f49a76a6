import { afterEach, describe, expect, it } from 'vitest';
import { createMeshPipeline, type MeshPipeline, type RegistryFeed } from '../../src/pipeline/mesh-pipeline.ts';
import type { InstanceRecord, RegistryChange, RegistrySnapshot } from '../../src/registry/types.ts';
import type { NodeInfo, Snapshot } from '../../src/xds/cache/types.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { instanceRecord, registryFixture } from '../support/registry-fixture.ts';

/** A registry feed whose snapshot the test replaces, announcing each change like the real registry. */
function fakeRegistry(initial: RegistrySnapshot): RegistryFeed & { publish(next: RegistrySnapshot, change: Omit<RegistryChange, 'revision'>): void } {
  let current = initial;
  const listeners = new Set<(change: RegistryChange, snapshot: RegistrySnapshot) => void>();
  return {
    snapshot: () => current,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(next, change) {
      current = next;
      for (const listener of listeners) listener({ revision: next.revision, ...change }, next);
    },
  };
}

function sidecar(id: string, service: string, namespace: string, zone = 'a'): NodeInfo {
  return {
    id,
    cluster: service,
    metadata: { 'trellis.kind': 'sidecar', 'trellis.service': service, 'trellis.namespace': namespace },
    locality: { region: 'r1', zone },
    user_agent_name: 'envoy',
    user_agent_version: '',
  };
}

const base = registryFixture({
  instances: [
    { service: 'reviews', namespace: 'shop', address: '10.0.0.1', port: 9080, locality: { region: 'r1', zone: 'a' } },
    { service: 'reviews', namespace: 'shop', address: '10.0.0.2', port: 9080, locality: { region: 'r1', zone: 'b' } },
    { service: 'ratings', namespace: 'shop', address: '10.0.1.1', port: 9080, locality: { region: 'r1', zone: 'a' } },
  ],
});

/** The registry with `service`'s instances replaced, and a new revision. */
function withInstances(snapshot: RegistrySnapshot, key: string, instances: InstanceRecord[]): RegistrySnapshot {
  const next = new Map(snapshot.instances);
  next.set(key, instances);
  return { revision: snapshot.revision + 1, services: snapshot.services, instances: next };
}

function names(snapshot: Snapshot | undefined, url: string): string[] {
  return [...(snapshot?.resources[url as keyof Snapshot['resources']]?.items.keys() ?? [])];
}

let pipeline: MeshPipeline | undefined;
afterEach(() => pipeline?.close());

describe('mesh pipeline', () => {
  it('serves a consistent snapshot to a new watcher at once', () => {
    pipeline = createMeshPipeline({ registry: fakeRegistry(base) });
    const watch = pipeline.watch(sidecar('a', 'reviews', 'shop'), () => undefined);
    const snapshot = watch.current();
    expect(names(snapshot, TypeUrl.Cluster)).toEqual(['outbound|ratings.shop', 'outbound|reviews.shop']);
    expect(names(snapshot, TypeUrl.ClusterLoadAssignment)).toEqual(['outbound|ratings.shop', 'outbound|reviews.shop']);
    expect(names(snapshot, TypeUrl.RouteConfiguration)).toEqual(['outbound_http/ratings.shop', 'outbound_http/reviews.shop']);
    // Scopes by host name, in name order.
    expect(names(snapshot, TypeUrl.ScopedRouteConfiguration)).toEqual([
      'outbound_http/ratings',
      'outbound_http/ratings.shop',
      'outbound_http/reviews',
      'outbound_http/reviews.shop',
    ]);
  });

  it('shares one snapshot between proxies with equal views, and separates different views', () => {
    pipeline = createMeshPipeline({ registry: fakeRegistry(base) });
    const first = pipeline.watch(sidecar('a', 'reviews', 'shop'), () => undefined);
    const second = pipeline.watch(sidecar('b', 'reviews', 'shop'), () => undefined);
    const otherZone = pipeline.watch(sidecar('c', 'reviews', 'shop', 'b'), () => undefined);
    expect(second.current()).toBe(first.current());
    expect(otherZone.current()).not.toBe(first.current());
    expect(pipeline.views().map((v) => v.proxies).sort()).toEqual([1, 2]);
  });

  it('encodes each per-service resource once, however many views contain it', () => {
    pipeline = createMeshPipeline({ registry: fakeRegistry(base) });
    const first = pipeline.watch(sidecar('a', 'reviews', 'shop'), () => undefined).current();
    const encodedAfterFirst = pipeline.stats().encoded;
    const second = pipeline.watch(sidecar('b', 'ratings', 'shop'), () => undefined).current();
    // A different view (own service differs) shares every cluster and CLA object and its bytes.
    expect(second).not.toBe(first);
    for (const url of [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration, TypeUrl.ScopedRouteConfiguration]) {
      expect(first?.resources[url].items.size, url).toBeGreaterThan(0);
      for (const [name, resource] of first?.resources[url].items ?? []) {
        if (!name.startsWith('inbound')) expect(second?.resources[url].items.get(name)).toBe(resource);
      }
    }
    const newlyEncoded = pipeline.stats().encoded - encodedAfterFirst;
    // Only view-dependent resources are new: listeners (route configurations and scopes are shared).
    expect(newlyEncoded).toBeLessThanOrEqual(second?.resources[TypeUrl.Listener].items.size ?? 0);
  });

  it('versions by content: another replica (or a restart) serves the same versions for the same mesh, new ones for another', () => {
    const one = createMeshPipeline({ registry: fakeRegistry(base) });
    const two = createMeshPipeline({ registry: fakeRegistry(registryFixture({ revision: 99, instances: [...base.instances.values()].flat() })) });
    const changed = createMeshPipeline({ registry: fakeRegistry(withInstances(base, 'ratings.shop', [])) });
    try {
      const a = one.watch(sidecar('a', 'reviews', 'shop'), () => undefined).current();
      const b = two.watch(sidecar('b', 'reviews', 'shop'), () => undefined).current();
      const c = changed.watch(sidecar('a', 'reviews', 'shop'), () => undefined).current();
      expect(b?.version).toBe(a?.version);
      for (const url of Object.values(TypeUrl)) expect(b?.resources[url].version).toBe(a?.resources[url].version);
      expect(c?.resources[TypeUrl.ClusterLoadAssignment].version).not.toBe(a?.resources[TypeUrl.ClusterLoadAssignment].version);
      expect(c?.resources[TypeUrl.Cluster].version).toBe(a?.resources[TypeUrl.Cluster].version);
    } finally {
      one.close();
      two.close();
      changed.close();
    }
  });

  it('coalesces a burst of changes into one notification per view', async () => {
    const registry = fakeRegistry(base);
    pipeline = createMeshPipeline({ registry });
    const seen: Snapshot[] = [];
    pipeline.watch(sidecar('a', 'reviews', 'shop'), (s) => seen.push(s));
    let snapshot = base;
    for (let weight = 2; weight <= 6; weight += 1) {
      snapshot = withInstances(snapshot, 'ratings.shop', [instanceRecord({ service: 'ratings', namespace: 'shop', address: '10.0.1.1', port: 9080, weight })]);
      registry.publish(snapshot, { endpointsChanged: ['ratings.shop'], servicesChanged: [] });
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1);
    expect(pipeline.stats().flushes).toBe(1);
  });

  it('rebuilds only endpoints on an endpoint-only change and notifies only views that see the service', async () => {
    const registry = fakeRegistry(
      registryFixture({
        services: [{ name: 'isolated', namespace: 'other' }],
        instances: [
          { service: 'reviews', namespace: 'shop', address: '10.0.0.1', port: 9080 },
          { service: 'ratings', namespace: 'shop', address: '10.0.1.1', port: 9080 },
        ],
      }),
    );
    pipeline = createMeshPipeline({ registry });
    const reviewsSeen: Snapshot[] = [];
    const watch = pipeline.watch(sidecar('a', 'reviews', 'shop'), (s) => reviewsSeen.push(s));
    const before = watch.current();
    if (!before) throw new Error('no snapshot');
    const fullBuilds = pipeline.stats().fullBuilds;
    const next = withInstances(registry.snapshot(), 'ratings.shop', [
      instanceRecord({ service: 'ratings', namespace: 'shop', address: '10.0.1.1', port: 9080 }),
      instanceRecord({ service: 'ratings', namespace: 'shop', address: '10.0.1.2', port: 9080 }),
    ]);
    registry.publish(next, { endpointsChanged: ['ratings.shop'], servicesChanged: [] });
    pipeline.flushNow();
    const after = watch.current();
    expect(after?.version).not.toBe(before.version);
    expect(pipeline.stats().fullBuilds).toBe(fullBuilds);
    expect(pipeline.stats().endpointOnlyBuilds).toBe(1);
    // Every type but EDS is the very same resource set: nothing else is re-sent or re-encoded.
    for (const url of [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.RouteConfiguration]) {
      expect(after?.resources[url]).toBe(before.resources[url]);
    }
    expect(after?.resources[TypeUrl.ClusterLoadAssignment].items.get('outbound|reviews.shop')).toBe(
      before.resources[TypeUrl.ClusterLoadAssignment].items.get('outbound|reviews.shop'),
    );
    expect(after?.resources[TypeUrl.ClusterLoadAssignment].items.get('outbound|ratings.shop')?.version).not.toBe(
      before.resources[TypeUrl.ClusterLoadAssignment].items.get('outbound|ratings.shop')?.version,
    );
    expect(reviewsSeen).toHaveLength(1);
  });

  it('builds the new endpoint set once for every view with the same endpoints and locality', () => {
    const registry = fakeRegistry(base);
    pipeline = createMeshPipeline({ registry });
    const reviews = pipeline.watch(sidecar('a', 'reviews', 'shop'), () => undefined);
    const ratings = pipeline.watch(sidecar('b', 'ratings', 'shop'), () => undefined);
    const elsewhere = pipeline.watch(sidecar('c', 'ratings', 'shop', 'b'), () => undefined);
    registry.publish(
      withInstances(base, 'ratings.shop', [instanceRecord({ service: 'ratings', namespace: 'shop', address: '10.0.1.9', port: 9080 })]),
      { endpointsChanged: ['ratings.shop'], servicesChanged: [] },
    );
    pipeline.flushNow();
    const eds = (w: typeof reviews) => w.current()?.resources[TypeUrl.ClusterLoadAssignment];
    expect(eds(reviews)).toBe(eds(ratings));
    // Another zone orders priorities differently: its own set.
    expect(eds(elsewhere)).not.toBe(eds(reviews));
    expect(eds(reviews)?.items.get('outbound|ratings.shop')?.version).not.toBe(undefined);
  });

  it('does not notify when a change leaves a view identical', async () => {
    const registry = fakeRegistry(base);
    pipeline = createMeshPipeline({ registry });
    const seen: Snapshot[] = [];
    pipeline.watch(sidecar('a', 'reviews', 'shop'), (s) => seen.push(s));
    // Same content, new arrays (as a heartbeat or an identical re-registration would produce).
    const same = withInstances(base, 'ratings.shop', (base.instances.get('ratings.shop') ?? []).map((i) => ({ ...i })));
    registry.publish(same, { endpointsChanged: ['ratings.shop'], servicesChanged: [] });
    pipeline.flushNow();
    expect(seen).toHaveLength(0);
  });

  it('rebuilds fully when a service is added, and the new service appears', () => {
    const registry = fakeRegistry(base);
    pipeline = createMeshPipeline({ registry });
    const seen: Snapshot[] = [];
    pipeline.watch(sidecar('a', 'reviews', 'shop'), (s) => seen.push(s));
    const added = registryFixture({
      revision: 2,
      instances: [
        ...[...base.instances.values()].flat().map((i) => ({ ...i, locality: i.locality })),
        { service: 'details', namespace: 'shop', address: '10.0.2.1', port: 9080 },
      ],
    });
    registry.publish(added, { endpointsChanged: [], servicesChanged: ['details.shop'] });
    pipeline.flushNow();
    expect(seen).toHaveLength(1);
    expect(names(seen[0], TypeUrl.Cluster)).toContain('outbound|details.shop');
  });

  it('keeps a view nobody watches for its grace period, so a reconnecting proxy reuses it, then forgets it', async () => {
    pipeline = createMeshPipeline({ registry: fakeRegistry(base), viewGraceMs: 60 });
    const first = pipeline.watch(sidecar('a', 'reviews', 'shop'), () => undefined);
    const snapshot = first.current();
    first.close();
    expect(pipeline.views()).toHaveLength(1);
    const builds = pipeline.stats().fullBuilds;
    const again = pipeline.watch(sidecar('a', 'reviews', 'shop'), () => undefined);
    expect(again.current()).toBe(snapshot);
    expect(pipeline.stats().fullBuilds).toBe(builds);
    again.close();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(pipeline.views()).toHaveLength(0);
  });

  it('stops notifying a closed watch and forgets views nobody watches', () => {
    const registry = fakeRegistry(base);
    pipeline = createMeshPipeline({ registry });
    const seen: Snapshot[] = [];
    const watch = pipeline.watch(sidecar('a', 'reviews', 'shop'), (s) => seen.push(s));
    watch.close();
    expect(pipeline.views()).toHaveLength(0);
    registry.publish(withInstances(base, 'ratings.shop', []), { endpointsChanged: ['ratings.shop'], servicesChanged: [] });
    pipeline.flushNow();
    expect(seen).toHaveLength(0);
  });
});
