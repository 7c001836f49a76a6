/** The request simulator itself, on hand-written resources, so behavioural tests can trust it. */
import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { simulateRequest } from '../../support/simulate.ts';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const vhost = (name: string, domains: string[]) => ({ name, domains, routes: [{ name: `r-${name}`, match: { prefix: '/' }, route: { cluster: name } }] });
const staticCluster = (name: string, address: string) => ({
  name,
  type: 'STATIC',
  load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] },
});

const resources = {
  [TypeUrl.Listener]: [
    {
      name: 'l',
      value: { name: 'l', filter_chains: [{ filters: [{ name: 'hcm', typed_config: { '@type': HCM, rds: { route_config_name: 'rc' } } }] }] },
    },
  ],
  [TypeUrl.RouteConfiguration]: [
    {
      name: 'rc',
      value: {
        name: 'rc',
        virtual_hosts: [
          vhost('any', ['*']),
          vhost('prefix', ['foo.*']),
          vhost('longprefix', ['foo.bar.*']),
          vhost('suffix', ['*.com']),
          vhost('exact', ['foo.bar.com']),
          {
            name: 'split',
            domains: ['split'],
            routes: [
              { name: 'canary', match: { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: 'yes' } }] }, route: { cluster: 'exact' } },
              { name: 'api', match: { path: '/api' }, route: { cluster: 'prefix' } },
              { name: 'regex', match: { prefix: '/', headers: [{ name: 'x-user', string_match: { safe_regex: { regex: 'ann|bob' } } }] }, route: { cluster: 'suffix' } },
              { name: 'weighted', match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'any', weight: { value: 3 } }, { name: 'suffix', weight: { value: 1 } }] } } },
            ],
          },
        ],
      },
    },
  ],
  [TypeUrl.Cluster]: ['any', 'prefix', 'longprefix', 'suffix', 'exact'].map((n, i) => ({ name: n, value: staticCluster(n, `10.0.0.${i}`) })),
};

const hostOf = (host: string, path = '/', headers: Record<string, string> = {}) => {
  const result = simulateRequest(resources, { listener: 'l', host, path, headers });
  return result.ok ? result.virtualHost : result.reason;
};

describe('simulateRequest virtual host selection (Envoy order)', () => {
  it.each([
    ['foo.bar.com', 'exact'],
    ['FOO.bar.com', 'exact'],
    ['x.com', 'suffix'],
    ['foo.bar.org', 'longprefix'],
    ['foo.org', 'prefix'],
    ['other', 'any'],
  ])('%s → %s', (host, expected) => {
    expect(hostOf(host)).toBe(expected);
  });
});

describe('simulateRequest routes', () => {
  it('takes the first matching route: headers, exact path, then a weighted split', () => {
    expect(simulateRequest(resources, { listener: 'l', host: 'split', path: '/api', headers: { 'x-canary': 'yes' } })).toMatchObject({ route: 'canary', endpoints: ['10.0.0.4:80'] });
    expect(simulateRequest(resources, { listener: 'l', host: 'split', path: '/api' })).toMatchObject({ route: 'api', clusters: [{ name: 'prefix', weight: 1 }] });
    expect(simulateRequest(resources, { listener: 'l', host: 'split', path: '/api/x' })).toEqual({
      ok: true,
      virtualHost: 'split',
      route: 'weighted',
      clusters: [
        { name: 'any', weight: 3 },
        { name: 'suffix', weight: 1 },
      ],
      endpoints: ['10.0.0.0:80', '10.0.0.3:80'],
    });
  });

  it('matches safe_regex headers against the whole value', () => {
    const route = (user?: string) => {
      const result = simulateRequest(resources, { listener: 'l', host: 'split', path: '/x', ...(user ? { headers: { 'x-user': user } } : {}) });
      return result.ok ? result.route : result.reason;
    };
    expect(route('bob')).toBe('regex');
    expect(route('bobby')).toBe('weighted');
    expect(route()).toBe('weighted');
  });

  it('explains failures', () => {
    expect(simulateRequest(resources, { listener: 'nope', host: 'a', path: '/' })).toEqual({ ok: false, reason: 'no listener nope' });
    const noCluster = { ...resources, [TypeUrl.Cluster]: [] };
    expect(simulateRequest(noCluster, { listener: 'l', host: 'x', path: '/' })).toEqual({ ok: false, reason: 'no cluster any' });
  });
});
