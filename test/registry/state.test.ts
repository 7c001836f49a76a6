/**
 * applyPlan: an instances-only plan (every registration and heartbeat) keeps the service map and
 * patches the instance map, with the same result as the general path; routing changes are told
 * apart from heartbeats.
 */
import { describe, expect, it } from 'vitest';
import { applyPlan, emptyPlan } from '../../src/registry/state.ts';
import type { InstanceRecord, RegistrySnapshot } from '../../src/registry/types.ts';
import { instanceRecord, registryFixture } from '../support/registry-fixture.ts';

const base = registryFixture({
  instances: ['alpha', 'beta', 'gamma', 'delta'].map((service, i) => ({ service, namespace: 'shop', address: `10.0.0.${i + 1}`, port: 8080 })),
});

const op = { type: 'put', key: 'k', value: 'v' } as const;

function instancesPlan(entries: [string, InstanceRecord[]][]): ReturnType<typeof emptyPlan> {
  const plan = emptyPlan();
  plan.operations.push(op as never);
  for (const [key, list] of entries) plan.instances.set(key, list);
  return plan;
}

const flat = (snapshot: RegistrySnapshot): [string, readonly InstanceRecord[]][] => [...snapshot.instances.entries()];

describe('applyPlan', () => {
  it('applies an instances-only plan without copying the service map, in the same order and content as a general plan', () => {
    const moved = [instanceRecord({ service: 'beta', namespace: 'shop', address: '10.9.9.9', port: 8080 })];
    const result = applyPlan(base, instancesPlan([['beta.shop', moved]]));
    expect(result?.snapshot.services).toBe(base.services);
    expect(result?.snapshot.revision).toBe(base.revision + 1);
    expect(result?.change).toEqual({ revision: base.revision + 1, endpointsChanged: ['beta.shop'], servicesChanged: [] });
    expect([...(result?.snapshot.instances.keys() ?? [])]).toEqual([...base.instances.keys()]);
    expect(result?.snapshot.instances.get('beta.shop')).toEqual(moved);
    expect(Object.isFrozen(result?.snapshot.instances.get('beta.shop')?.[0])).toBe(true);
    expect(result?.snapshot.instances.get('alpha.shop')).toBe(base.instances.get('alpha.shop'));
    // The general path (a plan that also redefines a service) gives the same instances.
    const general = instancesPlan([['beta.shop', moved]]);
    general.services.set('omega.shop', { name: 'omega', namespace: 'shop', protocol: 'http' });
    const both = applyPlan(base, general);
    expect(flat(both?.snapshot ?? base).filter(([key]) => key !== 'omega.shop')).toEqual(flat(result?.snapshot ?? base));
  });

  it('tells a heartbeat from a routing change, ignores services that do not exist, and patches again on top of a patch', () => {
    const alpha = base.instances.get('alpha.shop') ?? [];
    const beat = alpha.map((i) => ({ ...i, heartbeatAt: 123 }));
    const heartbeat = applyPlan(base, instancesPlan([['alpha.shop', beat], ['nobody.shop', beat]]));
    expect(heartbeat?.change.endpointsChanged).toEqual([]);
    expect(heartbeat?.snapshot.instances.has('nobody.shop')).toBe(false);
    expect(heartbeat?.snapshot.instances.get('alpha.shop')?.[0]?.heartbeatAt).toBe(123);
    const reweighted = alpha.map((i) => ({ ...i, weight: 5 }));
    const next = applyPlan(heartbeat?.snapshot ?? base, instancesPlan([['alpha.shop', reweighted]]));
    expect(next?.change.endpointsChanged).toEqual(['alpha.shop']);
    expect(next?.snapshot.instances.get('alpha.shop')?.[0]?.weight).toBe(5);
    expect(next?.snapshot.instances.size).toBe(base.instances.size);
  });
});
