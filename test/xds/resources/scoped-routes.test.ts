import { describe, expect, it } from 'vitest';
import type { ProxyView, RouteModel, ServiceModel } from '../../../src/model/types.ts';
import { buildSidecarListeners } from '../../../src/xds/resources/sidecar-listeners.ts';
import {
  buildOutboundScopedRoutes,
  buildServiceScopes,
  buildSidecarServiceRouteConfig,
  scopeAuthorities,
} from '../../../src/xds/resources/scoped-routes.ts';
import { checkConsistency, createTranslationMemo, translateView } from '../../../src/xds/resources/translate.ts';
import { decodeMessage, encodeMessage } from '../../../src/xds/proto/codec.ts';
import { FULL_STATE_TYPES, PUSH_ORDER, TYPE_SHORT_NAMES, TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectAllValidEnvoy, expectValidEnvoy } from '../../support/envoy-assert.ts';
import { simulateRequest } from '../../support/simulate.ts';

const route = (cluster: string, extra: Partial<RouteModel> = {}): RouteModel => ({
  name: 'default',
  match: { pathPrefix: '/' },
  to: [{ cluster, weight: 1 }],
  ...extra,
});

const service = (name: string, namespace: string, port = 80, protocol: ServiceModel['protocol'] = 'http'): ServiceModel => ({
  key: `${name}.${namespace}`,
  name,
  namespace,
  protocol,
  port,
  clusters: [
    {
      name: `outbound|${name}.${namespace}`,
      serviceKey: `${name}.${namespace}`,
      subset: '',
      protocol,
      endpoints: [],
      connectTimeoutMs: 1000,
      lbPolicy: 'round_robin',
    },
  ],
  routes: [route(`outbound|${name}.${namespace}`)],
  mtlsMode: 'DISABLE',
  serviceAccount: name,
  spiffeId: `spiffe://trellis.local/ns/${namespace}/sa/${name}`,
});

const view = (services: ServiceModel[], namespace: string, key = `k-${namespace}`): ProxyView => ({
  key,
  kind: 'sidecar',
  namespace,
  serviceKey: '',
  locality: { region: '', zone: '', subZone: '' },
  visibleServices: services,
  inboundPort: 0,
  inboundProtocol: 'http',
  serverListeners: [],
  workloadIdentity: '',
  inboundMtls: 'DISABLE',
});

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

describe('scopeAuthorities', () => {
  it.each<[string, ServiceModel, string, string[]]>([
    ['own namespace: full and short name', service('api', 'shop', 9080), 'shop', ['api.shop', 'api']],
    ['other namespace: no short name', service('api', 'shop', 9080), 'default', ['api.shop']],
    ['no port yet (no instances): the same hosts', service('api', 'shop', 0), 'shop', ['api.shop', 'api']],
  ])('%s', (_label, svc, namespace, expected) => {
    expect(scopeAuthorities(svc, namespace)).toEqual(expected);
  });
});

describe('buildServiceScopes', () => {
  it('names one scope per host name, each keyed by the host and naming the service route configuration', () => {
    const scopes = buildServiceScopes(service('reviews', 'default', 9080), 'default');
    expect(scopes.map((s) => [s['name'], s['key'], s['route_configuration_name']])).toEqual([
      ['outbound_http/reviews.default', { fragments: [{ string_key: 'reviews.default' }] }, 'outbound_http/reviews.default'],
      ['outbound_http/reviews', { fragments: [{ string_key: 'reviews' }] }, 'outbound_http/reviews.default'],
    ]);
    expectAllValidEnvoy(TypeUrl.ScopedRouteConfiguration, scopes);
  });

  it('fails PGV without a key, so the checker does look at scopes', () => {
    const [scope] = buildServiceScopes(service('reviews', 'default'), 'default');
    const { key: _key, ...withoutKey } = scope ?? {};
    expect(() => expectValidEnvoy(TypeUrl.ScopedRouteConfiguration, withoutKey)).toThrow(/key/);
  });
});

