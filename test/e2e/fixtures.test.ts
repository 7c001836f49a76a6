/**
 * Checks the e2e fixtures themselves against a minimal fake ADS server (no Trellis): the proxyless
 * client reaches two echo backends, an xDS-enabled echo server gets its Listener and serves, and
 * a ClusterLoadAssignment with a duplicated address is NACKed by grpc-js-xds (the NACK used by
 * nack.test.ts against Trellis), and the client's request metadata reaches header-matched routes.
 * Also checks the echo server's failure and delay flags directly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import * as grpc from '@grpc/grpc-js';
import { loadEcho } from './fixtures/echo-proto.ts';
import { startFakeAds, type FakeAds } from './fixtures/fake-ads.ts';
import { freePort, grpcBootstrap, setupE2e, spawnEcho, spawnXdsClient, useE2eHooks, waitFor, type EchoServer, type XdsClient } from './harness.ts';

useE2eHooks();

const ADS = { ads: {}, resource_api_version: 'V3' };
const EDS_CLUSTER = (name: string): Record<string, unknown> => ({ name, type: 'EDS', eds_cluster_config: { eds_config: ADS }, lb_policy: 'ROUND_ROBIN' });
const ROUTER = { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function apiListener(name: string): Record<string, unknown> {
  return {
    name,
    api_listener: { api_listener: { '@type': HCM_TYPE, rds: { config_source: ADS, route_config_name: 'echo-routes' }, http_filters: [ROUTER] } },
  };
}

function serverListener(port: number): Record<string, unknown> {
  const routeConfig = {
    name: 'inbound',
    virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '' }, non_forwarding_action: {} }] }],
  };
  return {
    name: `grpc/server?xds.resource.listening_address=127.0.0.1:${port}`,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{ name: 'inbound', filters: [{ name: 'hcm', typed_config: { '@type': HCM_TYPE, route_config: routeConfig, http_filters: [ROUTER] } }] }],
  };
}

function endpoints(ports: readonly number[], clusterName = 'echo-cluster'): Record<string, unknown> {
  return {
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { region: 'r1', zone: 'z1' },
        load_balancing_weight: { value: ports.length },
        lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })),
      },
    ],
  };
}

describe('e2e fixtures against a fake ADS server', () => {
  let ads: FakeAds;
  let a: EchoServer;
  let b: EchoServer;
  let client: XdsClient;

  setupE2e(async () => {
    [a, b] = await Promise.all([spawnEcho({ id: 'a' }), spawnEcho({ id: 'b' })]);
    ads = await startFakeAds(
      new Map([
        [TypeUrl.Listener, [apiListener('echo')]],
        [TypeUrl.RouteConfiguration, [{ name: 'echo-routes', virtual_hosts: [{ name: 'echo', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: 'echo-cluster' } }] }] }]],
        [TypeUrl.Cluster, [{ name: 'echo-cluster', type: 'EDS', eds_cluster_config: { eds_config: ADS }, lb_policy: 'ROUND_ROBIN' }]],
        [TypeUrl.ClusterLoadAssignment, [endpoints([a.port, b.port])]],
      ]),
    );
    client = await spawnXdsClient('echo', grpcBootstrap({ xdsAddress: ads.address, service: 'tester', namespace: 'demo' }));
  });

  afterAll(async () => {
    await ads?.close();
  });

  it('the proxyless client spreads calls over both backends', async () => {
    const result = await client.call(40, { deadlineMs: 5000 });
    expect(result.errors).toEqual({});
    expect(result.counts['a'] ?? 0).toBeGreaterThan(5);
    expect(result.counts['b'] ?? 0).toBeGreaterThan(5);
    expect((result.counts['a'] ?? 0) + (result.counts['b'] ?? 0)).toBe(40);
  });

  it('a duplicated endpoint address is NACKed and the client keeps its last good endpoints', async () => {
    ads.set(TypeUrl.ClusterLoadAssignment, [endpoints([a.port, a.port])]);
    const nack = await waitFor('a NACK of the duplicated address', 5000, () =>
      ads.nacks.find((n) => n.typeUrl === TypeUrl.ClusterLoadAssignment),
    );
    expect(nack.message).toContain('duplicate');
    const result = await client.call(20, { deadlineMs: 2000 });
    expect(result.counts['b'] ?? 0).toBeGreaterThan(0);
    ads.set(TypeUrl.ClusterLoadAssignment, [endpoints([a.port, b.port])]);
  });

  it('sends request metadata: a header-matched route takes only the calls that carry the header', async () => {
    const routes = (withCanary: boolean): Record<string, unknown> => ({
      name: 'echo-routes',
      virtual_hosts: [
        {
          name: 'echo',
          domains: ['*'],
          routes: [
            ...(withCanary ? [{ match: { prefix: '', headers: [{ name: 'x-canary', exact_match: 'true' }] }, route: { cluster: 'canary-cluster' } }] : []),
            { match: { prefix: '' }, route: { cluster: 'echo-cluster' } },
          ],
        },
      ],
    });
    ads.set(TypeUrl.Cluster, [EDS_CLUSTER('echo-cluster'), EDS_CLUSTER('canary-cluster')]);
    ads.set(TypeUrl.ClusterLoadAssignment, [endpoints([a.port]), endpoints([b.port], 'canary-cluster')]);
    ads.set(TypeUrl.RouteConfiguration, [routes(true)]);
    try {
      const canary = await waitFor('header-matched calls to reach the canary cluster', 10_000, async () => {
        const r = await client.call(10, { deadlineMs: 2000, target: 'echo', metadata: { 'x-canary': 'true' } });
        return r.counts['b'] === 10 ? r : undefined;
      });
      expect(canary.errors).toEqual({});
      const plain = await client.call(10, { deadlineMs: 2000 });
      expect(plain.counts).toEqual({ a: 10 });
      // Only the earlier test's deliberate EDS NACK: the header-matched route config was accepted.
      expect(ads.nacks.filter((n) => n.typeUrl !== TypeUrl.ClusterLoadAssignment)).toEqual([]);
    } finally {
      ads.set(TypeUrl.RouteConfiguration, [routes(false)]);
      ads.set(TypeUrl.Cluster, [EDS_CLUSTER('echo-cluster')]);
      ads.set(TypeUrl.ClusterLoadAssignment, [endpoints([a.port, b.port])]);
    }
  });

  it('an xDS-enabled echo server serves once it has its Listener', async () => {
    const port = await freePort();
    ads.set(TypeUrl.Listener, [apiListener('echo'), serverListener(port)]);
    const bootstrap = grpcBootstrap({ xdsAddress: ads.address, service: 'echo', namespace: 'demo', address: '127.0.0.1', port });
    const server = await spawnEcho({ id: 'xds-server', port, xdsBootstrap: bootstrap });
    expect(ads.nacks.filter((n) => n.typeUrl === TypeUrl.Listener)).toEqual([]);
    ads.set(TypeUrl.ClusterLoadAssignment, [endpoints([server.port])]);
    const result = await waitFor('calls to reach the xDS server', 10_000, async () => {
      const r = await client.call(5, { deadlineMs: 2000 });
      return (r.counts['xds-server'] ?? 0) === 5 ? r : undefined;
    });
    expect(result.errors).toEqual({});
  });

  it('reports an unknown command as an error answer', async () => {
    client.child.send(JSON.stringify({ cmd: 'dance', seq: 'x' }));
    const answer = await client.child.waitForJson((v) => v['seq'] === 'x', 5000, 'the error answer');
    expect(answer['ok']).toBe(false);
  });
});

describe('echo server flags (direct connection, no xDS)', () => {
  it('--fail-always fails every call with UNAVAILABLE', async () => {
    const server = await spawnEcho({ id: 'broken', failAlways: true });
    const { Client } = loadEcho();
    const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        outcomes.push(
          await new Promise<string>((resolveCall) => {
            client.Echo({ message: 'hi' }, { deadline: Date.now() + 3000 }, (error, reply) =>
              resolveCall(error ? (grpc.status[error.code] ?? String(error.code)) : (reply?.server_id ?? '')),
            );
          }),
        );
      }
      expect(outcomes).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE']);
    } finally {
      client.close();
      await server.child.stop();
    }
  });

  it('--fail-every-other fails every second call with UNAVAILABLE and --delay-ms delays answers', async () => {
    const server = await spawnEcho({ id: 'flaky', failEveryOther: true, delayMs: 150 });
    const { Client } = loadEcho();
    const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        const outcome = await new Promise<string>((resolveCall) => {
          client.Echo({ message: 'hi' }, { deadline: Date.now() + 3000 }, (error, reply) =>
            resolveCall(error ? (grpc.status[error.code] ?? String(error.code)) : (reply?.server_id ?? '')),
          );
        });
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
        outcomes.push(outcome);
      }
      expect(outcomes).toEqual(['flaky', 'UNAVAILABLE', 'flaky', 'UNAVAILABLE']);
    } finally {
      client.close();
      await server.child.stop();
    }
  });
});
