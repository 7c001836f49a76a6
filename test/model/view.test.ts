import { describe, expect, it } from 'vitest';
import { buildMeshModel } from '../../src/model/build-model.ts';
import type { MeshModel, ProxyIdentity, ServiceModel } from '../../src/model/types.ts';
import { canonicalJson, viewFor } from '../../src/model/view.ts';
import { registryFixture } from '../support/registry-fixture.ts';

const model = buildMeshModel(
  registryFixture({
    instances: [
      { service: 'web', address: '10.0.0.1', port: 80 },
      { service: 'api', namespace: 'shop', address: '10.0.0.2', port: 81 },
      { service: 'db', namespace: 'shop', protocol: 'tcp', address: '10.0.0.3', port: 5432 },
    ],
  }),
);

const identity: ProxyIdentity = {
  nodeId: 'n1',
  kind: 'sidecar',
  service: 'web',
  namespace: 'default',
  address: '10.0.0.1',
  port: 80,
  protocol: 'http',
  labels: {},
  locality: { region: 'r1', zone: 'z1', subZone: '' },
  joinToken: '',
  spiffeId: '',
};

describe('viewFor', () => {
  it('shows every service sorted by key when the own service has no dependencies', () => {
    const view = viewFor(model, identity);
    expect(view.visibleServices.map((s) => s.key)).toEqual(['api.shop', 'db.shop', 'web.default']);
    expect(view.visibleServices[0]).toBe(model.services.get('api.shop'));
    expect(view).toMatchObject({ kind: 'sidecar', namespace: 'default', serviceKey: 'web.default', inboundPort: 80, inboundProtocol: 'http', serverListeners: [] });
  });

  it('limits visibility to declared dependencies that exist, sorted', () => {
    const web = model.services.get('web.default') as ServiceModel;
    const services = new Map(model.services);
    services.set('web.default', { ...web, dependencies: ['db.shop', 'missing.x', 'api.shop', 'db.shop'] });
    const limited: MeshModel = { ...model, services };
    expect(viewFor(limited, identity).visibleServices.map((s) => s.key)).toEqual(['api.shop', 'db.shop']);
  });

  it('gives proxyless identities server listeners and no inbound port', () => {
    const view = viewFor(model, { ...identity, kind: 'proxyless' });
    expect(view.inboundPort).toBe(0);
    expect(view.serverListeners).toEqual([{ address: '10.0.0.1', port: 80 }]);
    expect(viewFor(model, { ...identity, kind: 'proxyless', address: '' }).serverListeners).toEqual([]);
    expect(viewFor(model, { ...identity, kind: 'proxyless', port: 0 }).serverListeners).toEqual([]);
  });

  it('gives gateways no inbound port', () => {
    expect(viewFor(model, { ...identity, kind: 'gateway' }).inboundPort).toBe(0);
  });

  it('leaves serviceKey empty for an identity without a service', () => {
    expect(viewFor(model, { ...identity, service: '' }).serviceKey).toBe('');
  });
});

describe('view keys', () => {
  const key = viewFor(model, identity).key;

  it('are equal for equal identities, whatever the node id or labels', () => {
    expect(viewFor(model, { ...identity }).key).toBe(key);
    // nodeId and labels are not part of the view: proxies differing only there share a snapshot.
    expect(viewFor(model, { ...identity, nodeId: 'n2', labels: { a: 'b' } }).key).toBe(key);
  });

  it.each<[string, Partial<ProxyIdentity>]>([
    ['kind', { kind: 'gateway' }],
    ['namespace', { namespace: 'shop' }],
    ['service', { service: 'api' }],
    ['port (inbound)', { port: 81 }],
    ['protocol', { protocol: 'grpc' }],
    ['region', { locality: { region: 'r2', zone: 'z1', subZone: '' } }],
    ['zone', { locality: { region: 'r1', zone: 'z2', subZone: '' } }],
    ['sub-zone', { locality: { region: 'r1', zone: 'z1', subZone: 's' } }],
  ])('differ when %s differs', (_field, change) => {
    expect(viewFor(model, { ...identity, ...change }).key).not.toBe(key);
  });

  it('differ when the server listener address differs', () => {
    const a = viewFor(model, { ...identity, kind: 'proxyless' });
    const b = viewFor(model, { ...identity, kind: 'proxyless', address: '10.0.0.9' });
    expect(a.key).not.toBe(b.key);
  });

  it('differ when the visible service set differs', () => {
    const services = new Map(model.services);
    services.delete('db.shop');
    expect(viewFor({ ...model, services }, identity).key).not.toBe(key);
  });

  it('do not depend on service content (the snapshot version covers it)', () => {
    const rebuilt = buildMeshModel(registryFixture({
      instances: [
        { service: 'web', address: '10.0.0.1', port: 80 },
        { service: 'api', namespace: 'shop', address: '10.0.0.7', port: 81 },
        { service: 'db', namespace: 'shop', protocol: 'tcp', address: '10.0.0.3', port: 5432 },
      ],
    }));
    expect(viewFor(rebuilt, identity).key).toBe(key);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});