describe('buildSidecarServiceRouteConfig', () => {
  it('carries the service routes (Envoy flavour) in one virtual host for any domain', () => {
    const svc: ServiceModel = {
      ...service('reviews', 'default'),
      routes: [
        route('outbound|reviews.default', {
          timeoutMs: 2000,
          retry: { attempts: 3, on: ['5xx'] },
          headers: { request: { set: { 'x-a': 'b' } } },
          mirror: { cluster: 'outbound|reviews.default', percent: 5 },
        }),
      ],
    };
    const config = buildSidecarServiceRouteConfig(svc);
    expect(config['name']).toBe('outbound_http/reviews.default');
    const [host, ...others] = config['virtual_hosts'] as Array<Record<string, unknown>>;
    expect(others).toEqual([]);
    expect(host?.['domains']).toEqual(['*']);
    const [built] = host?.['routes'] as Array<Record<string, unknown>>;
    const action = built?.['route'] as Record<string, unknown>;
    expect(action['timeout']).toEqual({ seconds: 2, nanos: 0 });
    expect(action['retry_policy']).toEqual({ retry_on: '5xx', num_retries: { value: 3 } });
    // Envoy-only parts stay (gRPC's per-service config drops them).
    expect(action['request_mirror_policies']).toBeDefined();
    expect(built?.['request_headers_to_add']).toBeDefined();
    expectValidEnvoy(TypeUrl.RouteConfiguration, config);
  });
});

describe('the outbound_http listener', () => {
  it('routes by scoped RDS keyed on the host part of the :authority header, over ADS', () => {
    const scoped = buildOutboundScopedRoutes();
    expect(scoped).toEqual({
      name: 'outbound_http',
      scope_key_builder: { fragments: [{ header_value_extractor: { name: ':authority', element_separator: ':', index: 0 } }] },
      rds_config_source: { ads: {}, resource_api_version: 'V3' },
      scoped_rds: { scoped_rds_config_source: { ads: {}, resource_api_version: 'V3' } },
    });
    const { listeners } = buildSidecarListeners(view([service('a', 'x')], 'x'));
    const outbound = listeners.find((l) => l['name'] === 'outbound_http');
    const hcm = ((outbound?.['filter_chains'] as Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }>)[0]?.filters[0]?.typed_config ?? {});
    expect(hcm['@type']).toBe(HCM_TYPE);
    expect(hcm['scoped_routes']).toEqual(scoped);
    expect(hcm['rds']).toBeUndefined();
    expectAllValidEnvoy(TypeUrl.Listener, listeners);
  });

  it('encodes index 0, so Envoy sees extract_type set (it refuses an unset one)', () => {
    const name = 'envoy.extensions.filters.network.http_connection_manager.v3.ScopedRoutes';
    const decoded = decodeMessage(name, encodeMessage(name, buildOutboundScopedRoutes()));
    expect(decoded['scope_key_builder']).toEqual({ fragments: [{ header_value_extractor: { name: ':authority', element_separator: ':', index: 0 } }] });
  });
});

