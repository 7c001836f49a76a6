/**
 * An xDS-enabled grpc-js-xds server (gRFC A36), bootstrapped by `trellis bootstrap --grpc`, gets
 * its Listener from Trellis and serves; Trellis auto-registers it as an instance of its service,
 * so a proxyless client reaches it through `xds:///echo.demo`; when the server goes away its
 * instance is removed after the proxy grace.
 */
import { describe, expect, it } from 'vitest';
import {
  freePort,
  grpcBootstrap,
  instanceIds,
  runTrellisCli,
  setupE2e,
  spawnEcho,
  spawnXdsClient,
  startTrellis,
  useE2eHooks,
  waitFor,
  type EchoServer,
  type TrellisProcess,
} from './harness.ts';

useE2eHooks();

describe('xDS-enabled gRPC server', () => {
  let trellis: TrellisProcess;
  let server: EchoServer;
  let port: number;

  setupE2e(async () => {
    trellis = await startTrellis({ proxyGrace: '1s' });
    port = await freePort();
    // The bootstrap exactly as operators get it: `trellis bootstrap --grpc` with the bind address.
    const cli = await runTrellisCli([
      'bootstrap', '--grpc', '--service', 'echo', '--namespace', 'demo', '--xds', trellis.xdsAddress,
      '--address', '127.0.0.1', '--port', String(port), '--protocol', 'grpc', '--region', 'r1', '--zone', 'z1',
      '--node-id', 'echo-xds-server',
    ]);
    if (cli.code !== 0) throw new Error(`trellis bootstrap failed: ${cli.stderr}`);
    const bootstrap = JSON.parse(cli.stdout) as Record<string, unknown>;
    // "ready" is printed only once the server has its Listener (and RDS) and listens.
    server = await spawnEcho({ id: 'xds-server', port, xdsBootstrap: bootstrap, readyTimeoutMs: 20_000 });
  });

  it('is auto-registered and reached by a proxyless client', async () => {
    expect(server.port).toBe(port);
    const ids = await waitFor('the server to be auto-registered', 5000, async () => {
      const list = await instanceIds(trellis, 'demo', 'echo');
      return list.length > 0 ? list : undefined;
    });
    expect(ids).toEqual([`127.0.0.1:${port}`]);

    const client = await spawnXdsClient('echo.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: 'server-test-client' }));
    const result = await client.call(20, { deadlineMs: 5000 });
    expect(result.errors).toEqual({});
    expect(result.counts).toEqual({ 'xds-server': 20 });
  });

  it('is deregistered after the proxy grace once it disconnects', async () => {
    await server.child.stop();
    const stoppedAt = Date.now();
    await waitFor('the auto-registered instance to be removed', 10_000, async () =>
      (await instanceIds(trellis, 'demo', 'echo')).length === 0 ? true : undefined,
    );
    const removedMs = Date.now() - stoppedAt;
    console.log(`xDS server instance removed ${removedMs} ms after the server stopped (grace 1 s)`);
    expect(removedMs).toBeGreaterThanOrEqual(800);
  });
});
