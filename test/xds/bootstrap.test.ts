import { describe, expect, it } from 'vitest';
import { envoyBootstrap, envoyBootstrapJson, grpcBootstrap } from '../../src/xds/bootstrap.ts';
import { toProto3Json } from '../../src/xds/proto/json.ts';
import { toStruct } from '../../src/xds/proto/struct.ts';
import { expectValidEnvoy } from '../support/envoy-assert.ts';

const options = {
  service: 'reviews',
  namespace: 'bookinfo',
  xdsAddress: '127.0.0.1:18000',
  address: '10.0.0.5',
  port: 9080,
  protocol: 'http' as const,
  region: 'us-east',
  zone: 'a',
  labels: { version: 'v2' },
};

describe('Envoy bootstrap', () => {
  it('is valid against envoy.config.bootstrap.v3.Bootstrap, PGV rules included', () => {
    expectValidEnvoy('envoy.config.bootstrap.v3.Bootstrap', envoyBootstrap(options));
    expectValidEnvoy('envoy.config.bootstrap.v3.Bootstrap', envoyBootstrap({ service: 'a', namespace: 'default', xdsAddress: 'trellis.internal:18000' }));
  });

  it('points ADS at Trellis and names the workload in node metadata', () => {
    const json = envoyBootstrapJson(options) as Record<string, any>;
    expect(json['node'].metadata).toEqual({
      'trellis.kind': 'sidecar',
      'trellis.service': 'reviews',
      'trellis.namespace': 'bookinfo',
      'trellis.address': '10.0.0.5',
      'trellis.port': 9080,
      'trellis.protocol': 'http',
      'trellis.labels': { version: 'v2' },
    });
    expect(json['node'].locality).toEqual({ region: 'us-east', zone: 'a' });
    expect(json['dynamic_resources'].ads_config.grpc_services[0].envoy_grpc.cluster_name).toBe('trellis_xds');
    const cluster = json['static_resources'].clusters[0];
    expect(cluster.connect_timeout).toBe('1s');
    expect(cluster.type).toBe('STATIC');
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 18000 });
  });

  it('uses DNS for a host name and refuses an address without a port', () => {
    const json = envoyBootstrapJson({ ...options, xdsAddress: 'trellis.internal:18000' }) as Record<string, any>;
    expect(json['static_resources'].clusters[0].type).toBe('STRICT_DNS');
    expect(() => envoyBootstrap({ ...options, xdsAddress: 'trellis.internal' })).toThrow(/host:port/);
  });
});

describe('gRPC bootstrap', () => {
  it('has what grpc-js-xds requires: server URI, insecure creds, xds_v3, a locality, the A36 template', () => {
    const json = grpcBootstrap(options) as Record<string, any>;
    expect(json['xds_servers']).toEqual([{ server_uri: '127.0.0.1:18000', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }]);
    expect(json['node'].locality).toEqual({ region: 'us-east', zone: 'a' });
    expect(json['node'].metadata['trellis.kind']).toBe('proxyless');
    expect(json['server_listener_resource_name_template']).toBe('grpc/server?xds.resource.listening_address=%s');
  });
});

describe('proto3 JSON', () => {
  it('writes durations, wrappers, structs and 64-bit integers the way Envoy reads them', () => {
    const cluster = {
      name: 'c',
      connect_timeout: { seconds: 1, nanos: 500_000_000 },
      per_connection_buffer_limit_bytes: { value: 1024 },
      metadata: { filter_metadata: { trellis: toStruct({ team: 'a', n: 2, nested: { ok: true }, list: ['x'] }) } },
      circuit_breakers: { thresholds: [{ max_connections: { value: 7 } }] },
    };
    expectValidEnvoy('envoy.config.cluster.v3.Cluster', cluster);
    expect(toProto3Json('envoy.config.cluster.v3.Cluster', cluster)).toEqual({
      name: 'c',
      connect_timeout: '1.5s',
      per_connection_buffer_limit_bytes: 1024,
      metadata: { filter_metadata: { trellis: { team: 'a', n: 2, nested: { ok: true }, list: ['x'] } } },
      circuit_breakers: { thresholds: [{ max_connections: 7 }] },
    });
    expect(toProto3Json('envoy.config.core.v3.RuntimeFractionalPercent', { default_value: { numerator: 5 } })).toEqual({ default_value: { numerator: 5 } });
  });
});
