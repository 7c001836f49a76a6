/**
 * Certificate rotation under steady traffic, with real proxyless gRPC and certificates from
 * Trellis: while a client streams mTLS calls to an xDS-enabled server (STRICT), `trellis agent
 * --once` re-issues both workloads' certificates into the folders their file_watcher providers
 * read (refresh every 5 s). The server ends each connection after 2 s, so the stream keeps
 * handshaking again and the new certificates are used mid-stream. Proves: no call fails, and
 * calls made after the rotation carry the new certificates on both sides.
 */
import { describe, expect, it } from 'vitest';
import { applyConfigOk } from './config-helpers.ts';
import { spawnXdsClient } from './clients.ts';
import { createJoinToken, runAgentOnce, spiffeId, strictPolicy, withAgentProviders, type AgentOutput } from './fixtures/mtls-mesh.ts';
import {
  freePort,
  runTrellisCli,
  setupE2e,
  spawnEcho,
  startTrellis,
  tempDir,
  useE2eHooks,
  waitFor,
  type TrellisProcess,
  type XdsClient,
} from './harness.ts';

useE2eHooks();

const SERVER_ID = spiffeId('demo', 'echo');
const CLIENT_ID = spiffeId('demo', 'tester');

describe('mTLS certificate rotation under a steady stream of calls', () => {
  let trellis: TrellisProcess;
  let dir: string;
  let serverToken: string;
  let clientToken: string;
  let serverFiles: AgentOutput;
  let clientFiles: AgentOutput;
  let client: XdsClient;

  setupE2e(async () => {
    trellis = await startTrellis();
    await applyConfigOk(trellis, [strictPolicy('demo')]);
    dir = await tempDir('mtls-rotation');
    [serverToken, clientToken] = await Promise.all([createJoinToken(trellis, SERVER_ID), createJoinToken(trellis, CLIENT_ID)]);
    [serverFiles, clientFiles] = await Promise.all([
      runAgentOnce(trellis, { service: 'echo', namespace: 'demo', token: serverToken, dir: `${dir}/echo` }),
      runAgentOnce(trellis, { service: 'tester', namespace: 'demo', token: clientToken, dir: `${dir}/tester` }),
    ]);
    const port = await freePort();
    const cli = await runTrellisCli([
      'bootstrap', '--grpc', '--service', 'echo', '--namespace', 'demo', '--xds', trellis.xdsAddress,
      '--address', '127.0.0.1', '--port', String(port), '--protocol', 'grpc', '--region', 'r1', '--zone', 'z1', '--node-id', 'rotation-echo-server',
    ]);
    if (cli.code !== 0) throw new Error(`trellis bootstrap failed: ${cli.stderr}`);
    await spawnEcho({
      id: 'mtls-echo',
      port,
      xdsBootstrap: withAgentProviders(JSON.parse(cli.stdout) as Record<string, unknown>, serverFiles),
      mtls: true,
      maxConnectionAgeMs: 2000,
      readyTimeoutMs: 20_000,
    });
    client = await spawnXdsClient('echo.demo', clientFiles.bootstrap, { mtls: true, name: 'mtls client' });
    await waitFor('a first successful mTLS call', 15_000, async () => ((await client.call(1, { deadlineMs: 3000 })).counts['mtls-echo'] === 1 ? true : undefined));
  }, 60_000);

  it('re-issuing both certificates mid-stream fails no call', async () => {
    // 5 s file_watcher refresh + 2 s connection age + margin after a rotation at 1.5 s.
    const streamMs = 13_000;
    const stream = client.call(1, { deadlineMs: 3000, concurrency: 2, durationMs: streamMs, pauseMs: 10 });
    const rotation = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const started = Date.now();
      const renewed = await Promise.all([
        runAgentOnce(trellis, { service: 'echo', namespace: 'demo', token: serverToken, dir: `${dir}/echo` }),
        runAgentOnce(trellis, { service: 'tester', namespace: 'demo', token: clientToken, dir: `${dir}/tester` }),
      ]);
      return { renewed, agentMs: Date.now() - started };
    })();
    const [result, { renewed, agentMs }] = await Promise.all([stream, rotation]);
    const [newServer, newClient] = renewed;
    const calls = Object.values(result.counts).reduce((a, b) => a + b, 0);
    const failures = Object.values(result.errors).reduce((a, b) => a + b, 0);
    console.log(
      `rotation: ${calls} calls over ${result.elapsedMs} ms, ${failures} failed; agent --once x2 took ${agentMs} ms; ` +
        `client serials seen by the server ${JSON.stringify(result.peerSerials)}, server serials seen by the client ${JSON.stringify(result.serverSerials)}`,
    );
    expect(newServer.serial).not.toBe(serverFiles.serial);
    expect(newClient.serial).not.toBe(clientFiles.serial);
    expect(result.errors).toEqual({});
    expect(calls).toBeGreaterThan(200);
    // Both generations served calls: the rotation really happened within the stream.
    expect(result.peerSerials[clientFiles.serial] ?? 0).toBeGreaterThan(0);
    expect(result.peerSerials[newClient.serial] ?? 0).toBeGreaterThan(0);
    expect(result.serverSerials[serverFiles.serial] ?? 0).toBeGreaterThan(0);
    expect(result.serverSerials[newServer.serial] ?? 0).toBeGreaterThan(0);
    expect(result.identities).toEqual({ [CLIENT_ID]: calls });
  }, 30_000);
});
