/** buildMeshModel with a ConfigLookup: every config feature as model data, and identity reuse. */
import { describe, expect, it } from 'vitest';
import type { ServiceSettings } from '../../src/config/types.ts';
import { buildMeshModel } from '../../src/model/build-model.ts';
import type { ProxyIdentity, RouteModel, ServiceModel } from '../../src/model/types.ts';
import { viewFor } from '../../src/model/view.ts';
import { fakeConfigLookup } from '../support/fake-config-lookup.ts';
import { registryFixture } from '../support/registry-fixture.ts';

const registry = registryFixture({
  instances: [
    { service: 'reviews', namespace: 'bookinfo', address: '10.0.1.1', port: 9080, labels: { version: 'v1', app: 'reviews' } },
    { service: 'reviews', namespace: 'bookinfo', address: '10.0.1.2', port: 9080, labels: { version: 'v2', app: 'reviews' } },
    { service: 'reviews', namespace: 'bookinfo', address: '10.0.1.3', port: 9080, labels: { version: 'v2', track: 'canary' } },
    { service: 'ratings', namespace: 'bookinfo', protocol: 'grpc', address: '10.0.2.1', port: 9090 },
  ],
});

const build = (settings: Record<string, ServiceSettings>) => buildMeshModel(registry, undefined, fakeConfigLookup(settings));
const service = (settings: Record<string, ServiceSettings>, key = 'reviews.bookinfo'): ServiceModel => {
  const s = build(settings).services.get(key);
  if (!s) throw new Error(`no ${key}`);
  return s;
};
const route = (s: ServiceModel, i = 0): RouteModel => {
  const r = s.routes[i];
  if (!r) throw new Error(`no route ${i}`);
  return r;
};

describe('buildMeshModel with config: services and clusters', () => {
  it('equals the config-less model when config sets nothing', () => {
    expect(build({})).toEqual(buildMeshModel(registry));
  });

  it('adds services named only by config, with no instances and the configured protocol', () => {
    const model = build({ 'details.bookinfo': { protocol: 'grpc' }, 'notes.bookinfo': {} });
    expect(model.services.get('details.bookinfo')).toMatchObject({ name: 'details', namespace: 'bookinfo', protocol: 'grpc', port: 0, clusters: [{ endpoints: [] }] });
    expect(model.services.get('notes.bookinfo')?.protocol).toBe('http');
    expect([...model.services.keys()]).toEqual(['details.bookinfo', 'notes.bookinfo', 'ratings.bookinfo', 'reviews.bookinfo']);
  });

  it('lets settings.protocol override the registry protocol on every cluster', () => {
    const s = service({ 'reviews.bookinfo': { protocol: 'grpc', subsets: { v1: { version: 'v1' } } } });
    expect(s.protocol).toBe('grpc');
    expect(s.clusters.map((c) => c.protocol)).toEqual(['grpc', 'grpc']);
  });

  it('builds a cluster per subset (sorted) from instances whose labels include the whole selector', () => {
    const s = service({ 'reviews.bookinfo': { subsets: { v2: { version: 'v2' }, canary: { version: 'v2', track: 'canary' }, none: { version: 'v9' } } } });
    expect(s.clusters.map((c) => [c.name, c.subset, c.endpoints.map((e) => e.address)])).toEqual([
      ['outbound|reviews.bookinfo', '', ['10.0.1.1', '10.0.1.2', '10.0.1.3']],
      ['outbound|reviews.bookinfo|canary', 'canary', ['10.0.1.3']],
      ['outbound|reviews.bookinfo|none', 'none', []],
      ['outbound|reviews.bookinfo|v2', 'v2', ['10.0.1.2', '10.0.1.3']],
    ]);
  });

  it('puts load balancer, circuit breakers and outlier detection on every cluster', () => {
    const s = service({
      'reviews.bookinfo': {
        subsets: { v1: { version: 'v1' } },
        loadBalancer: { policy: 'least_request' },
        connectionPool: { maxConnections: 100, maxRequests: 200 },
        outlierDetection: { consecutive5xx: 5, interval: 10_000, baseEjectionTime: 30_000, maxEjectionPercent: 50 },
      },
    });
    for (const c of s.clusters) {
      expect(c.lbPolicy).toBe('least_request');
      expect(c.circuitBreakers).toEqual({ maxConnections: 100, maxRequests: 200 });
      expect(c.outlierDetection).toEqual({ consecutive5xx: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 });
    }
  });

  it('copies dependencies (bare names in the own namespace) and the rate limit (burst defaults to rps)', () => {
    const s = service({ 'reviews.bookinfo': { dependencies: ['ratings', 'details.shop', 'ratings.bookinfo'], rateLimit: { requestsPerSecond: 50 } } });
    expect(s.dependencies).toEqual(['details.shop', 'ratings.bookinfo']);
    expect(s.rateLimit).toEqual({ requestsPerSecond: 50, burst: 50 });
  });
});

