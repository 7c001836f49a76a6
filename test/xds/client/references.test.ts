import { describe, expect, it } from 'vitest';
import { listenerReferencesOf } from '../../../src/xds/client/references.ts';
import { internName } from '../../../src/xds/client/names.ts';
import { decodeMessage } from '../../../src/xds/proto/codec.ts';
import { encodeResource } from '../../../src/xds/cache/snapshot.ts';
import { splitAny } from '../../../src/xds/server/proto-scan.ts';
import { translateView } from '../../../src/xds/resources/translate.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { goldenCaseNames, loadGoldenCase } from '../resources/golden-cases.ts';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** The oracle: decode the whole listener with protobufjs and look for `rds` and `scoped_routes.scoped_rds` anywhere. */
function decodedReferences(listeners: readonly Uint8Array[]): { rds: string[]; scopedRds: boolean } {
  const rds = new Set<string>();
  let scopedRds = false;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'rds' && typeof child === 'object' && child !== null) {
        const name = (child as Record<string, unknown>)['route_config_name'];
        if (typeof name === 'string' && name !== '') rds.add(name);
      } else if (key === 'scoped_routes' && typeof child === 'object' && child !== null && (child as Record<string, unknown>)['scoped_rds']) scopedRds = true;
      walk(child);
    }
  };
  for (const any of listeners) walk(decodeMessage('envoy.config.listener.v3.Listener', splitAny(any).value));
  return { rds: [...rds].sort(), scopedRds };
}

const hcm = (extra: Record<string, unknown>): Record<string, unknown> => ({
  '@type': HCM,
  stat_prefix: 'p',
  http_filters: [{ name: 'router', typed_config: { '@type': ROUTER } }],
  ...extra,
});
const rds = (name: string): Record<string, unknown> => ({ rds: { config_source: { ads: {} }, route_config_name: name } });
const scoped = { scoped_routes: { name: 's', scope_key_builder: { fragments: [{ header_value_extractor: { name: ':authority', index: 0 } }] }, rds_config_source: { ads: {} }, scoped_rds: { scoped_rds_config_source: { ads: {} } } } };
const address = { socket_address: { address: '0.0.0.0', port_value: 15001 } };
const listener = (name: string, body: Record<string, unknown>): Uint8Array => encodeResource(TypeUrl.Listener, name, { name, ...body }).any;

describe('listener references read from the wire', () => {
  it('match a full decode for every listener the golden translation cases produce', () => {
    let compared = 0;
    let withRoutes = 0;
    for (const name of goldenCaseNames()) {
      const listeners = (translateView(loadGoldenCase(name).view).resources[TypeUrl.Listener] ?? []).map((l) => encodeResource(TypeUrl.Listener, l.name, l.value).any);
      if (listeners.length === 0) continue;
      const expected = decodedReferences(listeners);
      expect(listenerReferencesOf(listeners), name).toEqual(expected);
      compared += 1;
      if (expected.rds.length > 0 || expected.scopedRds) withRoutes += 1;
    }
    expect(compared).toBeGreaterThan(10);
    expect(withRoutes).toBeGreaterThan(5);
  });

  it('find HCMs in filter chains, the default filter chain and an api_listener, and nothing in other filters', () => {
    const listeners = [
      listener('chains', { address, filter_chains: [{ filters: [{ name: 'hcm', typed_config: hcm(rds('a')) }] }, { filters: [{ name: 'hcm', typed_config: hcm(rds('b')) }] }] }),
      listener('default', { address, default_filter_chain: { filters: [{ name: 'hcm', typed_config: hcm(rds('c')) }] } }),
      listener('api', { api_listener: { api_listener: hcm(rds('d')) } }),
      listener('tcp', { address, filter_chains: [{ filters: [{ name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 't', cluster: 'x' } }] }] }),
      listener('inline', { address, filter_chains: [{ filters: [{ name: 'hcm', typed_config: hcm({ route_config: { name: 'inline' } }) }] }] }),
    ];
    const found = listenerReferencesOf(listeners);
    expect(found).toEqual({ rds: ['a', 'b', 'c', 'd'], scopedRds: false });
    expect(found).toEqual(decodedReferences(listeners));
    const scopedOnly = [listener('scoped', { api_listener: { api_listener: hcm(scoped) } })];
    expect(listenerReferencesOf(scopedOnly)).toEqual({ rds: [], scopedRds: true });
    expect(listenerReferencesOf(scopedOnly)).toEqual(decodedReferences(scopedOnly));
  });

  it('intern names: equal names from different responses are one string', () => {
    const a = listenerReferencesOf([listener('x', { api_listener: { api_listener: hcm(rds('route-1')) } })]).rds[0];
    expect(a).toBe('route-1');
    expect(internName(`route-${'1'}`)).toBe(a);
  });
});
