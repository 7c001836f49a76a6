import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../src/xds/proto/codec.ts';
import { roundTripProblems } from '../../../src/xds/proto/validate.ts';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTER_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const HCM_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const cluster = (over: Record<string, unknown> = {}) => ({
  name: 'echo',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
  connect_timeout: { seconds: 1 },
  ...over,
});

const listenerWith = (filterConfig: Record<string, unknown>) => ({
  name: 'l',
  filter_chains: [{ filters: [{ name: 'hcm', typed_config: { '@type': HCM_URL, stat_prefix: 's', http_filters: [{ name: 'router', typed_config: filterConfig }] } }] }],
});

describe('roundTripProblems', () => {
  it('accepts what only changes spelling: int64 strings, enum numbers, bytes forms, defaults', () => {
    expect(roundTripProblems(CLUSTER, cluster())).toEqual([]);
    expect(roundTripProblems(CLUSTER, cluster({ type: 3, connect_timeout: { seconds: '1' }, alt_stat_name: '', lb_policy: 'ROUND_ROBIN' }))).toEqual([]);
    const secret = (bytes: unknown) => ({ name: 's', generic_secret: { secret: { inline_bytes: bytes } } });
    expect(roundTripProblems('envoy.extensions.transport_sockets.tls.v3.Secret', secret(Buffer.from('hi')))).toEqual([]);
    expect(roundTripProblems('envoy.extensions.transport_sockets.tls.v3.Secret', secret(Buffer.from('hi').toString('base64')))).toEqual([]);
    // A oneof member at its default value is still set, on both sides.
    expect(roundTripProblems('envoy.config.rbac.v3.Permission', { any: false })).toEqual([]);
  });

  it('accepts a packed Any in {type_url, value} form', () => {
    const packed = { type_url: ROUTER_URL, value: encodeMessage('envoy.extensions.filters.http.router.v3.Router', { suppress_envoy_headers: true }) };
    expect(roundTripProblems(LISTENER, listenerWith(packed))).toEqual([]);
  });

  it.each<[string, string, unknown, string[]]>([
    ['unknown field', CLUSTER, cluster({ nmae: 'x' }), ['nmae: lost in encoding (sent "x")']],
    ['unknown enum name', CLUSTER, cluster({ lb_policy: 'NOT_A_POLICY' }), ['lb_policy: lost in encoding (sent "NOT_A_POLICY")']],
    ['bool given as a string', CLUSTER, cluster({ respect_dns_ttl: 'false' }), ['respect_dns_ttl: sent "false", decoded true']],
    ['int32 given a fraction', CLA, { cluster_name: 'c', endpoints: [{ priority: 1.5 }] }, ['endpoints[0].priority: sent 1.5, decoded 1']],
    ['uint32 given a negative', CLA, { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'a', port_value: -1 } } } }] }] },
      ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: sent -1, decoded 4294967295']],
    ['plain JSON in a Struct', CLUSTER, cluster({ metadata: { filter_metadata: { lb: { canary: true } } } }), ['metadata.filter_metadata.lb.canary: lost in encoding (sent true)']],
    ['unknown @type drops the whole Any', LISTENER, listenerWith({ '@type': 'type.googleapis.com/envoy.Nope', x: 1 }),
      ['filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.@type: lost in encoding (sent "type.googleapis.com/envoy.Nope")',
        'filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.x: lost in encoding (sent 1)']],
    ['unknown field inside an Any', LISTENER, listenerWith({ '@type': ROUTER_URL, dynamic_statz: true }),
      ['filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.dynamic_statz: lost in encoding (sent true)']],
    ['a string where a message belongs', CLA, { cluster_name: 'c', endpoints: 'x' }, [expect.stringMatching(/^encoding failed: .*endpoints/) as unknown as string]],
    ['unknown type', 'envoy.Nope', {}, ['unknown message type envoy.Nope']],
  ])('reports %s', (_label, fullName, value, expected) => {
    expect(roundTripProblems(fullName, value)).toEqual(expected);
  });

  it('compares sensitive strings by digest, never printing them', () => {
    const secret = { name: 's', tls_certificate: { private_key: { inline_string: 123 } } };
    const [line] = roundTripProblems('envoy.extensions.transport_sockets.tls.v3.Secret', secret);
    expect(line).toMatch(/^tls_certificate\.private_key\.inline_string: sent 123, decoded "\(sensitive sha256:[0-9a-f]{12}\)"$/);
  });
});