describe('buildMeshModel with config: routes', () => {
  it('resolves matches and weighted subset targets', () => {
    const s = service({
      'reviews.bookinfo': {
        subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
        routes: [
          { name: 'canary', match: { path: '/api', headers: { 'x-canary': 'true', 'x-user': { regex: 'a.*' }, 'x-debug': { present: true } } }, to: [{ subset: 'v2' }] },
          { to: [{ subset: 'v1', weight: 90 }, { subset: 'v2', weight: 10 }] },
        ],
      },
    });
    expect(s.routes).toEqual([
      {
        name: 'canary',
        match: { path: '/api', headers: [{ name: 'x-canary', exact: 'true' }, { name: 'x-user', regex: 'a.*' }, { name: 'x-debug', present: true }] },
        to: [{ cluster: 'outbound|reviews.bookinfo|v2', weight: 1 }],
      },
      {
        name: 'route-1',
        match: { pathPrefix: '/' },
        to: [
          { cluster: 'outbound|reviews.bookinfo|v1', weight: 90 },
          { cluster: 'outbound|reviews.bookinfo|v2', weight: 10 },
        ],
      },
    ]);
    expect(s.diagnostics).toBeUndefined();
  });

  it('applies service-level values to the default route', () => {
    const r = route(
      service({
        'reviews.bookinfo': {
          subsets: { v2: { version: 'v2' } },
          timeout: 2000,
          retries: { attempts: 3, perTryTimeout: 500, on: ['5xx'] },
          fault: { abort: { percent: 1, httpStatus: 503 } },
          mirror: { subset: 'v2', percent: 10 },
          headers: { response: { remove: ['server'] } },
          loadBalancer: { policy: 'ring_hash', hashHeader: 'x-user' },
        },
      }),
    );
    expect(r).toEqual({
      name: 'default',
      match: { pathPrefix: '/' },
      to: [{ cluster: 'outbound|reviews.bookinfo', weight: 1 }],
      timeoutMs: 2000,
      retry: { attempts: 3, perTryTimeoutMs: 500, on: ['5xx'] },
      fault: { abort: { percent: 1, httpStatus: 503 } },
      mirror: { cluster: 'outbound|reviews.bookinfo|v2', percent: 10 },
      headers: { response: { remove: ['server'] } },
      hashHeader: 'x-user',
    });
  });

  it('lets a route override service-level values (retries field by field)', () => {
    const s = service({
      'reviews.bookinfo': {
        timeout: 2000,
        retries: { attempts: 3, on: ['reset'] },
        fault: { delay: { percent: 5, fixed: 100 } },
        routes: [
          { match: { pathPrefix: '/slow' }, to: [{}], timeout: 9000, retries: { attempts: 1 }, fault: { abort: { percent: 2, grpcStatus: 14 } } },
          { to: [{}] },
        ],
      },
    });
    expect(route(s, 0)).toMatchObject({ timeoutMs: 9000, retry: { attempts: 1, on: ['reset'] }, fault: { abort: { percent: 2, grpcStatus: 14 } } });
    expect(route(s, 1)).toMatchObject({ timeoutMs: 2000, retry: { attempts: 3, on: ['reset'] }, fault: { delay: { percent: 5, fixedMs: 100 } } });
  });

  it('defaults retry conditions by protocol and drops zero attempts', () => {
    expect(route(service({ 'reviews.bookinfo': { retries: { attempts: 2 } } })).retry?.on).toEqual(['5xx', 'reset', 'connect-failure']);
    expect(route(service({ 'ratings.bookinfo': { retries: { attempts: 2 } } }, 'ratings.bookinfo')).retry?.on).toEqual(['unavailable', 'reset', 'connect-failure']);
    expect(route(service({ 'reviews.bookinfo': { retries: { attempts: 0 } } })).retry).toBeUndefined();
  });

  it('targets other services and records them as referenced', () => {
    const s = service({
      'ratings.bookinfo': { subsets: { v2: {} } },
      'reviews.bookinfo': { routes: [{ to: [{ service: 'ratings.bookinfo', subset: 'v2', weight: 50 }, { weight: 50 }] }] },
    });
    expect(route(s).to).toEqual([
      { cluster: 'outbound|ratings.bookinfo|v2', weight: 50 },
      { cluster: 'outbound|reviews.bookinfo', weight: 50 },
    ]);
    expect(s.referencedServices).toEqual(['ratings.bookinfo']);
  });

  it('drops unresolvable targets and empty routes with warnings', () => {
    const model = build({
      'reviews.bookinfo': {
        routes: [
          { match: { pathPrefix: '/a' }, to: [{ subset: 'nope' }] },
          { to: [{ service: 'ghost.bookinfo', weight: 20 }, { weight: 80 }], mirror: { subset: 'gone', percent: 5 } },
        ],
      },
    });
    const s = model.services.get('reviews.bookinfo');
    expect(s?.routes.map((r) => [r.name, r.to, r.mirror])).toEqual([['route-1', [{ cluster: 'outbound|reviews.bookinfo', weight: 80 }], undefined]]);
    expect(s?.diagnostics?.map((d) => [d.severity, d.field])).toEqual([
      ['warning', 'routes[0].to[0]'],
      ['warning', 'routes[0]'],
      ['warning', 'routes[1].to[0]'],
      ['warning', 'routes[1].mirror'],
    ]);
    expect(model.diagnostics).toEqual(s?.diagnostics);
  });
});

