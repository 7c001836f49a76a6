import { describe, expect, it } from 'vitest';
import type { RouteModel, ServiceModel } from '../../../src/model/types.ts';
import { buildRoute, buildServiceRouteConfig } from '../../../src/xds/resources/routes.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';

const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.Route';

const defaults: RouteModel = { name: 'default', match: { pathPrefix: '/' }, to: [{ cluster: 'outbound|web.default', weight: 1 }] };

describe('buildRoute', () => {
  it('routes a prefix to a single cluster', () => {
    expect(buildRoute(defaults)).toEqual({ name: 'default', match: { prefix: '/' }, route: { cluster: 'outbound|web.default' } });
  });

  it.each<[string, Partial<RouteModel>, Record<string, unknown>]>([
    ['exact path', { match: { path: '/pkg.Svc/Get' } }, { match: { path: '/pkg.Svc/Get' } }],
    ['empty prefix', { match: { pathPrefix: '' } }, { match: { prefix: '' } }],
    [
      'header matchers',
      { match: { pathPrefix: '/', headers: [{ name: 'x-user', exact: 'ann' }, { name: 'x-env', prefix: 'can' }, { name: 'x-debug', present: true }] } },
      {
        match: {
          prefix: '/',
          headers: [
            { name: 'x-user', string_match: { exact: 'ann' } },
            { name: 'x-env', string_match: { prefix: 'can' } },
            { name: 'x-debug', present_match: true },
          ],
        },
      },
    ],
    [
      'weighted split',
      { to: [{ cluster: 'outbound|web.default|v1', weight: 90 }, { cluster: 'outbound|web.default|v2', weight: 10 }] },
      {
        route: {
          weighted_clusters: {
            clusters: [
              { name: 'outbound|web.default|v1', weight: { value: 90 } },
              { name: 'outbound|web.default|v2', weight: { value: 10 } },
            ],
          },
        },
      },
    ],
    [
      'timeout for Envoy and gRPC',
      { timeoutMs: 1500 },
      {
        route: {
          cluster: 'outbound|web.default',
          timeout: { seconds: 1, nanos: 500_000_000 },
          max_stream_duration: { max_stream_duration: { seconds: 1, nanos: 500_000_000 } },
        },
      },
    ],
    [
      'regex header matcher',
      { match: { pathPrefix: '/', headers: [{ name: 'x-user', regex: 'a.+' }] } },
      { match: { prefix: '/', headers: [{ name: 'x-user', string_match: { safe_regex: { regex: 'a.+' } } }] } },
    ],
    [
      'retries with per-try timeout',
      { retry: { attempts: 3, perTryTimeoutMs: 500, on: ['5xx', 'reset', 'unavailable'] } },
      {
        route: {
          cluster: 'outbound|web.default',
          retry_policy: { retry_on: '5xx,reset,unavailable', num_retries: { value: 3 }, per_try_timeout: { seconds: 0, nanos: 500_000_000 } },
        },
      },
    ],
    ['ring hash by header', { hashHeader: 'x-user' }, { route: { cluster: 'outbound|web.default', hash_policy: [{ header: { header_name: 'x-user' } }] } }],
    [
      'mirror with a whole percentage',
      { mirror: { cluster: 'outbound|web.default|v2', percent: 10 } },
      {
        route: {
          cluster: 'outbound|web.default',
          request_mirror_policies: [{ cluster: 'outbound|web.default|v2', runtime_fraction: { default_value: { numerator: 10, denominator: 'HUNDRED' } } }],
        },
      },
    ],
    [
      'header mutation: set overwrites, add appends, remove',
      { headers: { request: { set: { 'x-env': 'prod' }, add: { 'x-via': 'trellis' }, remove: ['x-debug'] }, response: { remove: ['server'] } } },
      {
        request_headers_to_add: [
          { header: { key: 'x-env', value: 'prod' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          { header: { key: 'x-via', value: 'trellis' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
        ],
        request_headers_to_remove: ['x-debug'],
        response_headers_to_remove: ['server'],
      },
    ],
    [
      'fault abort and delay as a per-route HTTPFault',
      { fault: { abort: { percent: 1, httpStatus: 503 }, delay: { percent: 5, fixedMs: 100 } } },
      {
        typed_per_filter_config: {
          'envoy.filters.http.fault': {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
            delay: { fixed_delay: { seconds: 0, nanos: 100_000_000 }, percentage: { numerator: 5, denominator: 'HUNDRED' } },
            abort: { http_status: 503, percentage: { numerator: 1, denominator: 'HUNDRED' } },
          },
        },
      },
    ],
    [
      'fault with a gRPC status and a fractional percentage',
      { fault: { abort: { percent: 0.5, grpcStatus: 14 } } },
      {
        typed_per_filter_config: {
          'envoy.filters.http.fault': {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
            abort: { grpc_status: 14, percentage: { numerator: 50, denominator: 'TEN_THOUSAND' } },
          },
        },
      },
    ],
  ])('%s', (_name, change, expected) => {
    const route = buildRoute({ ...defaults, ...change });
    expect(route).toEqual({ ...buildRoute(defaults), ...expected });
    expectValidEnvoy(ROUTE_TYPE, route);
  });
});

describe('buildRoute for proxyless gRPC', () => {
  it('leaves out mirroring and header mutation, keeps what gRPC honours', () => {
    const full: RouteModel = {
      ...defaults,
      timeoutMs: 1000,
      retry: { attempts: 2, on: ['unavailable'] },
      fault: { abort: { percent: 10, grpcStatus: 14 } },
      mirror: { cluster: 'outbound|web.default', percent: 5 },
      headers: { request: { set: { a: 'b' } } },
      hashHeader: 'x-user',
    };
    const envoy = buildRoute(full, 'envoy');
    const grpc = buildRoute(full, 'grpc');
    expect(Object.keys(envoy).sort()).toEqual(['match', 'name', 'request_headers_to_add', 'route', 'typed_per_filter_config']);
    expect(Object.keys(grpc).sort()).toEqual(['match', 'name', 'route', 'typed_per_filter_config']);
    const action = grpc['route'] as Record<string, unknown>;
    expect(Object.keys(action).sort()).toEqual(['cluster', 'hash_policy', 'max_stream_duration', 'retry_policy', 'timeout']);
    expect((envoy['route'] as Record<string, unknown>)['request_mirror_policies']).toBeDefined();
    expectValidEnvoy(ROUTE_TYPE, envoy);
    expectValidEnvoy(ROUTE_TYPE, grpc);
  });
});

const service = (name: string, namespace: string, protocol: ServiceModel['protocol'] = 'http'): ServiceModel => ({
  key: `${name}.${namespace}`,
  name,
  namespace,
  protocol,
  port: 80,
  clusters: [],
  routes: [{ ...defaults, to: [{ cluster: `outbound|${name}.${namespace}`, weight: 1 }] }],
  mtlsMode: 'DISABLE',
  serviceAccount: name,
  spiffeId: `spiffe://trellis.local/ns/${namespace}/sa/${name}`,
});

describe('buildServiceRouteConfig', () => {
  it('is named by the key with one wildcard virtual host', () => {
    const config = buildServiceRouteConfig(service('api', 'shop', 'grpc'));
    expect(config).toEqual({
      name: 'api.shop',
      virtual_hosts: [{ name: 'api.shop', domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: 'outbound|api.shop' } }] }],
    });
    expectValidEnvoy(TypeUrl.RouteConfiguration, config);
  });
});
