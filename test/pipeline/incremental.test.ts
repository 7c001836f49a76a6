/**
 * The pipeline's endpoint-only path (model update, service → views index, patched endpoint sets)
 * must give exactly what a from-scratch pipeline gives for the same registry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMeshPipeline, type MeshPipeline, type RegistryFeed } from '../../src/pipeline/mesh-pipeline.ts';
import type { InstanceRecord, RegistryChange, RegistrySnapshot } from '../../src/registry/types.ts';
import type { NodeInfo, Snapshot } from '../../src/xds/cache/types.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { fakeConfigLookup } from '../support/fake-config-lookup.ts';
import { instanceRecord, registryFixture } from '../support/registry-fixture.ts';

function feed(initial: RegistrySnapshot): RegistryFeed & { publish(next: RegistrySnapshot, change: Omit<RegistryChange, 'revision'>): void } {
  let current = initial;
  const listeners = new Set<(change: RegistryChange, snapshot: RegistrySnapshot) => void>();
  return {
    snapshot: () => current,
    onChange: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    publish(next, change) {
      current = next;
      for (const listener of listeners) listener({ revision: next.revision, ...change }, next);
    },
  };
}

function sidecar(service: string, namespace = 'shop'): NodeInfo {
  return {
    id: `${service}-1`,
    cluster: service,
    metadata: { 'trellis.kind': 'sidecar', 'trellis.service': service, 'trellis.namespace': namespace },
    locality: { region: 'r1', zone: 'a' },
    user_agent_name: 'envoy',
    user_agent_version: '',
  };
}

const SERVICES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
const initial = registryFixture({
  instances: SERVICES.flatMap((service, s) => [1, 2].map((n) => ({ service, namespace: 'shop', address: `10.0.${s}.${n}`, port: 8080, locality: { region: 'r1', zone: n === 1 ? 'a' : 'b' } }))),
});

function withInstances(snapshot: RegistrySnapshot, key: string, instances: InstanceRecord[], services = snapshot.services): RegistrySnapshot {
  const next = new Map(snapshot.instances);
  next.set(key, instances);
  return { revision: snapshot.revision + 1, services, instances: next };
}

function endpointsOf(snapshot: Snapshot | undefined): Array<[string, string]> {
  return [...(snapshot?.resources[TypeUrl.ClusterLoadAssignment].items.values() ?? [])].map((r) => [r.name, r.version]);
}

// Config: gamma's sidecar depends on alpha only; the others see every service.
const config = fakeConfigLookup({ 'gamma.shop': { dependencies: ['alpha.shop'] } });
const configFeed = { lookup: () => config, onChange: () => () => undefined };

const opened: MeshPipeline[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

function fresh(registry: RegistrySnapshot, node: NodeInfo): Snapshot | undefined {
  const pipeline = createMeshPipeline({ registry: feed(registry), config: configFeed });
  opened.push(pipeline);
  return pipeline.watch(node, () => undefined).current();
}

describe('endpoint-only recompute', () => {
  it('after many endpoint changes, every view equals a from-scratch build of the final registry', () => {
    const registry = feed(initial);
    const pipeline = createMeshPipeline({ registry, config: configFeed });
    opened.push(pipeline);
    const nodes = [sidecar('alpha'), sidecar('beta'), sidecar('gamma')];
    const watches = nodes.map((node) => pipeline.watch(node, () => undefined));
    let current = initial;
    for (let i = 0; i < 150; i += 1) {
      const service = SERVICES[i % SERVICES.length] ?? 'alpha';
      current = withInstances(current, `${service}.shop`, [instanceRecord({ service, namespace: 'shop', address: `10.9.${i % 200}.1`, port: 8080, weight: 1 + (i % 7), locality: { region: 'r1', zone: 'a' } })]);
      registry.publish(current, { endpointsChanged: [`${service}.shop`], servicesChanged: [] });
      pipeline.flushNow();
    }
    expect(pipeline.stats().endpointOnlyBuilds).toBeGreaterThan(0);
    nodes.forEach((node, i) => {
      const expected = fresh(current, node);
      const actual = watches[i]?.current();
      expect(actual?.version).toBe(expected?.version);
      expect(endpointsOf(actual)).toEqual(endpointsOf(expected));
    });
  });

  it('several services changed in one flush: views that see different ones, in different zones, each equal a from-scratch build', () => {
    const registry = feed(initial);
    const pipeline = createMeshPipeline({ registry, config: configFeed });
    opened.push(pipeline);
    const zoneB = { ...sidecar('delta'), id: 'delta-b', locality: { region: 'r1', zone: 'b' } };
    // gamma sees alpha only; beta and delta (zones a and b) see alpha and epsilon.
    const nodes = [sidecar('beta'), sidecar('gamma'), sidecar('delta'), zoneB];
    const watches = nodes.map((node) => pipeline.watch(node, () => undefined));
    const builds = pipeline.stats().fullBuilds;
    let current = initial;
    for (const [service, s] of [['alpha', 1], ['epsilon', 2]] as const) {
      current = withInstances(current, `${service}.shop`, [
        instanceRecord({ service, namespace: 'shop', address: `10.6.${s}.1`, port: 8080, locality: { region: 'r1', zone: 'a' } }),
        instanceRecord({ service, namespace: 'shop', address: `10.6.${s}.2`, port: 8080, locality: { region: 'r1', zone: 'b' } }),
      ]);
    }
    registry.publish(current, { endpointsChanged: ['alpha.shop', 'epsilon.shop'], servicesChanged: [] });
    pipeline.flushNow();
    expect(pipeline.stats().fullBuilds).toBe(builds);
    nodes.forEach((node, i) => {
      const expected = fresh(current, node);
      const actual = watches[i]?.current();
      expect(endpointsOf(actual)).toEqual(endpointsOf(expected));
      expect(actual?.version).toBe(expected?.version);
    });
    // Zones order endpoint priorities differently: the two delta sidecars hold different sets.
    expect(watches[2]?.current()?.resources[TypeUrl.ClusterLoadAssignment]).not.toBe(watches[3]?.current()?.resources[TypeUrl.ClusterLoadAssignment]);
  });

  it('notifies only the views that see the changed service', () => {
    const registry = feed(initial);
    const pipeline = createMeshPipeline({ registry, config: configFeed });
    opened.push(pipeline);
    const calls = { beta: 0, gamma: 0 };
    pipeline.watch(sidecar('beta'), () => (calls.beta += 1));
    pipeline.watch(sidecar('gamma'), () => (calls.gamma += 1));
    const next = withInstances(initial, 'delta.shop', [instanceRecord({ service: 'delta', namespace: 'shop', address: '10.7.0.1', port: 8080 })]);
    registry.publish(next, { endpointsChanged: ['delta.shop'], servicesChanged: [] });
    pipeline.flushNow();
    expect(calls).toEqual({ beta: 1, gamma: 0 });
  });

  it('keeps the service → views index right when a view is re-keyed by a new service', () => {
    const registry = feed(initial);
    const pipeline = createMeshPipeline({ registry, config: configFeed });
    opened.push(pipeline);
    const watch = pipeline.watch(sidecar('beta'), () => undefined);
    // A new service: beta's view (which sees everything) changes key.
    const services = new Map(initial.services);
    services.set('zeta.shop', { name: 'zeta', namespace: 'shop', protocol: 'http' });
    let current = withInstances(initial, 'zeta.shop', [instanceRecord({ service: 'zeta', namespace: 'shop', address: '10.8.0.1', port: 8080 })], services);
    registry.publish(current, { endpointsChanged: [], servicesChanged: ['zeta.shop'] });
    pipeline.flushNow();
    // Then an endpoint change of the new service must reach the re-keyed view.
    current = withInstances(current, 'zeta.shop', [instanceRecord({ service: 'zeta', namespace: 'shop', address: '10.8.0.2', port: 8080 })]);
    registry.publish(current, { endpointsChanged: ['zeta.shop'], servicesChanged: [] });
    pipeline.flushNow();
    expect(watch.current()?.version).toBe(fresh(current, sidecar('beta'))?.version);
    expect(pipeline.views()).toHaveLength(1);
  });
});