describe('buildMeshModel with config: identity reuse', () => {
  const settings: Record<string, ServiceSettings> = {
    'reviews.bookinfo': { routes: [{ to: [{ service: 'ratings.bookinfo', subset: 'v2' }] }] },
    'ratings.bookinfo': { subsets: { v2: {} } },
    'details.bookinfo': {},
  };

  it('reuses every service when the lookup returns the same objects', () => {
    const lookup = fakeConfigLookup(settings);
    const first = buildMeshModel(registry, undefined, lookup);
    const second = buildMeshModel({ ...registry, revision: registry.revision + 1 }, first, lookup);
    for (const [key, s] of first.services) expect(second.services.get(key)).toBe(s);
  });

  it('rebuilds a service whose effective config object changed, and only it', () => {
    const first = buildMeshModel(registry, undefined, fakeConfigLookup(settings));
    const base = fakeConfigLookup(settings);
    const fresh = fakeConfigLookup({ ...settings, 'details.bookinfo': { timeout: 5 } });
    // Same objects for every service but details: reuse the first lookup's objects.
    const first2 = buildMeshModel(registry, undefined, base);
    const mixed = { ...base, forService: (key: string) => (key === 'details.bookinfo' ? fresh.forService(key) : base.forService(key)) };
    const second = buildMeshModel(registry, first2, mixed);
    expect(second.services.get('details.bookinfo')).not.toBe(first2.services.get('details.bookinfo'));
    expect(second.services.get('reviews.bookinfo')).toBe(first2.services.get('reviews.bookinfo'));
    expect(second.services.get('ratings.bookinfo')).toBe(first2.services.get('ratings.bookinfo'));
    expect(first.services.get('details.bookinfo')).not.toBe(first2.services.get('details.bookinfo'));
  });

  it('keeps the cluster objects of a service whose config change touched only its routes', () => {
    const first = buildMeshModel(registry, undefined, fakeConfigLookup(settings));
    const timeout = fakeConfigLookup({ ...settings, 'reviews.bookinfo': { ...settings['reviews.bookinfo'], timeout: 7 } });
    const second = buildMeshModel(registry, first, timeout);
    const before = first.services.get('reviews.bookinfo');
    const after = second.services.get('reviews.bookinfo');
    expect(after).not.toBe(before);
    expect(after?.routes).not.toEqual(before?.routes);
    expect(after?.clusters.length).toBeGreaterThan(0);
    after?.clusters.forEach((cluster, i) => expect(cluster).toBe(before?.clusters[i]));
    // A cluster setting does change the cluster objects.
    const connect = fakeConfigLookup({ ...settings, 'reviews.bookinfo': { ...settings['reviews.bookinfo'], timeout: 7, loadBalancer: { policy: 'least_request' } } });
    const third = buildMeshModel(registry, second, connect);
    expect(third.services.get('reviews.bookinfo')?.clusters[0]).not.toBe(after?.clusters[0]);
  });

  it('rebuilds a service whose route target disappeared from another service', () => {
    const base = fakeConfigLookup(settings);
    const first = buildMeshModel(registry, undefined, base);
    const noSubset = fakeConfigLookup({ ...settings, 'ratings.bookinfo': {} });
    const mixed = { ...base, forService: (key: string) => (key === 'ratings.bookinfo' ? noSubset.forService(key) : base.forService(key)) };
    const second = buildMeshModel(registry, first, mixed);
    const reviews = second.services.get('reviews.bookinfo');
    expect(reviews).not.toBe(first.services.get('reviews.bookinfo'));
    expect(reviews?.routes).toEqual([]);
    expect(reviews?.diagnostics?.[0]?.message).toContain('no subset "v2"');
  });
});

