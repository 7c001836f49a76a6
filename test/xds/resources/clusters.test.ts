import { describe, expect, it } from 'vitest';
import type { ClusterModel, LbPolicy, ProxyView } from '../../../src/model/types.ts';
import { buildCluster, buildInboundCluster, clusterWarnings } from '../../../src/xds/resources/clusters.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';

const defaults: ClusterModel = {
  name: 'outbound|web.default',
  serviceKey: 'web.default',
  subset: '',
  protocol: 'http',
  endpoints: [],
  connectTimeoutMs: 1000,
  lbPolicy: 'round_robin',
};

const HTTP2 = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    explicit_http_config: { http2_protocol_options: {} },
  },
};

describe('buildCluster', () => {
  it('builds an EDS cluster over ADS named after the model', () => {
    const cluster = buildCluster(defaults);
    expect(cluster).toEqual({
      name: 'outbound|web.default',
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'outbound|web.default' },
      connect_timeout: { seconds: 1, nanos: 0 },
      lb_policy: 'ROUND_ROBIN',
    });
    expectValidEnvoy(TypeUrl.Cluster, cluster);
  });

  // Each row states only what differs from `defaults` and what must differ in the output.
  it.each<[string, Partial<ClusterModel>, Record<string, unknown>]>([
    ['grpc gets explicit HTTP/2', { protocol: 'grpc' }, { typed_extension_protocol_options: HTTP2 }],
    ['tcp gets no protocol options', { protocol: 'tcp' }, {}],
    ['least_request', { lbPolicy: 'least_request' }, { lb_policy: 'LEAST_REQUEST' }],
    ['ring_hash', { lbPolicy: 'ring_hash' }, { lb_policy: 'RING_HASH', ring_hash_lb_config: {} }],
    ['random', { lbPolicy: 'random' }, { lb_policy: 'RANDOM' }],
    ['sub-second connect timeout', { connectTimeoutMs: 250 }, { connect_timeout: { seconds: 0, nanos: 250_000_000 } }],
    ['long connect timeout', { connectTimeoutMs: 2500 }, { connect_timeout: { seconds: 2, nanos: 500_000_000 } }],
    [
      'circuit breakers: only the limits given',
      { circuitBreakers: { maxConnections: 100, maxRequests: 200 } },
      { circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: { value: 100 }, max_requests: { value: 200 } }] } },
    ],
    [
      'outlier detection with consecutive errors',
      { outlierDetection: { consecutive5xx: 5, consecutiveGatewayErrors: 3, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 } },
      {
        outlier_detection: {
          consecutive_5xx: { value: 5 },
          consecutive_gateway_failure: { value: 3 },
          enforcing_consecutive_gateway_failure: { value: 100 },
          interval: { seconds: 10, nanos: 0 },
          base_ejection_time: { seconds: 30, nanos: 0 },
          max_ejection_percent: { value: 50 },
          enforcing_success_rate: { value: 0 },
        },
      },
    ],
    [
      'outlier detection by failure percentage is enforced',
      { outlierDetection: { failurePercentageThreshold: 50, failurePercentageMinimumHosts: 2, failurePercentageRequestVolume: 10 } },
      {
        outlier_detection: {
          enforcing_success_rate: { value: 0 },
          failure_percentage_threshold: { value: 50 },
          failure_percentage_minimum_hosts: { value: 2 },
          failure_percentage_request_volume: { value: 10 },
          enforcing_failure_percentage: { value: 100 },
        },
      },
    ],
  ])('%s', (_name, change, expected) => {
    const cluster = buildCluster({ ...defaults, ...change });
    expect(cluster).toEqual({ ...buildCluster(defaults), ...expected });
    expectValidEnvoy(TypeUrl.Cluster, cluster);
  });
});

describe('buildCluster for proxyless gRPC', () => {
  it.each<[LbPolicy, string, number]>([
    ['round_robin', 'ROUND_ROBIN', 0],
    ['ring_hash', 'RING_HASH', 0],
    ['least_request', 'ROUND_ROBIN', 1],
    ['random', 'ROUND_ROBIN', 1],
  ])('%s becomes %s with %i warning(s)', (policy, expected, warnings) => {
    const model = { ...defaults, lbPolicy: policy };
    expect(buildCluster(model, 'grpc')['lb_policy']).toBe(expected);
    expect(clusterWarnings(model, 'grpc')).toHaveLength(warnings);
    expect(clusterWarnings(model, 'envoy')).toEqual([]);
  });
});

describe('buildInboundCluster', () => {
  const view: ProxyView = {
    key: 'k',
    kind: 'sidecar',
    namespace: 'default',
    serviceKey: 'web.default',
    locality: { region: '', zone: '', subZone: '' },
    visibleServices: [],
    inboundPort: 8080,
    inboundProtocol: 'http',
    serverListeners: [],
    workloadIdentity: '',
    inboundMtls: 'DISABLE',
  };

  it('is a STATIC cluster to 127.0.0.1:<inboundPort>', () => {
    const cluster = buildInboundCluster(view);
    expect(cluster).toEqual({
      name: 'inbound|8080|web.default',
      type: 'STATIC',
      connect_timeout: { seconds: 1, nanos: 0 },
      load_assignment: {
        cluster_name: 'inbound|8080|web.default',
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } } } }] }],
      },
    });
    expectValidEnvoy(TypeUrl.Cluster, cluster ?? {});
  });

  it('speaks HTTP/2 to a grpc application', () => {
    expect(buildInboundCluster({ ...view, inboundProtocol: 'grpc' })?.['typed_extension_protocol_options']).toEqual(HTTP2);
  });

  it.each<[string, Partial<ProxyView>]>([
    ['no inbound port', { inboundPort: 0 }],
    ['a proxyless view', { kind: 'proxyless' }],
    ['a gateway view', { kind: 'gateway' }],
  ])('is absent for %s', (_name, change) => {
    expect(buildInboundCluster({ ...view, ...change })).toBeUndefined();
  });
});
