import { describe, expect, it } from 'vitest';
import { buildMeshModel, updateMeshModel } from '../../src/model/build-model.ts';
import type { InstanceRecord, RegistrySnapshot } from '../../src/registry/types.ts';
import { fakeConfigLookup } from '../support/fake-config-lookup.ts';
import { instanceRecord, registryFixture } from '../support/registry-fixture.ts';

const registry = registryFixture({
  instances: [
    { service: 'reviews', namespace: 'shop', address: '10.0.0.1', port: 9080, labels: { version: 'v1' } },
    { service: 'reviews', namespace: 'shop', address: '10.0.0.2', port: 9080, labels: { version: 'v2' } },
    { service: 'ratings', namespace: 'shop', address: '10.0.1.1', port: 9080 },
    { service: 'details', namespace: 'shop', address: '10.0.2.1', port: 9080 },
  ],
});

function withInstances(snapshot: RegistrySnapshot, key: string, instances: InstanceRecord[]): RegistrySnapshot {
  const next = new Map(snapshot.instances);
  next.set(key, instances);
  return { revision: snapshot.revision + 1, services: new Map(snapshot.services), instances: next };
}

const config = fakeConfigLookup({ 'reviews.shop': { subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } } } });

describe('updateMeshModel (endpoint-only changes)', () => {
  it('equals a full build, rebuilds only the changed service and keeps key order', () => {
    const previous = buildMeshModel(registry, undefined, config);
    const next = withInstances(registry, 'reviews.shop', [
      instanceRecord({ service: 'reviews', namespace: 'shop', address: '10.0.0.9', port: 9080, labels: { version: 'v2' }, weight: 7 }),
    ]);
    const updated = updateMeshModel(previous, next, ['reviews.shop'], config);
    expect(updated).toBeDefined();
    const full = buildMeshModel(next, previous, config);
    expect(updated?.revision).toBe(next.revision);
    expect([...(updated?.services.keys() ?? [])]).toEqual([...full.services.keys()]);
    expect([...(updated?.services.values() ?? [])]).toEqual([...full.services.values()]);
    expect(updated?.services.get('ratings.shop')).toBe(previous.services.get('ratings.shop'));
    expect(updated?.services.get('reviews.shop')).not.toBe(previous.services.get('reviews.shop'));
    const v2 = updated?.services.get('reviews.shop')?.clusters.find((c) => c.subset === 'v2');
    expect(v2?.endpoints.map((e) => [e.address, e.weight])).toEqual([['10.0.0.9', 7]]);
    // The previous model is untouched.
    expect(previous.services.get('reviews.shop')?.clusters[0]?.endpoints).toHaveLength(2);
  });

  it('chains: successive updates stay equal to a full build', () => {
    let model = buildMeshModel(registry);
    let current = registry;
    for (let i = 0; i < 120; i += 1) {
      const key = i % 2 === 0 ? 'ratings.shop' : 'details.shop';
      const name = key.split('.')[0] ?? '';
      current = withInstances(current, key, [instanceRecord({ service: name, namespace: 'shop', address: `10.1.0.${i % 250}`, port: 9080, weight: 1 + (i % 9) })]);
      const updated = updateMeshModel(model, current, [key]);
      if (!updated) throw new Error('update refused');
      model = updated;
    }
    expect([...model.services.values()]).toEqual([...buildMeshModel(current).services.values()]);
  });

  it('refuses (undefined) when a service is new, the config lookup changed, or the trust domain differs', () => {
    const previous = buildMeshModel(registry, undefined, config);
    const added = registryFixture({ instances: [...[...registry.instances.values()].flat(), { service: 'cart', namespace: 'shop', address: '10.0.9.1', port: 80 }] });
    expect(updateMeshModel(previous, added, ['cart.shop'], config)).toBeUndefined();
    const next = withInstances(registry, 'ratings.shop', []);
    expect(updateMeshModel(previous, next, ['ratings.shop'], fakeConfigLookup({}, 2))).toBeUndefined();
    expect(updateMeshModel(previous, next, ['ratings.shop'], config, { trustDomain: 'other.example' })).toBeUndefined();
    expect(updateMeshModel(previous, next, ['ratings.shop'], config)).toBeDefined();
  });
});
