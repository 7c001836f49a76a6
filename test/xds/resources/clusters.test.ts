import { describe, expect, it } from 'vitest';
import type { ClusterModel, ProxyView } from '../../../src/model/types.ts';
import { buildCluster, buildInboundCluster } from '../../../src/xds/resources/clusters.ts';
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
    ['ring_hash', { lbPolicy: 'ring_hash' }, { lb_policy: 'RING_HASH' }],
    ['random', { lbPolicy: 'random' }, { lb_policy: 'RANDOM' }],
    ['sub-second connect timeout', { connectTimeoutMs: 250 }, { connect_timeout: { seconds: 0, nanos: 250_000_000 } }],
    ['long connect timeout', { connectTimeoutMs: 2500 }, { connect_timeout: { seconds: 2, nanos: 500_000_000 } }],
  ])('%s', (_name, change, expected) => {
    const cluster = buildCluster({ ...defaults, ...change });
    expect(cluster).toEqual({ ...buildCluster(defaults), ...expected });
    expectValidEnvoy(TypeUrl.Cluster, cluster);
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
