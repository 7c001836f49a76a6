import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastEncode } from '../../../src/xds/proto/fast-encoders.ts';
import { encodeAny, messageType } from '../../../src/xds/proto/codec.ts';
import protobuf from 'protobufjs';

const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const SCOPE = 'envoy.config.route.v3.ScopedRouteConfiguration';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const viaProtobufjs = (value: object, name = CLA): Uint8Array => {
  const type = messageType(name);
  return type.encode(type.fromObject(value)).finish();
};
const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.compare(a, b) === 0;

const text = fc.string({ maxLength: 40 });
const lbEndpoint = fc.record(
  {
    endpoint: fc.record({ address: fc.record({ socket_address: fc.record({ address: text, port_value: fc.integer({ min: 0, max: 65535 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    health_status: fc.constantFrom('UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'),
    load_balancing_weight: fc.record({ value: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const group = fc.record(
  {
    locality: fc.record({ region: text, zone: text, sub_zone: text }, { requiredKeys: [] }),
    lb_endpoints: fc.array(lbEndpoint, { maxLength: 4 }),
    load_balancing_weight: fc.record({ value: fc.integer({ min: 0, max: 1000 }) }),
    priority: fc.integer({ min: 0, max: 128 }),
  },
  { requiredKeys: [] },
);
const cla = fc.record({ cluster_name: text, endpoints: fc.array(group, { maxLength: 4 }) }, { requiredKeys: [] });

describe('fast encoders', () => {
  it('write exactly the bytes protobufjs writes for every ClusterLoadAssignment shape the builder makes', () => {
    fc.assert(
      fc.property(cla, (value) => {
        expect(same(fastEncode(CLA, value), viaProtobufjs(value))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('decline shapes they do not know, so protobufjs encodes them', () => {
    const base = { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } }] }] };
    expect(fastEncode(CLA, base)).toBeDefined();
    expect(fastEncode(CLA, { ...base, policy: { overprovisioning_factor: { value: 140 } } })).toBeUndefined();
    expect(fastEncode(CLA, { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ health_status: 'SICK' }] }] })).toBeUndefined();
    expect(fastEncode(CLA, { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ metadata: {} }] }] })).toBeUndefined();
    expect(fastEncode(CLA, { cluster_name: 7 })).toBeUndefined();
    expect(fastEncode(CLA, { cluster_name: 'c', endpoints: [{ priority: -1 }] })).toBeUndefined();
    expect(fastEncode(CLUSTER, { name: 'c', transport_socket: { name: 'tls' } })).toBeUndefined();
    expect(fastEncode(CLUSTER, { name: 'c', connect_timeout: { seconds: -1 } })).toBeUndefined();
    expect(fastEncode(CLUSTER, { name: 'c', lb_policy: 'FASTEST' })).toBeUndefined();
    const h2 = { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } };
    expect(fastEncode(CLUSTER, { name: 'c', typed_extension_protocol_options: { o: h2 } })).toBeDefined();
    expect(fastEncode(CLUSTER, { name: 'c', typed_extension_protocol_options: { o: { ...h2, common_http_protocol_options: { idle_timeout: { seconds: 1 } } } } })).toBeUndefined();
    expect(fastEncode(CLUSTER, { name: 'c', typed_extension_protocol_options: { o: { ...h2, explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 1 } } } } } })).toBeUndefined();
    expect(fastEncode(CLUSTER, { name: 'c', typed_extension_protocol_options: { o: { ...h2, '@type': 'type.googleapis.com/other.Options' } } })).toBeUndefined();
    expect(fastEncode('envoy.config.listener.v3.Listener', { name: 'l' })).toBeUndefined();
  });

  it('write scopes as protobufjs does', () => {
    const scope = fc.record(
      { name: text, route_configuration_name: text, key: fc.record({ fragments: fc.array(fc.record({ string_key: text }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(scope, (value) => {
        expect(same(fastEncode(SCOPE, value), viaProtobufjs(value, SCOPE))).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(fastEncode(SCOPE, { name: 'a', on_demand: true })).toBeUndefined();
  });

  it('wraps bytes in an Any exactly as protobufjs does, whatever their length', () => {
    for (const length of [0, 1, 127, 128, 300, 16_383, 16_384, 70_000]) {
      const value = Buffer.alloc(length, 7);
      const url = 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration';
      const expected = protobuf.Writer.create().uint32(10).string(url).uint32(18).bytes(value).finish();
      expect(Buffer.compare(Buffer.from(encodeAny(url, value)), Buffer.from(expected)), String(length)).toBe(0);
    }
  });

  it('write plain EDS clusters as protobufjs does', () => {
    const cluster = fc.record(
      {
        name: text,
        type: fc.constantFrom('STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'),
        eds_cluster_config: fc.record(
          { eds_config: fc.record({ ads: fc.constant({}), resource_api_version: fc.constantFrom('AUTO', 'V2', 'V3') }, { requiredKeys: [] }), service_name: text },
          { requiredKeys: [] },
        ),
        connect_timeout: fc.record({ seconds: fc.integer({ min: 0, max: 2 ** 31 - 1 }), nanos: fc.integer({ min: 0, max: 999_999_999 }) }, { requiredKeys: [] }),
        lb_policy: fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV', 'CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG'),
        typed_extension_protocol_options: fc.dictionary(
          text,
          fc.record(
            {
              '@type': fc.constant('type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
              explicit_http_config: fc.record({ http_protocol_options: fc.constant({}), http2_protocol_options: fc.constant({}) }, { requiredKeys: [] }),
            },
            { requiredKeys: ['@type'] },
          ),
          { maxKeys: 2 },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(cluster, (value) => {
        expect(same(fastEncode(CLUSTER, value), viaProtobufjs(value, CLUSTER))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('write simple route configurations as protobufjs does, and decline configured routes', () => {
    const RC = 'envoy.config.route.v3.RouteConfiguration';
    const route = fc.record(
      { name: text, match: fc.record({ prefix: text }, { requiredKeys: [] }), route: fc.record({ cluster: text }, { requiredKeys: [] }) },
      { requiredKeys: [] },
    );
    const vhost = fc.record({ name: text, domains: fc.array(text, { maxLength: 3 }), routes: fc.array(route, { maxLength: 3 }) }, { requiredKeys: [] });
    const config = fc.record({ name: text, virtual_hosts: fc.array(vhost, { maxLength: 3 }) }, { requiredKeys: [] });
    fc.assert(
      fc.property(config, (value) => {
        expect(same(fastEncode(RC, value), viaProtobufjs(value, RC))).toBe(true);
      }),
      { numRuns: 300 },
    );
    const timed = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', timeout: { seconds: 1 } } }] }] };
    expect(fastEncode(RC, timed)).toBeUndefined();
  });
});