describe('viewFor with config', () => {
  const identity: ProxyIdentity = {
    nodeId: 'n',
    kind: 'sidecar',
    service: 'productpage',
    namespace: 'bookinfo',
    address: '10.0.3.1',
    port: 9080,
    protocol: 'http',
    labels: {},
    locality: { region: '', zone: '', subZone: '' },
    joinToken: '',
    spiffeId: '',
  };
  const model = build({
    'productpage.bookinfo': { dependencies: ['reviews'], rateLimit: { requestsPerSecond: 10, burst: 20 } },
    'reviews.bookinfo': { routes: [{ to: [{ service: 'ratings.bookinfo' }] }] },
    'details.bookinfo': {},
  });

  it('shows declared dependencies plus the services their routes reach', () => {
    expect(viewFor(model, identity).visibleServices.map((s) => s.key)).toEqual(['ratings.bookinfo', 'reviews.bookinfo']);
    expect(viewFor(model, { ...identity, service: 'details' }).visibleServices.map((s) => s.key)).toEqual([
      'details.bookinfo',
      'productpage.bookinfo',
      'ratings.bookinfo',
      'reviews.bookinfo',
    ]);
  });

  it('gives sidecars with an inbound port their own rate limit, and it changes the key', () => {
    const view = viewFor(model, identity);
    expect(view.inboundRateLimit).toEqual({ requestsPerSecond: 10, burst: 20 });
    expect(viewFor(model, { ...identity, port: 0 }).inboundRateLimit).toBeUndefined();
    expect(viewFor(model, { ...identity, kind: 'proxyless' }).inboundRateLimit).toBeUndefined();
    const without = build({ 'productpage.bookinfo': { dependencies: ['reviews'] }, 'reviews.bookinfo': { routes: [{ to: [{ service: 'ratings.bookinfo' }] }] } });
    expect(viewFor(without, identity).key).not.toBe(view.key);
  });
});
