import { describe, expect, it } from 'vitest';
import type { ProxyView, ServiceModel } from '../../../src/model/types.ts';
import { SIDECAR_PORTS } from '../../../src/xds/resources/envoy-values.ts';
import { buildApiListeners, buildServerListener, serverListenerName } from '../../../src/xds/resources/grpc-listeners.ts';
import { HTTP_FILTERS, ROUTER_FILTER_NAME } from '../../../src/xds/resources/http-filters.ts';
import { buildSidecarListeners } from '../../../src/xds/resources/sidecar-listeners.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';

const service = (name: string, namespace: string, protocol: ServiceModel['protocol'], port: number): ServiceModel => ({
  key: `${name}.${namespace}`,
  name,
  namespace,
  protocol,
  port,
  clusters: [
    { name: `outbound|${name}.${namespace}`, serviceKey: `${name}.${namespace}`, subset: '', protocol, endpoints: [], connectTimeoutMs: 1000, lbPolicy: 'round_robin' },
  ],
  routes: [],
  mtlsMode: 'DISABLE',
  serviceAccount: name,
  spiffeId: `spiffe://trellis.local/ns/${namespace}/sa/${name}`,
});

const defaults: ProxyView = {
  key: 'k',
  kind: 'sidecar',
  namespace: 'default',
  serviceKey: 'web.default',
  locality: { region: '', zone: '', subZone: '' },
  visibleServices: [],
  inboundPort: 0,
  inboundProtocol: 'http',
  serverListeners: [],
  workloadIdentity: '',
  inboundMtls: 'DISABLE',
};

/** Listener name → [address, port, network filter names]. */
function shape(listeners: Array<Record<string, unknown>>): Array<[unknown, string, number, string[]]> {
  return listeners.map((l) => {
    const socket = (l['address'] as { socket_address: { address: string; port_value: number } }).socket_address;
    const chains = l['filter_chains'] as Array<{ filters: Array<{ name: string }> }>;
    return [l['name'], socket.address, socket.port_value, chains.flatMap((c) => c.filters.map((f) => f.name))];
  });
}

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP = 'envoy.filters.network.tcp_proxy';

describe('buildSidecarListeners', () => {
  it.each<[string, Partial<ProxyView>, Array<[string, string, number, string[]]>]>([
    ['outbound_http only by default', {}, [['outbound_http', '127.0.0.1', SIDECAR_PORTS.outboundHttp, [HCM]]]],
    [
      'an http inbound port adds the inbound HCM listener',
      { inboundPort: 8080 },
      [
        ['outbound_http', '127.0.0.1', 15001, [HCM]],
        ['inbound|8080', '0.0.0.0', SIDECAR_PORTS.inbound, [HCM]],
      ],
    ],
    [
      'a tcp inbound port adds a tcp_proxy inbound listener',
      { inboundPort: 5432, inboundProtocol: 'tcp' },
      [
        ['outbound_http', '127.0.0.1', 15001, [HCM]],
        ['inbound|5432', '0.0.0.0', 15006, [TCP]],
      ],
    ],
    ['gateways get no inbound listener', { kind: 'gateway', inboundPort: 8080 }, [['outbound_http', '127.0.0.1', 15001, [HCM]]]],
    [
      'tcp services with a port get listeners, http and port-0 ones do not',
      { visibleServices: [service('db', 'x', 'tcp', 5432), service('new', 'x', 'tcp', 0), service('web', 'x', 'http', 80)] },
      [
        ['outbound_http', '127.0.0.1', 15001, [HCM]],
        ['outbound_tcp|5432|db.x', '127.0.0.1', 5432, [TCP]],
      ],
    ],
  ])('%s', (_name, change, expected) => {
    const { listeners, diagnostics } = buildSidecarListeners({ ...defaults, ...change });
    expect(shape(listeners)).toEqual(expected);
    expect(diagnostics).toEqual([]);
    for (const l of listeners) expectValidEnvoy(TypeUrl.Listener, l);
  });

  it('gives a clashing port to the first service by key and warns about the others', () => {
    const { listeners, diagnostics } = buildSidecarListeners({
      ...defaults,
      inboundPort: 9000,
      visibleServices: [service('a', 'x', 'tcp', 5432), service('b', 'x', 'tcp', 5432), service('c', 'x', 'tcp', 15006)],
    });
    expect(listeners.map((l) => l['name'])).toEqual(['outbound_http', 'outbound_tcp|5432|a.x', 'inbound|9000']);
    expect(diagnostics.map((d) => [d.severity, d.source, d.field])).toEqual([
      ['warning', 'service b.x', 'port'],
      ['warning', 'service c.x', 'port'],
    ]);
    expect(diagnostics[0]?.message).toContain('a.x');
  });

  it('routes the tcp listener to the default cluster', () => {
    const { listeners } = buildSidecarListeners({ ...defaults, visibleServices: [service('db', 'x', 'tcp', 5432)] });
    const filter = (listeners[1]?.['filter_chains'] as Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }>)[0]?.filters[0];
    expect(filter?.typed_config['cluster']).toBe('outbound|db.x');
  });
});

