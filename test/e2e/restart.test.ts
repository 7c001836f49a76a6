/**
 * Registry state survives a restart of Trellis: an instance registered before a stop is listed
 * and served after a start on the same data folder; a client connected across the restart keeps
 * serving from its cache meanwhile, reconnects, and follows changes made after the restart.
 */
import { describe, expect, it } from 'vitest';
import {
  grpcBootstrap,
  instanceBody,
  instanceIds,
  registerInstance,
  setupE2e,
  spawnEcho,
  spawnXdsClient,
  startTrellis,
  useE2eHooks,
  waitFor,
  type EchoServer,
  type TrellisProcess,
  type XdsClient,
} from './harness.ts';

useE2eHooks();

describe('Trellis restart', () => {
  let trellis: TrellisProcess;
  let b: EchoServer;
  let client: XdsClient;

  setupE2e(async () => {
    [trellis, b] = await Promise.all([startTrellis(), spawnEcho({ id: 'b' })]);
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: b.port, id: 'b' }));
    client = await spawnXdsClient('echo.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: 'restart-client' }));
    expect((await client.call(5, { deadlineMs: 5000 })).counts).toEqual({ b: 5 });
  });

  it('keeps registered instances and serves them after a restart', async () => {
    const token = trellis.token;
    const xdsPort = Number(trellis.xdsAddress.split(':').pop());
    const apiPort = Number(new URL(trellis.apiUrl).port);
    await trellis.stop();

    // The data plane keeps working from the client's cache while the control plane is down.
    expect((await client.call(5, { deadlineMs: 2000 })).counts).toEqual({ b: 5 });

    trellis = await startTrellis({ dataDir: trellis.dataDir, xdsPort, apiPort });
    expect(trellis.token).toBe(token);
    expect(await instanceIds(trellis, 'demo', 'echo')).toEqual(['b']);

    // A new client after the restart is served the persisted instance.
    const fresh = await spawnXdsClient('echo.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: 'restart-fresh-client' }));
    expect((await fresh.call(5, { deadlineMs: 5000 })).counts).toEqual({ b: 5 });

    // The old client reconnected: a backend added after the restart reaches it.
    const c = await spawnEcho({ id: 'c' });
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: c.port, id: 'c' }));
    await waitFor('the reconnected client to reach the new backend', 15_000, async () => {
      const r = await client.call(10, { deadlineMs: 2000 });
      return (r.counts['c'] ?? 0) > 0 ? true : undefined;
    });
  });
});
