/**
 * How an xDS-enabled gRPC server (grpc-js-xds 1.14.1) takes a Listener update that turns TLS on
 * or off, checked against a fake ADS server with openssl certificates. Its equivalence check
 * (`filterChainsEquivalent`) compares each filter's bytes first and the transport sockets last,
 * wrongly: plaintext → TLS with identical filters crashes the server process (TypeError, tested
 * below), and by the same code TLS → plaintext is judged "equivalent" and ignored. When the HttpConnectionManager bytes differ
 * as well (here its stat_prefix names the mode), the update is a real change and both directions
 * work. So a control plane must (a) send a server's final TLS decision in its first Listener and
 * (b) make the filter bytes differ whenever it flips TLS on a live server.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { spawnXdsClient } from './clients.ts';
import { startFakeAds, type FakeAds } from './fixtures/fake-ads.ts';
import { createTestPki, withFileWatcher, workloadFiles } from './fixtures/mtls-pki.ts';
import { freePort, grpcBootstrap, setupE2e, spawnEcho, tempDir, useE2eHooks, waitFor, type XdsClient } from './harness.ts';

useE2eHooks();

const ADS = { ads: {}, resource_api_version: 'V3' };
const ROUTER = { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.';
const SERVER_ID = 'spiffe://trellis.local/ns/demo/sa/echo';
const PROVIDER = { instance_name: 'default' };

/** The A36 server Listener; `statPrefix` stands for any difference in the HCM bytes. */
function serverListener(port: number, tls: boolean, statPrefix: string): Record<string, unknown> {
  const routeConfig = { name: 'inbound', virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '' }, non_forwarding_action: {} }] }] };
  const transportSocket = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': `${TLS}DownstreamTlsContext`,
      require_client_certificate: { value: true },
      common_tls_context: { tls_certificate_provider_instance: PROVIDER, validation_context: { ca_certificate_provider_instance: PROVIDER } },
    },
  };
  return {
    name: `grpc/server?xds.resource.listening_address=127.0.0.1:${port}`,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        name: 'inbound',
        filters: [{ name: 'hcm', typed_config: { '@type': HCM_TYPE, stat_prefix: statPrefix, route_config: routeConfig, http_filters: [ROUTER] } }],
        ...(tls ? { transport_socket: transportSocket } : {}),
      },
    ],
  };
}

/** Two client targets to the same server: `plain` (no TLS) and `tls` (mTLS, SAN pinned). */
function clientSide(port: number): Map<string, Array<Record<string, unknown>>> {
  const api = (name: string): Record<string, unknown> => ({
    name,
    api_listener: { api_listener: { '@type': HCM_TYPE, rds: { config_source: ADS, route_config_name: name }, http_filters: [ROUTER] } },
  });
  const routes = (name: string): Record<string, unknown> => ({ name, virtual_hosts: [{ name, domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: name } }] }] });
  const cluster = (name: string, tls: boolean): Record<string, unknown> => ({
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS },
    lb_policy: 'ROUND_ROBIN',
    ...(tls
      ? {
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: {
              '@type': `${TLS}UpstreamTlsContext`,
              common_tls_context: {
                tls_certificate_provider_instance: PROVIDER,
                validation_context: { ca_certificate_provider_instance: PROVIDER, match_subject_alt_names: [{ exact: SERVER_ID }] },
              },
            },
          },
        }
      : {}),
  });
  const endpoints = (name: string): Record<string, unknown> => ({
    cluster_name: name,
    endpoints: [{ locality: { region: 'r1', zone: 'z1' }, load_balancing_weight: { value: 1 }, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }],
  });
  return new Map([
    [TypeUrl.Listener, [api('plain'), api('tls')]],
    [TypeUrl.RouteConfiguration, [routes('plain'), routes('tls')]],
    [TypeUrl.Cluster, [cluster('plain', false), cluster('tls', true)]],
    [TypeUrl.ClusterLoadAssignment, [endpoints('plain'), endpoints('tls')]],
  ]);
}

describe('xDS server Listener updates that turn TLS on and off (fake ADS)', () => {
  let root: string;
  let ads: FakeAds;
  let client: XdsClient;

  setupE2e(async () => {
    root = await tempDir('mtls-listener');
    const pki = await createTestPki(root);
    await Promise.all([pki.issue(SERVER_ID, `${root}/echo`), pki.issue('spiffe://trellis.local/ns/demo/sa/tester', `${root}/tester`)]);
    ads = await startFakeAds(new Map());
    const clientBootstrap = withFileWatcher(grpcBootstrap({ xdsAddress: ads.address, service: 'tester', namespace: 'demo' }), workloadFiles(`${root}/tester`), '1s');
    client = await spawnXdsClient('plain', clientBootstrap, { mtls: true, name: 'client (mTLS-capable)' });
  });

  afterAll(async () => {
    await ads?.close();
  });

  /** A fresh fake-ADS resource set for a server on `port` whose Listener is `listener`. */
  async function startServer(listener: Record<string, unknown>, port: number): Promise<Awaited<ReturnType<typeof spawnEcho>>> {
    const resources = clientSide(port);
    for (const [type, list] of resources) ads.set(type, type === TypeUrl.Listener ? [...list, listener] : list);
    const bootstrap = withFileWatcher(grpcBootstrap({ xdsAddress: ads.address, service: 'echo', namespace: 'demo', address: '127.0.0.1', port }), workloadFiles(`${root}/echo`), '1s');
    return spawnEcho({ id: `echo-${port}`, port, xdsBootstrap: bootstrap, mtls: true, readyTimeoutMs: 15_000 });
  }

  function setServerListener(port: number, listener: Record<string, unknown>): void {
    ads.set(TypeUrl.Listener, [...(clientSide(port).get(TypeUrl.Listener) ?? []), listener]);
  }

  it('plaintext → TLS → plaintext works when the HCM bytes change with the mode', async () => {
    const port = await freePort();
    const id = `echo-${port}`;
    await startServer(serverListener(port, false, 'inbound'), port);
    const plainFirst = await waitFor('plaintext calls to succeed', 10_000, async () => {
      const r = await client.call(3, { deadlineMs: 1500, target: 'plain' });
      return r.counts[id] === 3 ? r : undefined;
    });
    expect(plainFirst.identities).toEqual({ '': 3 });

    setServerListener(port, serverListener(port, true, 'inbound_mtls'));
    const tls = await waitFor('mTLS calls to succeed after TLS was turned on', 10_000, async () => {
      const r = await client.call(3, { deadlineMs: 1500, target: 'tls' });
      return r.counts[id] === 3 ? r : undefined;
    });
    expect(tls.identities).toEqual({ 'spiffe://trellis.local/ns/demo/sa/tester': 3 });
    const refused = await client.call(3, { deadlineMs: 1500, target: 'plain' });
    expect(refused.counts).toEqual({});

    setServerListener(port, serverListener(port, false, 'inbound'));
    await waitFor('plaintext calls to succeed again after TLS was turned off', 10_000, async () => {
      const r = await client.call(3, { deadlineMs: 1500, target: 'plain' });
      return r.counts[id] === 3 ? true : undefined;
    });
  });

  it('plaintext → TLS with identical filters crashes the server (grpc-js-xds 1.14.1 bug; drop the workaround when this fails)', async () => {
    const port = await freePort();
    const server = await startServer(serverListener(port, false, 'inbound'), port);
    setServerListener(port, serverListener(port, true, 'inbound'));
    const code = await Promise.race([server.child.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 5000))]);
    expect(code).toBe(1);
    expect(server.child.log()).toContain("Cannot read properties of null (reading 'typed_config')");
  });
});
