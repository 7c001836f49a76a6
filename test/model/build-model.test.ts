import { describe, expect, it } from 'vitest';
import { buildMeshModel } from '../../src/model/build-model.ts';
import type { InstanceRecord, RegistrySnapshot } from '../../src/registry/types.ts';
import { instanceRecord, registryFixture } from '../support/registry-fixture.ts';

const registry = registryFixture({
  services: [{ name: 'empty', namespace: 'ops' }],
  instances: [
    { service: 'web', address: '10.0.0.2', port: 8080, weight: 4, health: 'draining', labels: { v: '2' } },
    { service: 'web', address: '10.0.0.1', port: 8080, locality: { zone: 'z1' } },
    { service: 'web', address: '10.0.0.3', port: 9090 },
    { service: 'rpc', namespace: 'ops', protocol: 'grpc', address: '10.0.1.1', port: 7000 },
  ],
});

describe('buildMeshModel', () => {
  const model = buildMeshModel(registry);

  it('keys services by name.namespace in sorted order', () => {
    expect([...model.services.keys()]).toEqual(['empty.ops', 'rpc.ops', 'web.default']);
    expect(model.revision).toBe(registry.revision);
  });

  it('gives each service a default cluster of all instances and one catch-all route', () => {
    const web = model.services.get('web.default');
    expect(web?.port).toBe(8080); // two instances on 8080, one on 9090
    expect(web?.clusters).toHaveLength(1);
    const cluster = web?.clusters[0];
    expect(cluster).toMatchObject({ name: 'outbound|web.default', subset: '', protocol: 'http', lbPolicy: 'round_robin', connectTimeoutMs: 1000 });
    expect(cluster?.endpoints.map((e) => e.instanceId)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:9090']);
    expect(cluster?.endpoints[1]).toEqual({
      instanceId: '10.0.0.2:8080',
      address: '10.0.0.2',
      port: 8080,
      weight: 4,
      health: 'draining',
      locality: { region: '', zone: '', subZone: '' },
      labels: { v: '2' },
    });
    expect(web?.routes).toEqual([{ name: 'default', match: { pathPrefix: '/' }, to: [{ cluster: 'outbound|web.default', weight: 1 }] }]);
  });

  it('keeps the protocol and gives port 0 to a service without instances', () => {
    expect(model.services.get('rpc.ops')?.clusters[0]?.protocol).toBe('grpc');
    expect(model.services.get('empty.ops')).toMatchObject({ port: 0, clusters: [{ endpoints: [] }] });
  });

  it('breaks a port tie towards the lowest port', () => {
    const tie = registryFixture({ instances: [{ service: 's', address: '10.0.0.1', port: 90 }, { service: 's', address: '10.0.0.2', port: 80 }] });
    expect(buildMeshModel(tie).services.get('s.default')?.port).toBe(80);
  });
});

describe('buildMeshModel identity reuse', () => {
  /** The next revision with the instances of `key` replaced (other arrays and records kept). */
  const withInstances = (base: RegistrySnapshot, key: string, next: readonly InstanceRecord[]): RegistrySnapshot => ({
    revision: base.revision + 1,
    services: base.services,
    instances: new Map([...base.instances, [key, next]]),
  });

  it('reuses every ServiceModel when nothing changed', () => {
    const first = buildMeshModel(registry);
    const second = buildMeshModel({ ...registry, revision: registry.revision + 1 }, first);
    for (const [key, service] of first.services) expect(second.services.get(key)).toBe(service);
  });

  it('rebuilds only the service whose instances changed', () => {
    const first = buildMeshModel(registry);
    const changed = [...(registry.instances.get('web.default') ?? []), instanceRecord({ service: 'web', address: '10.0.0.9', port: 8080 })];
    const second = buildMeshModel(withInstances(registry, 'web.default', changed), first);
    expect(second.services.get('web.default')).not.toBe(first.services.get('web.default'));
    expect(second.services.get('web.default')?.clusters[0]?.endpoints).toHaveLength(4);
    expect(second.services.get('rpc.ops')).toBe(first.services.get('rpc.ops'));
    expect(second.services.get('empty.ops')).toBe(first.services.get('empty.ops'));
  });

  it('rebuilds when the instance array is new even with equal content, and without `previous`', () => {
    const first = buildMeshModel(registry);
    const copy = [...(registry.instances.get('rpc.ops') ?? [])];
    expect(buildMeshModel(withInstances(registry, 'rpc.ops', copy), first).services.get('rpc.ops')).not.toBe(first.services.get('rpc.ops'));
    expect(buildMeshModel(registry).services.get('web.default')).not.toBe(first.services.get('web.default'));
  });

  it('rebuilds when the ServiceRecord changed (e.g. protocol)', () => {
    const first = buildMeshModel(registry);
    const services = new Map(registry.services);
    services.set('web.default', { name: 'web', namespace: 'default', protocol: 'grpc' });
    const second = buildMeshModel({ ...registry, services }, first);
    expect(second.services.get('web.default')?.protocol).toBe('grpc');
    expect(second.services.get('rpc.ops')).toBe(first.services.get('rpc.ops'));
  });
});
