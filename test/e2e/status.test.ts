/**
 * Observability of a real client: `trellis status` (the CLI as a child process) lists the
 * connected grpc-js-xds client with every type ACKed, and CSDS FetchClientStatus on the xDS port
 * returns the client's node and the resources it holds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { csdsClient, fetchClientStatus, type ClientStatusResponse } from './csds.ts';
import {
  ackedAll,
  grpcBootstrap,
  instanceBody,
  proxyStatus,
  registerInstance,
  setupE2e,
  runTrellisCli,
  spawnEcho,
  spawnXdsClient,
  startTrellis,
  useE2eHooks,
  waitFor,
  type TrellisProcess,
} from './harness.ts';

useE2eHooks();

const NODE_ID = 'status-client';
const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

describe('status of a connected proxyless client', () => {
  let trellis: TrellisProcess;
  let csds: ReturnType<typeof csdsClient> | undefined;

  setupE2e(async () => {
    const a = await spawnEcho({ id: 'a' });
    trellis = await startTrellis();
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: a.port, id: 'a' }));
    const client = await spawnXdsClient('echo.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: NODE_ID }));
    expect((await client.call(3, { deadlineMs: 5000 })).counts).toEqual({ a: 3 });
    await waitFor('the client to ACK LDS, RDS, CDS and EDS', 5000, async () =>
      ackedAll(await proxyStatus(trellis, NODE_ID), ['LDS', 'RDS', 'CDS', 'EDS']) ? true : undefined,
    );
  });

  afterAll(() => csds?.close());

  it('`trellis status` lists the client with ACKed versions', async () => {
    const cli = await runTrellisCli(['status', '--data', trellis.dataDir]);
    expect(cli.code, cli.stderr).toBe(0);
    const row = cli.stdout.split('\n').find((line) => line.includes(NODE_ID));
    expect(row, cli.stdout).toBeDefined();
    // One "version ACK" cell per type the client subscribed to.
    expect(row?.match(/\bACK\b/g)?.length).toBe(4);
    expect(row).not.toContain('NACK');

    const json = await runTrellisCli(['status', '--json', '--data', trellis.dataDir]);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { proxies: Array<{ nodeId: string; types: Record<string, { versionSent?: string; versionAcked?: string }> }> };
    const proxy = parsed.proxies.find((p) => p.nodeId === NODE_ID);
    for (const type of ['LDS', 'RDS', 'CDS', 'EDS']) {
      expect(proxy?.types[type]?.versionAcked, type).toBeTypeOf('string');
      expect(proxy?.types[type]?.versionAcked, type).toBe(proxy?.types[type]?.versionSent);
    }
  });

  it('CSDS FetchClientStatus returns the node and its ACKed resources', async () => {
    csds = csdsClient(trellis.xdsAddress);
    const client = csds;
    const response: ClientStatusResponse = await fetchClientStatus(client);
    const config = response.config?.find((c) => c.node?.id === NODE_ID);
    expect(config, JSON.stringify(response).slice(0, 2000)).toBeDefined();
    const resources = config?.generic_xds_configs ?? [];
    const listener = resources.find((r) => r.type_url === LISTENER_TYPE && r.name === 'echo.demo');
    expect(listener?.client_status).toBe('ACKED');
    expect(listener?.version_info).toBeTruthy();
    const endpoints = resources.filter((r) => r.type_url === ENDPOINT_TYPE);
    expect(endpoints.length).toBeGreaterThan(0);
    expect(endpoints.every((r) => r.client_status === 'ACKED')).toBe(true);

    // A node matcher for another id selects nothing.
    const none = await fetchClientStatus(client, { node_matchers: [{ node_id: { exact: 'no-such-node' } }] });
    expect(none.config ?? []).toEqual([]);
  });
});
