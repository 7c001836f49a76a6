import { describe, expect, it } from 'vitest';
import { buildMeshModel } from '../../../src/model/build-model.ts';
import type { ProxyIdentity } from '../../../src/model/types.ts';
import { viewFor } from '../../../src/model/view.ts';
import { checkConsistency, translateView } from '../../../src/xds/resources/translate.ts';
import { checkViewConsistency, type ResourcesByType } from '../../../src/xds/resources/consistency.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { registryFixture } from '../../support/registry-fixture.ts';
import { simulateRequest } from '../../support/simulate.ts';

const model = buildMeshModel(
  registryFixture({
    instances: [
      { service: 'productpage', namespace: 'bookinfo', address: '10.0.0.1', port: 9080 },
      { service: 'reviews', namespace: 'bookinfo', address: '10.0.1.1', port: 9080, locality: { region: 'r1', zone: 'z1' } },
      { service: 'reviews', namespace: 'bookinfo', address: '10.0.1.2', port: 9080, locality: { region: 'r1', zone: 'z2' } },
      { service: 'ratings', namespace: 'bookinfo', address: '10.0.2.1', port: 9080 },
      { service: 'checkout', namespace: 'shop', protocol: 'grpc', address: '10.0.3.1', port: 7000 },
      { service: 'db', namespace: 'shop', protocol: 'tcp', address: '10.0.4.1', port: 5432 },
    ],
  }),
);

const sidecar: ProxyIdentity = {
  nodeId: 'productpage-1',
  kind: 'sidecar',
  service: 'productpage',
  namespace: 'bookinfo',
  address: '10.0.0.1',
  port: 9080,
  protocol: 'http',
  labels: {},
  locality: { region: 'r1', zone: 'z1', subZone: '' },
  joinToken: '',
  spiffeId: '',
};

const resourcesFor = (identity: ProxyIdentity) => translateView(viewFor(model, identity)).resources;

describe('a bookinfo sidecar (behaviour)', () => {
  const resources = resourcesFor(sidecar);
  const request = (host: string, path = '/') => simulateRequest(resources, { listener: 'outbound_http', host, path });

  it('sends reviews.bookinfo to the reviews cluster and its endpoints', () => {
    expect(request('reviews.bookinfo:9080', '/reviews/1')).toEqual({
      ok: true,
      virtualHost: 'reviews.bookinfo',
      route: 'default',
      clusters: [{ name: 'outbound|reviews.bookinfo', weight: 1 }],
      endpoints: ['10.0.1.1:9080', '10.0.1.2:9080'],
    });
  });

  it('resolves the short name in its own namespace only', () => {
    expect(request('reviews')).toMatchObject({ ok: true, clusters: [{ name: 'outbound|reviews.bookinfo' }] });
    expect(request('checkout.shop')).toMatchObject({ ok: true, clusters: [{ name: 'outbound|checkout.shop' }] });
    expect(request('checkout')).toEqual({ ok: false, reason: 'no scope for key ["checkout"] (404)' });
  });

  it('matches the host exactly, with any port, and no other spelling', () => {
    for (const host of ['reviews', 'reviews:9080', 'reviews.bookinfo', 'reviews.bookinfo:9080', 'reviews.bookinfo:8080']) {
      expect(request(host), host).toMatchObject({ ok: true, clusters: [{ name: 'outbound|reviews.bookinfo' }] });
    }
    expect(request('checkout.shop:7000')).toMatchObject({ ok: true, clusters: [{ name: 'outbound|checkout.shop' }] });
    // Short names only within the caller's namespace; no case folding, no other suffix.
    for (const [host, key] of [['reviews.bookinfo.svc', 'reviews.bookinfo.svc'], ['Reviews.bookinfo', 'Reviews.bookinfo'], ['checkout:7000', 'checkout']]) {
      expect(request(host ?? ''), host).toEqual({ ok: false, reason: `no scope for key ${JSON.stringify([key])} (404)` });
    }
  });

  it('gives an unknown host no route', () => {
    expect(request('unknown.example:80').ok).toBe(false);
  });

  it('gives tcp services their own listener and no virtual host', () => {
    expect(simulateRequest(resources, { listener: 'outbound_tcp|5432|db.shop', host: '', path: '' })).toMatchObject({
      ok: true,
      clusters: [{ name: 'outbound|db.shop' }],
      endpoints: ['10.0.4.1:5432'],
    });
    expect(request('db.shop').ok).toBe(false);
  });

  it('delivers inbound traffic to the local application', () => {
    expect(simulateRequest(resources, { listener: 'inbound|9080', host: 'anything', path: '/x' })).toMatchObject({
      ok: true,
      clusters: [{ name: 'inbound|9080|productpage.bookinfo' }],
      endpoints: ['127.0.0.1:9080'],
    });
  });
});

