import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type AdsClient } from '../../../src/xds/client/ads-client.ts';
import { decodeMessage, encodeMessage } from '../../../src/xds/proto/codec.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, cluster, route, scope, scopedListener, snapshotOf, startServer, type Running } from './helpers.ts';

let running: Running | undefined;
const clients: AdsClient[] = [];
const grpcClients: grpc.Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of grpcClients.splice(0)) c.close();
  await running?.server.close();
  running = undefined;
});

type Json = Record<string, unknown>;

function fetchStatus(address: string, request: Json): Promise<Json> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  grpcClients.push(client);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus',
      (req: Json) => Buffer.from(encodeMessage('envoy.service.status.v3.ClientStatusRequest', req)),
      (bytes: Buffer) => decodeMessage('envoy.service.status.v3.ClientStatusResponse', bytes),
      request,
      { deadline: Date.now() + 5000 },
      (error, response) => (error || !response ? reject(error ?? new Error('empty')) : resolve(response)),
    );
  });
}

const configsOf = (response: Json): Json[] => (Array.isArray(response['config']) ? (response['config'] as Json[]) : []);
const genericOf = (config: Json): Json[] => (Array.isArray(config['generic_xds_configs']) ? (config['generic_xds_configs'] as Json[]) : []);

describe('status() and CSDS', () => {
  it('report sent, acked and NACKed resources the same way', async () => {
    running = await startServer(snapshotOf(basicMesh()));
    const r = running;
    let rejectCds = false;
    const client = connect(r.address, { id: 'proxy-a', cluster: 'web', metadata: { team: 'x' }, user_agent_name: 'envoy', user_agent_version: '1.30' }, 'sotw', {
      deadlineMs: 15_000,
      nackPolicy: (type) => (rejectCds && type === TypeUrl.Cluster ? 'cluster rejected' : undefined),
    });
    clients.push(client);
    await client.waitFor((c) => c.resources(TypeUrl.RouteConfiguration).size === 1 && c.resources(TypeUrl.ClusterLoadAssignment).size === 2, 5000);
    const goodCds = client.acceptedVersion(TypeUrl.Cluster);
    rejectCds = true;
    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 9), cluster('b')] })));
    await client.waitFor((c) => c.responses.some((x) => x.nacked !== undefined), 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const [status] = r.server.status();
    expect(status).toMatchObject({ nodeId: 'proxy-a', cluster: 'web', metadata: { team: 'x' }, userAgent: 'envoy/1.30', protocol: 'sotw' });
    expect(status?.types.CDS?.versionAcked).toBe(goodCds);
    expect(status?.types.CDS?.lastNack?.message).toBe('cluster rejected');
    expect(status?.types.EDS?.subscribed).toBe(2);
    expect(status?.types.RDS?.versionAcked).toBe(client.acceptedVersion(TypeUrl.RouteConfiguration));

    const response = await fetchStatus(r.address, { node_matchers: [{ node_id: { exact: 'proxy-a' } }] });
    const [config] = configsOf(response);
    expect((config?.['node'] as Json)['id']).toBe('proxy-a');
    const generic = genericOf(config ?? {});
    const byKey = new Map(generic.map((g) => [`${String(g['type_url'])}|${String(g['name'])}`, g]));
    const clusterA = byKey.get(`${TypeUrl.Cluster}|a`);
    expect(clusterA?.['client_status']).toBe('NACKED');
    expect((clusterA?.['error_state'] as Json)['details']).toBe('cluster rejected');
    expect((clusterA?.['error_state'] as Json)['version_info']).toBe(status?.types.CDS?.lastNack?.version);
    // b did not change in the rejected response, so the client still holds the ACKed copy.
    expect(byKey.get(`${TypeUrl.Cluster}|b`)?.['client_status']).toBe('ACKED');
    const route = byKey.get(`${TypeUrl.RouteConfiguration}|r1`);
    expect(route?.['client_status']).toBe('ACKED');
    expect(route?.['version_info']).toBe(status?.types.RDS?.versionAcked);
    expect((route?.['xds_config'] as Json)['name']).toBe('r1');

    const none = await fetchStatus(r.address, { node_matchers: [{ node_id: { exact: 'nobody' } }] });
    expect(configsOf(none)).toEqual([]);
  });

  it.each(['sotw', 'delta'] as const)('report scopes (SRDS) as a wildcard subscription with their contents (%s)', async (mode) => {
    const mesh = basicMesh({ listeners: [scopedListener('l')], scopes: [scope('s1', 'a.ns', 'r1'), scope('s2', 'a', 'r1')], routes: [route('r1', 'a')] });
    running = await startServer(snapshotOf(mesh));
    const r = running;
    const client = connect(r.address, { id: `scoped-${mode}`, cluster: 'web' }, mode, { deadlineMs: 15_000 });
    clients.push(client);
    await client.waitFor((c) => c.resources(TypeUrl.RouteConfiguration).size === 1 && c.resources(TypeUrl.ScopedRouteConfiguration).size === 2, 5000);
    await client.waitFor(() => {
      const srds = r.server.status()[0]?.types.SRDS;
      return srds?.versionAcked !== undefined && !srds.awaitingAck;
    }, 3000);
    expect(r.server.status()[0]?.types.SRDS?.subscribed).toBe('wildcard');

    const [config] = configsOf(await fetchStatus(r.address, {}));
    const scopes = genericOf(config ?? {}).filter((g) => g['type_url'] === TypeUrl.ScopedRouteConfiguration);
    expect(scopes.map((g) => [g['name'], g['client_status']]).sort()).toEqual([
      ['s1', 'ACKED'],
      ['s2', 'ACKED'],
    ]);
    const s1 = scopes.find((g) => g['name'] === 's1');
    expect(s1?.['xds_config']).toMatchObject({ name: 's1', route_configuration_name: 'r1', key: { fragments: [{ string_key: 'a.ns' }] } });
  });

  it('covers 50 concurrent streams of both protocols', async () => {
    running = await startServer(snapshotOf(basicMesh()));
    const r = running;
    for (let i = 0; i < 50; i += 1) {
      const id = `${i % 2 === 0 ? 'even' : 'odd'}-${i}`;
      clients.push(connect(r.address, { id, cluster: 'fleet' }, i % 2 === 0 ? 'sotw' : 'delta', { deadlineMs: 20_000 }));
    }
    const ready = (c: AdsClient): boolean => c.resources(TypeUrl.ClusterLoadAssignment).size === 2 && c.resources(TypeUrl.RouteConfiguration).size === 1;
    await Promise.all(clients.map((c) => c.waitFor(ready, 10_000)));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const statuses = r.server.status();
    expect(statuses).toHaveLength(50);
    expect(statuses.filter((s) => s.protocol === 'delta')).toHaveLength(25);
    for (const s of statuses) {
      for (const type of ['CDS', 'EDS', 'LDS', 'RDS'] as const) {
        expect(s.types[type]?.versionAcked, `${s.nodeId} ${type}`).toBe(s.types[type]?.versionSent);
      }
    }
    const all = configsOf(await fetchStatus(r.address, {}));
    expect(all).toHaveLength(50);
    for (const config of all) {
      const generic = genericOf(config);
      expect(generic).toHaveLength(6); // 2 clusters, 2 CLAs, 1 listener, 1 route
      expect(generic.every((g) => g['client_status'] === 'ACKED')).toBe(true);
    }
    const even = configsOf(await fetchStatus(r.address, { node_matchers: [{ node_id: { prefix: 'even-' } }], exclude_resource_contents: true }));
    expect(even).toHaveLength(25);
    expect(genericOf(even[0] ?? {}).some((g) => 'xds_config' in g)).toBe(false);
  });
});