describe('HTTP filters', () => {
  it('end with the router', () => {
    expect(HTTP_FILTERS.at(-1)?.name).toBe(ROUTER_FILTER_NAME);
  });
});

describe('buildApiListeners', () => {
  it('names the listener by key, and also by short name in the same namespace, each with and without the port', () => {
    const api = service('echo', 'default', 'grpc', 50051);
    expect(buildApiListeners(api, 'default').map((l) => l['name'])).toEqual(['echo.default', 'echo.default:50051', 'echo', 'echo:50051']);
    expect(buildApiListeners(api, 'other').map((l) => l['name'])).toEqual(['echo.default', 'echo.default:50051']);
    expect(buildApiListeners(service('echo', 'default', 'grpc', 0), 'other').map((l) => l['name'])).toEqual(['echo.default']);
    for (const l of buildApiListeners(api, 'default')) {
      expectValidEnvoy(TypeUrl.Listener, l);
      const hcm = (l['api_listener'] as { api_listener: Record<string, unknown> }).api_listener;
      expect(hcm['rds']).toEqual({ config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'echo.default' });
      const filters = hcm['http_filters'] as Array<{ name: string }>;
      expect(filters.at(-1)?.name).toBe(ROUTER_FILTER_NAME);
    }
  });

  it('gives tcp services no listener', () => {
    expect(buildApiListeners(service('db', 'default', 'tcp', 5432), 'default')).toEqual([]);
  });
});

describe('buildServerListener (gRFC A36)', () => {
  it.each([
    [{ address: '127.0.0.1', port: 50051 }, 'grpc/server?xds.resource.listening_address=127.0.0.1:50051'],
    [{ address: '::1', port: 50052 }, 'grpc/server?xds.resource.listening_address=[::1]:50052'],
  ])('%j is named %s and bound to exactly that address', (l, name) => {
    expect(serverListenerName(l)).toBe(name);
    const listener = buildServerListener(l);
    expect(listener['name']).toBe(name);
    expect(listener['address']).toEqual({ socket_address: { address: l.address, port_value: l.port } });
    const chains = listener['filter_chains'] as Array<Record<string, unknown>>;
    expect(chains).toHaveLength(1);
    expect(chains[0]).not.toHaveProperty('filter_chain_match');
    const hcm = (chains[0]?.['filters'] as Array<{ typed_config: Record<string, unknown> }>)[0]?.typed_config;
    const vhosts = (hcm?.['route_config'] as { virtual_hosts: Array<{ domains: string[]; routes: unknown[] }> }).virtual_hosts;
    expect(vhosts).toEqual([{ name: 'inbound', domains: ['*'], routes: [{ name: 'inbound', match: { prefix: '' }, non_forwarding_action: {} }] }]);
    expectValidEnvoy(TypeUrl.Listener, listener);
  });
});
