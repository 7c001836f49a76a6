/**
 * A resource a real client rejects shows up as a NACK in `GET /api/v1/status` and `trellis status`,
 * and the rejected version is not pushed again in a loop.
 *
 * The NACK is genuine: an xDS-enabled grpc-js-xds server started without the package's register()
 * has no HTTP filters registered and rejects every Listener ("router filter validation failed").
 * Separately, the registry refuses the one input we found that made grpc-js-xds NACK Trellis'
 * output (two instance ids at one address:port), so that never reaches a client.
 */
import { describe, expect, it } from 'vitest';
import {
  freePort,
  grpcBootstrap,
  instanceBody,
  proxyStatus,
  registerInstance,
  runTrellisCli,
  setupE2e,
  spawnEcho,
  startTrellis,
  useE2eHooks,
  waitFor,
  type TrellisProcess,
} from './harness.ts';

useE2eHooks();

const NODE_ID = 'nacking-server';

describe('NACKs reported by Trellis', () => {
  let trellis: TrellisProcess;
  let port: number;

  setupE2e(async () => {
    trellis = await startTrellis();
    port = await freePort();
  });

  it('records a real client NACK with its message and does not resend it', async () => {
    const bootstrap = grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'echo', namespace: 'demo', nodeId: NODE_ID, address: '127.0.0.1', port });
    await spawnEcho({ id: 'nacker', port, xdsBootstrap: bootstrap, skipFilterRegistry: true });

    const nacked = await waitFor('an LDS NACK in /api/v1/status', 10_000, async () => {
      const proxy = await proxyStatus(trellis, NODE_ID);
      return proxy?.types['LDS']?.lastNack ? proxy : undefined;
    });
    const lds = nacked.types['LDS'];
    expect(lds?.lastNack?.message).toMatch(/filter/i);
    expect(lds?.lastNack?.version).toBe(lds?.versionSent);
    expect(lds?.versionAcked).not.toBe(lds?.versionSent);

    const cli = await runTrellisCli(['status', '--data', trellis.dataDir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(NODE_ID);
    expect(cli.stdout).toMatch(/LDS NACK of [\w-]+: .*filter/i);

    // No resend loop: a second later the same version is still the last one sent.
    const nonceAfterNack = lds?.nonceSent;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const later = await proxyStatus(trellis, NODE_ID);
    expect(later?.types['LDS']?.nonceSent).toBe(nonceAfterNack);

    // (Delivery of the next new version after a NACK is proven in test/xds/server/sotw.test.ts; this
    // server's only resource, its Listener, depends on nothing a test can change.)
  });

  it('refuses a second instance at the same address:port instead of serving a CLA gRPC would NACK', async () => {
    const echo = await spawnEcho({ id: 'dup' });
    await registerInstance(trellis, instanceBody({ service: 'dup', namespace: 'demo', port: echo.port, id: 'a' }));
    const response = await trellis.api('POST', '/api/v1/instances', instanceBody({ service: 'dup', namespace: 'demo', port: echo.port, id: 'a-again' }));
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toMatch(/already registered .* as instance \\?"a\\?"/);
  });
});
