import { describe, expect, it } from 'vitest';
import { validateEnvoyMessage } from '../../../src/xds/proto/validate.ts';
import { envoyProblems, expectValidEnvoy } from '../../support/envoy-assert.ts';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTES = 'envoy.config.route.v3.RouteConfiguration';
const HCM_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ADS = { ads: {}, resource_api_version: 'V3' };

type Json = Record<string, unknown>;

function cluster(over: Json = {}): Json {
  return {
    name: 'echo',
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS, service_name: 'echo' },
    connect_timeout: { seconds: 1, nanos: 500_000_000 },
    lb_policy: 'ROUND_ROBIN',
    ...over,
  };
}

function endpoint(address: string, port: unknown): Json {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, health_status: 'HEALTHY' };
}

function cla(over: Json = {}): Json {
  return {
    cluster_name: 'echo',
    endpoints: [
      { locality: { region: 'r1', zone: 'z1' }, load_balancing_weight: { value: 1 }, lb_endpoints: [endpoint('10.0.0.1', 8080), endpoint('10.0.0.2', 8080)] },
      { locality: { zone: 'z2' }, load_balancing_weight: { value: 3 }, priority: 1, lb_endpoints: [endpoint('10.0.1.1', 8080)] },
    ],
    ...over,
  };
}

function route(action: Json, match: Json = { prefix: '/' }): Json {
  return { match, route: action };
}

function routeConfig(routes: Json[] = [route({ cluster: 'echo', timeout: { seconds: 5 } })], over: Json = {}): Json {
  return { name: 'echo-routes', virtual_hosts: [{ name: 'echo', domains: ['echo', 'echo:8080'], routes }], ...over };
}

function hcm(over: Json = {}): Json {
  return {
    '@type': HCM_URL,
    stat_prefix: 'echo',
    codec_type: 'AUTO',
    rds: { route_config_name: 'echo-routes', config_source: ADS },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_URL } }],
    ...over,
  };
}

function listener(manager: Json = hcm()): Json {
  return {
    name: 'echo',
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: manager }] }],
  };
}

/** `[path, rule]` pairs, the part of each problem a row pins down exactly. */
function found(fullName: string, value: unknown): Array<[string, string]> {
  return validateEnvoyMessage(fullName, value).map((p) => [p.path, p.rule]);
}

describe('validateEnvoyMessage on valid resources', () => {
  it.each([
    ['EDS Cluster', CLUSTER, cluster()],
    ['ClusterLoadAssignment', CLA, cla()],
    ['Listener with HCM over RDS and the router filter', LISTENER, listener()],
    ['RouteConfiguration with weighted clusters', ROUTES, routeConfig([route({ weighted_clusters: { clusters: [{ name: 'a', weight: { value: 90 } }, { name: 'b', weight: { value: 10 } }] } })])],
    ['api_listener for proxyless gRPC', LISTENER, { name: 'echo', api_listener: { api_listener: hcm() } }],
    // The bundle's google.protobuf.Value comes from protobufjs' own definitions: camelCase fields.
    ['Cluster with Struct metadata', CLUSTER, cluster({ metadata: { filter_metadata: { 'envoy.lb': { fields: { canary: { boolValue: true }, tags: { listValue: { values: [{ stringValue: 'a' }] } } } } } } })],
  ])('%s has zero problems and round-trips', (_label, fullName, value) => {
    expect(validateEnvoyMessage(fullName, value)).toEqual([]);
    expect(envoyProblems(fullName, value)).toEqual([]);
    expect(() => expectValidEnvoy(`type.googleapis.com/${fullName}`, value)).not.toThrow();
  });
});