describe('a proxyless client (behaviour)', () => {
  const resources = resourcesFor({ ...sidecar, kind: 'proxyless', service: 'web', namespace: 'shop', port: 0 });

  it('reaches a service through its api_listener by key or short name', () => {
    for (const listener of ['checkout.shop', 'checkout']) {
      expect(simulateRequest(resources, { listener, host: listener, path: '/shop.Checkout/Pay' })).toMatchObject({
        ok: true,
        clusters: [{ name: 'outbound|checkout.shop' }],
        endpoints: ['10.0.3.1:7000'],
      });
    }
    expect(simulateRequest(resources, { listener: 'reviews', host: 'reviews', path: '/' })).toEqual({ ok: false, reason: 'no listener reviews' });
  });

  it('has no STATIC cluster (gRPC NACKs it) and no tcp listener', () => {
    const clusters = resources[TypeUrl.Cluster].map((r) => (r.value as Record<string, unknown>)['type']);
    expect(new Set(clusters)).toEqual(new Set(['EDS']));
    expect(resources[TypeUrl.Listener].map((r) => r.name)).not.toContain('db.shop');
  });
});

describe('translateView', () => {
  it.each<[string, Partial<ProxyIdentity>]>([
    ['sidecar', {}],
    ['gateway', { kind: 'gateway' }],
    ['proxyless', { kind: 'proxyless' }],
  ])('produces a consistent %s snapshot without diagnostics', (_name, change) => {
    const result = translateView(viewFor(model, { ...sidecar, ...change }));
    expect(result.diagnostics).toEqual([]);
    expect(checkConsistency(result.resources)).toEqual([]);
    expect(result.resources[TypeUrl.Cluster].length).toBeGreaterThan(0);
  });

  it('is deterministic', () => {
    const view = viewFor(model, sidecar);
    expect(translateView(view)).toEqual(translateView(view));
  });
});

describe('checkConsistency', () => {
  const good = resourcesFor(sidecar);
  const without = (url: TypeUrl, name: string) => ({ ...good, [url]: good[url].filter((r) => r.name !== name) });

  it('reports a missing ClusterLoadAssignment', () => {
    expect(checkConsistency(without(TypeUrl.ClusterLoadAssignment, 'outbound|reviews.bookinfo'))).toEqual([
      'cluster "outbound|reviews.bookinfo" has no ClusterLoadAssignment "outbound|reviews.bookinfo"',
    ]);
  });

  it('reports a scope naming a missing RouteConfiguration', () => {
    expect(checkConsistency(without(TypeUrl.RouteConfiguration, 'outbound_http/reviews.bookinfo'))).toEqual(
      ['reviews.bookinfo', 'reviews'].map(
        (authority) => `scope "outbound_http/${authority}" names unknown route configuration "outbound_http/reviews.bookinfo"`,
      ),
    );
  });

  it('reports a missing RouteConfiguration named by a listener', () => {
    const listener = {
      name: 'l',
      api_listener: {
        api_listener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          rds: { route_config_name: 'nowhere' },
        },
      },
    };
    expect(checkConsistency({ ...good, [TypeUrl.Listener]: [...good[TypeUrl.Listener], { name: 'l', value: listener }] })).toEqual([
      'listener "l" names unknown route configuration "nowhere"',
    ]);
  });

  it('reports two scopes with one key, and scoped HCMs that would share one SRDS subscription', () => {
    const scopes = good[TypeUrl.ScopedRouteConfiguration];
    const first = scopes.find((s) => s.name === 'outbound_http/reviews');
    if (!first) throw new Error('no scope for reviews');
    const clash = { name: 'outbound_http/other', value: { ...first.value, name: 'outbound_http/other' } };
    expect(checkConsistency({ ...good, [TypeUrl.ScopedRouteConfiguration]: [...scopes, clash] })).toEqual([
      'scope "outbound_http/other" has the same key ["reviews"] as scope "outbound_http/reviews"',
    ]);
    const hcm = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      scoped_routes: { name: 'second', scoped_rds: {} },
    };
    const listener = { name: 'l', api_listener: { api_listener: hcm } };
    expect(checkConsistency({ ...good, [TypeUrl.Listener]: [...good[TypeUrl.Listener], { name: 'l', value: listener }] })).toEqual([
      'listener "l" has scoped routes without rds_config_source',
      'scoped routes "outbound_http", "second" would share one wildcard SRDS subscription',
    ]);
  });

  it('reports routes, inline routes and tcp proxies naming unknown clusters', () => {
    const problems = checkConsistency({
      ...without(TypeUrl.Cluster, 'outbound|reviews.bookinfo'),
      [TypeUrl.Cluster]: good[TypeUrl.Cluster].filter((r) => !['outbound|reviews.bookinfo', 'outbound|db.shop', 'inbound|9080|productpage.bookinfo'].includes(r.name)),
    });
    expect(problems).toEqual([
      'route configuration "outbound_http/reviews.bookinfo" names unknown cluster "outbound|reviews.bookinfo"',
      'listener "outbound_tcp|5432|db.shop" names unknown cluster "outbound|db.shop"',
      'listener "inbound|9080" names unknown cluster "inbound|9080|productpage.bookinfo"',
    ]);
  });

  it('reports duplicate names', () => {
    const first = good[TypeUrl.Cluster][0];
    if (!first) throw new Error('no cluster');
    expect(checkConsistency({ ...good, [TypeUrl.Cluster]: [...good[TypeUrl.Cluster], first] })).toEqual([
      `envoy.config.cluster.v3.Cluster "${first.name}" appears twice`,
    ]);
  });

  it('is run by translateView, whose problems become error diagnostics', () => {
    const reviews = model.services.get('reviews.bookinfo');
    if (!reviews) throw new Error('no reviews');
    const broken = { ...reviews, routes: [{ name: 'ghost', match: { pathPrefix: '/' }, to: [{ cluster: 'outbound|ghost.bookinfo', weight: 1 }] }] };
    const view = viewFor(model, sidecar);
    const result = translateView({ ...view, visibleServices: view.visibleServices.map((s) => (s === reviews ? broken : s)) });
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        field: 'consistency',
        message: 'route configuration "outbound_http/reviews.bookinfo" names unknown cluster "outbound|ghost.bookinfo"',
        source: `view ${view.key}`,
      },
    ]);
  });
});

