import { describe, expect, it } from 'vitest';
import type { ProxyView, ServiceModel } from '../../../src/model/types.ts';
import { outboundKey } from '../../../src/xds/resources/outbound.ts';
import { createTranslationMemo, translateView } from '../../../src/xds/resources/translate.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';

const service = (name: string, namespace: string, connectTimeoutMs = 1000): ServiceModel => ({
  key: `${name}.${namespace}`,
  name,
  namespace,
  protocol: 'http',
  port: 80,
  clusters: [{ name: `outbound|${name}.${namespace}`, serviceKey: `${name}.${namespace}`, subset: '', protocol: 'http', endpoints: [], connectTimeoutMs, lbPolicy: 'round_robin' }],
  routes: [{ name: 'default', match: { pathPrefix: '/' }, to: [{ cluster: `outbound|${name}.${namespace}`, weight: 1 }] }],
  mtlsMode: 'DISABLE',
  serviceAccount: name,
  spiffeId: `spiffe://mesh.local/ns/${namespace}/sa/${name}`,
});

const sidecar = (own: string, visible: ServiceModel[], extra: Partial<ProxyView> = {}): ProxyView => ({
  key: `view-${own}`,
  kind: 'sidecar',
  namespace: 'shop',
  serviceKey: `${own}.shop`,
  locality: { region: 'r', zone: 'z', subZone: '' },
  visibleServices: visible,
  inboundPort: 8080,
  inboundProtocol: 'http',
  serverListeners: [],
  workloadIdentity: '',
  inboundMtls: 'DISABLE',
  ...extra,
});

describe('outbound part shared between views', () => {
  const deps = [service('api', 'shop'), service('db', 'shop')];

  it('gives sidecars of different services with the same dependencies the same outbound arrays', () => {
    const memo = createTranslationMemo();
    const a = translateView(sidecar('a', deps), memo).resources;
    const b = translateView(sidecar('b', deps), memo).resources;
    for (const url of [TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration, TypeUrl.ScopedRouteConfiguration]) expect(b[url]).toBe(a[url]);
    // Each keeps its own inbound cluster and listeners.
    expect(b[TypeUrl.Cluster]).not.toBe(a[TypeUrl.Cluster]);
    expect(a[TypeUrl.Cluster].map((c) => c.name)).toContain('outbound|api.shop');
    expect(b[TypeUrl.Listener]).not.toBe(a[TypeUrl.Listener]);
  });

  it('does not share across anything the outbound part depends on', () => {
    const memo = createTranslationMemo();
    const base = translateView(sidecar('a', deps), memo).resources[TypeUrl.ClusterLoadAssignment];
    const variants: ProxyView[] = [
      sidecar('b', deps, { namespace: 'other' }),
      sidecar('b', deps, { locality: { region: 'r', zone: 'z2', subZone: '' } }),
      sidecar('b', deps, { workloadIdentity: 'spiffe://mesh.local/ns/shop/sa/b' }),
      sidecar('b', [service('api', 'shop')]),
      // Same keys, a changed service object (a new model): rebuilt, not served stale.
      sidecar('b', [service('api', 'shop', 2000), service('db', 'shop')]),
    ];
    for (const variant of variants) expect(translateView(variant, memo).resources[TypeUrl.ClusterLoadAssignment]).not.toBe(base);
    const changedTimeout = translateView(sidecar('b', [service('api', 'shop', 2000), service('db', 'shop')]), memo).resources[TypeUrl.Cluster];
    const cluster = changedTimeout.find((c) => c.name === 'outbound|api.shop')?.value as { connect_timeout?: unknown } | undefined;
    expect(JSON.stringify(cluster?.connect_timeout)).toContain('2');
  });

  it('keys on kind, namespace, locality, proof of identity and the visible services', () => {
    const key = outboundKey(sidecar('a', deps));
    expect(outboundKey(sidecar('b', deps))).toBe(key);
    expect(outboundKey(sidecar('a', deps, { kind: 'proxyless' }))).not.toBe(key);
    expect(outboundKey(sidecar('a', deps.slice(0, 1)))).not.toBe(key);
  });
});