describe('validateEnvoyMessage reports each rule family at the right path', () => {
  const deepRoutes = {
    name: 'inline',
    virtual_hosts: [
      { name: 'ok', domains: ['a'], routes: [route({ cluster: 'a' })] },
      { name: 'bad', domains: ['b\nc'], routes: [route({ cluster: 'b' })] },
    ],
  };
  const rows: Array<[string, string, unknown, Array<[string, string]>]> = [
    ['Cluster without name', CLUSTER, cluster({ name: undefined }), [['name', 'string.min_len']]],
    ['port_value 70000', CLA, cla({ endpoints: [{ lb_endpoints: [endpoint('10.0.0.1', 70000)] }] }),
      [['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value', 'uint32.lte']]],
    ['header key with a newline', ROUTES, routeConfig(undefined, { request_headers_to_add: [{ header: { key: 'x-a\nb', value: 'v' } }] }),
      [['request_headers_to_add[0].header.key', 'string.well_known_regex']]],
    ['unknown field nmae', CLUSTER, cluster({ nmae: 'echo' }), [['nmae', 'unknown_field']]],
    ['lb_policy NOT_A_POLICY', CLUSTER, cluster({ lb_policy: 'NOT_A_POLICY' }), [['lb_policy', 'enum.defined_only']]],
    ['undefined enum number', CLUSTER, cluster({ lb_policy: 99 }), [['lb_policy', 'enum.defined_only']]],
    ['WeightedCluster with no clusters', ROUTES, routeConfig([route({ weighted_clusters: { clusters: [] } })]),
      [['virtual_hosts[0].routes[0].route.weighted_clusters.clusters', 'repeated.min_items']]],
    ['RouteAction without cluster_specifier', ROUTES, routeConfig([route({ timeout: { seconds: 1 } })]),
      [['virtual_hosts[0].routes[0].route.cluster_specifier', 'oneof.required']]],
    ['connect_timeout 0', CLUSTER, cluster({ connect_timeout: { seconds: 0 } }), [['connect_timeout', 'duration.gt']]],
    ['two members of a oneof', ROUTES, routeConfig([route({ cluster: 'a', cluster_header: 'x-cluster' })]),
      [['virtual_hosts[0].routes[0].route.cluster_specifier', 'oneof.multiple']]],
    ['bad field deep inside a nested Any', LISTENER, listener(hcm({ rds: undefined, route_config: deepRoutes })),
      [['filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].domains[0]', 'string.well_known_regex']]],
    ['unknown field inside a nested Any', LISTENER, listener(hcm({ http_filters: [{ name: 'r', typed_config: { '@type': ROUTER_URL, dynamic_statz: true } }] })),
      [['filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.dynamic_statz', 'unknown_field']]],
    ['unknown @type', LISTENER, listener(hcm({ http_filters: [{ name: 'r', typed_config: { '@type': 'type.googleapis.com/envoy.Nope' } }] })),
      [['filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.@type', 'any.type_url']]],
    ['Any without @type', LISTENER, listener({ stat_prefix: 'x' }), [['filter_chains[0].filters[0].typed_config', 'any.type_url']]],
    ['type URL without the googleapis prefix', LISTENER, listener(hcm({ '@type': 'example.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager' })),
      [['filter_chains[0].filters[0].typed_config.@type', 'any.type_url']]],
    ['wrapper rule on UInt32Value.value', CLA, cla({ endpoints: [{ load_balancing_weight: { value: 0 }, lb_endpoints: [] }] }),
      [['endpoints[0].load_balancing_weight', 'uint32.gte']]],
    ['Rds without config_source', LISTENER, listener(hcm({ rds: { route_config_name: 'r' } })),
      [['filter_chains[0].filters[0].typed_config.rds.config_source', 'message.required']]],
    ['Route without action', ROUTES, routeConfig([{ match: { prefix: '/' } }]), [['virtual_hosts[0].routes[0].action', 'oneof.required']]],
    ['path_separated_prefix ending in /', ROUTES, routeConfig([route({ cluster: 'a' }, { path_separated_prefix: '/api/' })]),
      [['virtual_hosts[0].routes[0].match.path_separated_prefix', 'string.pattern']]],
    ['empty map key', CLUSTER, cluster({ metadata: { filter_metadata: { '': { fields: {} } } } }), [['metadata.filter_metadata[""]', 'string.min_len']]],
    ['Percent above 100', CLUSTER, cluster({ common_lb_config: { healthy_panic_threshold: { value: 100.5 } } }),
      [['common_lb_config.healthy_panic_threshold.value', 'double.lte']]],
    ['string.in', LISTENER, listener(hcm({ scheme_header_transformation: { scheme_to_overwrite: 'ftp' } })),
      [['filter_chains[0].filters[0].typed_config.scheme_header_transformation.scheme_to_overwrite', 'string.in']]],
    ['repeated.items string.in', LISTENER, listener(hcm({ http_filters: [{ name: 'r', typed_config: { '@type': ROUTER_URL, strict_check_headers: ['x-envoy-max-retries', 'x-nope'] } }] })),
      [['filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.strict_check_headers[1]', 'string.in']]],
    ['repeated.unique', ROUTES, routeConfig([route({ cluster: 'a', internal_redirect_policy: { response_headers_to_copy: ['x-a', 'x-b', 'x-a'] } })]),
      [['virtual_hosts[0].routes[0].route.internal_redirect_policy.response_headers_to_copy[2]', 'repeated.unique']]],
    ['repeated.max_items', ROUTES, routeConfig(undefined, { response_headers_to_add: Array.from({ length: 1001 }, () => ({ header: { key: 'x-a', value: 'b' } })) }),
      [['response_headers_to_add', 'repeated.max_items']]],
    ['string.max_bytes', ROUTES, routeConfig(undefined, { request_headers_to_add: [{ header: { key: 'x-big', value: 'é'.repeat(8193) } }] }),
      [['request_headers_to_add[0].header.value', 'string.max_bytes']]],
    ['health check: required duration, required wrapper, enum.not_in', CLUSTER,
      cluster({ health_checks: [{ interval: { seconds: 5 }, healthy_threshold: { value: 1 }, http_health_check: { path: '/healthz', method: 'CONNECT' } }] }),
      [['health_checks[0].http_health_check.method', 'enum.not_in'], ['health_checks[0].timeout', 'duration.required'], ['health_checks[0].unhealthy_threshold', 'message.required']]],
    ['any.required on TypedExtensionConfig', CLUSTER, cluster({ load_balancing_policy: { policies: [{ typed_extension_config: { name: 'rr' } }] } }),
      [['load_balancing_policy.policies[0].typed_extension_config.typed_config', 'any.required']]],
    ['Duration with mixed signs', CLUSTER, cluster({ connect_timeout: { seconds: 1, nanos: -5 } }), [['connect_timeout', 'duration.range']]],
    ['plain JSON in a Struct', CLUSTER, cluster({ metadata: { filter_metadata: { 'envoy.lb': { canary: true } } } }),
      [['metadata.filter_metadata["envoy.lb"].canary', 'unknown_field']]],
    ['snake_case inside google.protobuf.Value', CLUSTER, cluster({ metadata: { filter_metadata: { lb: { fields: { v: { string_value: 'x' } } } } } }),
      [['metadata.filter_metadata["lb"].fields["v"].string_value', 'unknown_field']]],
  ];
  it.each(rows)('%s', (_label, fullName, value, expected) => {
    expect(found(fullName, value)).toEqual(expected);
  });

  it('reports wrong JS types instead of letting protobufjs coerce them', () => {
    const value = cla({
      cluster_name: 5,
      endpoints: [{ priority: 1.5, lb_endpoints: [endpoint('10.0.0.1', '8080'), { endpoint: 'x' }], load_balancing_weight: { value: -1 } }],
      policy: { overprovisioning_factor: { value: 2 ** 32 } },
    });
    expect(found(CLA, value)).toEqual([
      ['cluster_name', 'type'],
      ['endpoints[0].priority', 'type'],
      ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value', 'type'],
      ['endpoints[0].lb_endpoints[1].endpoint', 'type'],
      ['endpoints[0].load_balancing_weight.value', 'type'],
      ['policy.overprovisioning_factor.value', 'type'],
    ]);
    expect(found(CLUSTER, cluster({ health_checks: {} }))).toEqual([['health_checks', 'type']]);
    expect(found(CLUSTER, cluster({ respect_dns_ttl: 'false' }))).toEqual([['respect_dns_ttl', 'type']]);
  });

  it('accepts 64-bit integers as numbers or decimal strings and enums by number', () => {
    const check = (bufferSize: unknown) =>
      found(CLUSTER, cluster({ lb_policy: 0, health_checks: [{ timeout: { seconds: '1' }, interval: { seconds: 5 }, healthy_threshold: { value: 1 }, unhealthy_threshold: { value: 1 }, http_health_check: { path: '/h', response_buffer_size: { value: bufferSize } } }] }));
    expect(check('18446744073709551615')).toEqual([]);
    expect(check(1024)).toEqual([]);
    expect(check('18446744073709551616')).toEqual([['health_checks[0].http_health_check.response_buffer_size.value', 'type']]);
    expect(check(2 ** 60)).toEqual([['health_checks[0].http_health_check.response_buffer_size.value', 'type']]);
  });

  it('honours PGV exclusive ranges (lte 0 with gte 1s means "0 or at least 1s")', () => {
    const keepAlive = (nanos: number, seconds = 0) => found('envoy.config.core.v3.QuicKeepAliveSettings', { max_interval: { seconds, nanos } });
    expect(keepAlive(0)).toEqual([]);
    expect(keepAlive(0, 2)).toEqual([]);
    expect(keepAlive(500_000_000)).toEqual([['max_interval', 'duration.gte']]);
  });

  it('applies ignore_empty and bool.const only when they should', () => {
    const sni = (value: string) => found('envoy.config.core.v3.UpstreamHttpProtocolOptions', { override_auto_sni_header: value });
    expect(sni('')).toEqual([]);
    expect(sni(':authority')).toEqual([]);
    expect(sni('bad header')).toEqual([['override_auto_sni_header', 'string.well_known_regex']]);
    expect(found('envoy.config.rbac.v3.Permission', { any: true })).toEqual([]);
    expect(found('envoy.config.rbac.v3.Permission', { any: false })).toEqual([['any', 'bool.const']]);
    // An unset oneof member is not checked, but the required oneof is.
    expect(found('envoy.config.rbac.v3.Permission', {})).toEqual([['rule', 'oneof.required']]);
  });

  it('names the likely field for typos and camelCase', () => {
    const [typo] = validateEnvoyMessage(CLUSTER, cluster({ nmae: 'x' }));
    expect(typo?.message).toContain('did you mean name?');
    const [camel] = validateEnvoyMessage(CLA, { ...cla(), clusterName: 'x' });
    expect(camel?.message).toContain('did you mean cluster_name?');
  });

  it('does not echo sensitive values', () => {
    const secret = {
      name: 'cert',
      tls_certificate: { certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 5 } },
    };
    expect(found('envoy.extensions.transport_sockets.tls.v3.Secret', secret)).toEqual([['tls_certificate.private_key.inline_string', 'type']]);
    const secretOk = { name: 'cert', tls_certificate: { certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 'KEY' } } };
    expect(envoyProblems('envoy.extensions.transport_sockets.tls.v3.Secret', secretOk)).toEqual([]);
  });

  it('validates the Envoy bootstrap', () => {
    const bootstrap = {
      node: { id: 'sidecar~10.0.0.1~echo-1~default', cluster: 'echo' },
      dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] }, cds_config: ADS, lds_config: ADS },
      static_resources: {
        clusters: [{
          name: 'xds', type: 'STATIC', connect_timeout: { seconds: 1 },
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: { cluster_name: 'xds', endpoints: [{ lb_endpoints: [endpoint('127.0.0.1', 18000)] }] },
        }],
      },
    };
    expect(envoyProblems('envoy.config.bootstrap.v3.Bootstrap', bootstrap)).toEqual([]);
    const broken = { ...bootstrap, dynamic_resources: { ads_config: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: {} }] } } };
    expect(found('envoy.config.bootstrap.v3.Bootstrap', broken)).toEqual([['dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name', 'string.min_len']]);
  });

  it('reports an unknown message type and non-object input', () => {
    expect(found('envoy.Nope', {})).toEqual([['', 'type']]);
    expect(found(CLUSTER, [])).toEqual([['', 'type']]);
  });

  it('expectValidEnvoy lists every problem with its path and the resource name', () => {
    expect(() => expectValidEnvoy(CLUSTER, cluster({ nmae: 'x', connect_timeout: { seconds: 0 } }))).toThrowError(
      /Cluster "echo" is not valid Envoy config \(3 problem\(s\)\):\n {2}connect_timeout: \[duration\.gt\] value 0s must be > 0s\n {2}nmae: \[unknown_field\].*\n {2}round trip: nmae: lost in encoding/,
    );
  });

  it('is fast enough for golden tests over thousands of resources', () => {
    const clusters = Array.from({ length: 2000 }, (_v, i) => cluster({ name: `c${i}` }));
    const listeners = Array.from({ length: 500 }, () => listener(hcm({ rds: undefined, route_config: routeConfig() })));
    const started = performance.now();
    for (const c of clusters) validateEnvoyMessage(CLUSTER, c);
    for (const l of listeners) validateEnvoyMessage(LISTENER, l);
    // ~2,500 resources; generous for two shared cores, tight enough to catch a per-call recompile.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