describe('checkViewConsistency (a shared outbound part plus a view\'s own resources)', () => {
  const good = resourcesFor(sidecar);
  const isOwnCluster = (name: string): boolean => name.startsWith('inbound|');
  const shared: ResourcesByType = {
    [TypeUrl.Cluster]: good[TypeUrl.Cluster].filter((r) => !isOwnCluster(r.name)),
    [TypeUrl.ClusterLoadAssignment]: good[TypeUrl.ClusterLoadAssignment],
    [TypeUrl.RouteConfiguration]: good[TypeUrl.RouteConfiguration],
    [TypeUrl.ScopedRouteConfiguration]: good[TypeUrl.ScopedRouteConfiguration],
  };
  const own: ResourcesByType = { [TypeUrl.Cluster]: good[TypeUrl.Cluster].filter((r) => isOwnCluster(r.name)), [TypeUrl.Listener]: good[TypeUrl.Listener] };
  const union = (a: ResourcesByType, b: ResourcesByType): ResourcesByType =>
    Object.fromEntries(Object.values(TypeUrl).map((url) => [url, [...(a[url] ?? []), ...(b[url] ?? [])]]));
  const sameAsWhole = (a: ResourcesByType, b: ResourcesByType): string[] => {
    const problems = checkViewConsistency(a, b);
    expect([...problems].sort()).toEqual([...checkConsistency(union(a, b))].sort());
    return problems;
  };
  const scopedListener = (scopedName: string) => ({
    name: 'l',
    value: {
      name: 'l',
      api_listener: {
        api_listener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          scoped_routes: { name: scopedName, scoped_rds: {}, rds_config_source: {} },
          rds: { route_config_name: 'nowhere' },
        },
      },
    },
  });

  it('agrees with checkConsistency of the whole view, whichever part is broken', () => {
    expect(own[TypeUrl.Cluster]?.length).toBeGreaterThan(0);
    expect(sameAsWhole(shared, own)).toEqual([]);
    // Twice with the same shared object: the cached verdict gives the same answer.
    expect(sameAsWhole(shared, own)).toEqual([]);
    const missingCla = { ...shared, [TypeUrl.ClusterLoadAssignment]: (shared[TypeUrl.ClusterLoadAssignment] ?? []).slice(1) };
    expect(sameAsWhole(missingCla, own).length).toBe(1);
    expect(sameAsWhole(shared, { ...own, [TypeUrl.Cluster]: [] }).length).toBeGreaterThan(0);
    const twice = shared[TypeUrl.Cluster]?.[0];
    if (!twice) throw new Error('no shared cluster');
    expect(sameAsWhole(shared, { ...own, [TypeUrl.Cluster]: [...(own[TypeUrl.Cluster] ?? []), twice] })).toEqual([
      `envoy.config.cluster.v3.Cluster "${twice.name}" appears twice`,
    ]);
    expect(sameAsWhole(shared, { ...own, [TypeUrl.Listener]: [...(own[TypeUrl.Listener] ?? []), scopedListener('second')] })).toEqual(
      expect.arrayContaining(['listener "l" names unknown route configuration "nowhere"']),
    );
    const scope = shared[TypeUrl.ScopedRouteConfiguration]?.[0];
    if (!scope) throw new Error('no scope');
    const clash = { name: 'outbound_http/own', value: { ...scope.value, name: 'outbound_http/own' } };
    expect(sameAsWhole(shared, { ...own, [TypeUrl.ScopedRouteConfiguration]: [clash] }).length).toBe(1);
  });
});