describe('translateView for sidecars', () => {
  const services = [service('api', 'shop', 7000, 'grpc'), service('db', 'shop', 5432, 'tcp'), service('web', 'default', 8080)];

  it('gives every http/grpc service its own route configuration and scopes, and tcp services neither', () => {
    const { resources, diagnostics } = translateView(view(services, 'shop'));
    expect(diagnostics).toEqual([]);
    expect(resources[TypeUrl.RouteConfiguration].map((r) => r.name)).toEqual(['outbound_http/api.shop', 'outbound_http/web.default']);
    expect(resources[TypeUrl.ScopedRouteConfiguration].map((r) => r.name)).toEqual(['outbound_http/api.shop', 'outbound_http/api', 'outbound_http/web.default']);
    expect(checkConsistency(resources)).toEqual([]);
    expectAllValidEnvoy(TypeUrl.ScopedRouteConfiguration, resources[TypeUrl.ScopedRouteConfiguration].map((r) => r.value));
    expectAllValidEnvoy(TypeUrl.RouteConfiguration, resources[TypeUrl.RouteConfiguration].map((r) => r.value));
  });

  it('routes each host, with any port, to its service and answers an unknown one with no route (Envoy: 404)', () => {
    const { resources } = translateView(view(services, 'shop'));
    const go = (host: string) => simulateRequest(resources, { listener: 'outbound_http', host, path: '/' });
    for (const host of ['api', 'api:7000', 'api.shop', 'api.shop:7000', 'api.shop:1234']) expect(go(host)).toMatchObject({ ok: true, clusters: [{ name: 'outbound|api.shop' }] });
    for (const host of ['web.default', 'web.default:8080', 'web.default:9999']) expect(go(host)).toMatchObject({ ok: true, clusters: [{ name: 'outbound|web.default' }] });
    for (const host of ['web', 'web:8080', 'WEB.default', 'web.default.svc', 'db.shop', 'nothing']) expect(go(host).ok, host).toBe(false);
  });

  it('has no scopes and no route configurations when nothing speaks http', () => {
    const { resources } = translateView(view([service('db', 'shop', 5432, 'tcp')], 'shop'));
    expect(resources[TypeUrl.ScopedRouteConfiguration]).toEqual([]);
    expect(resources[TypeUrl.RouteConfiguration]).toEqual([]);
    expect(checkConsistency(resources)).toEqual([]);
  });

  it('shares one route configuration object across views of any namespace, and scopes per viewer namespace', () => {
    const memo = createTranslationMemo();
    const inShop = translateView(view(services, 'shop'), memo).resources;
    const inDefault = translateView(view(services, 'default'), memo).resources;
    const again = translateView(view(services, 'shop', 'another-view'), memo).resources;
    const route = (r: typeof inShop, name: string) => r[TypeUrl.RouteConfiguration].find((x) => x.name === name)?.value;
    expect(route(inShop, 'outbound_http/api.shop')).toBeDefined();
    expect(route(inDefault, 'outbound_http/api.shop')).toBe(route(inShop, 'outbound_http/api.shop'));
    const scope = (r: typeof inShop, name: string) => r[TypeUrl.ScopedRouteConfiguration].find((x) => x.name === name)?.value;
    expect(scope(again, 'outbound_http/api')).toBe(scope(inShop, 'outbound_http/api'));
    // From another namespace the short names are not scopes.
    expect(scope(inDefault, 'outbound_http/api')).toBeUndefined();
    expect(scope(inDefault, 'outbound_http/web')).toBeDefined();
  });

  it('gives gateways the same scoped outbound routing, and proxyless views no scopes', () => {
    const gateway = translateView({ ...view(services, 'shop'), kind: 'gateway' }).resources;
    expect(gateway[TypeUrl.ScopedRouteConfiguration].length).toBe(3);
    const proxyless = translateView({ ...view(services, 'shop'), kind: 'proxyless' }).resources;
    expect(proxyless[TypeUrl.ScopedRouteConfiguration]).toEqual([]);
    expect(proxyless[TypeUrl.RouteConfiguration].map((r) => r.name)).toEqual(['api.shop', 'web.default']);
  });
});

describe('the SRDS type', () => {
  it('is pushed after listeners and before the route configurations scopes name, as full state, short name SRDS', () => {
    const at = (url: TypeUrl): number => PUSH_ORDER.indexOf(url);
    expect(at(TypeUrl.ScopedRouteConfiguration)).toBe(at(TypeUrl.Listener) + 1);
    expect(at(TypeUrl.RouteConfiguration)).toBe(at(TypeUrl.ScopedRouteConfiguration) + 1);
    expect(FULL_STATE_TYPES.has(TypeUrl.ScopedRouteConfiguration)).toBe(true);
    expect(TYPE_SHORT_NAMES[TypeUrl.ScopedRouteConfiguration]).toBe('SRDS');
  });
});
