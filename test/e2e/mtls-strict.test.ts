/**
 * mTLS under STRICT with real proxyless gRPC on both ends and certificates from Trellis:
 * a platform override enforces STRICT in namespace `demo`; `trellis token create --identity` and
 * `trellis agent --once` give the xDS-enabled echo server (gRFC A36) and the client their files;
 * the Listener and Cluster Trellis sends turn TLS on (gRFC A29). Proves: an mTLS call succeeds
 * and the server sees the client's SPIFFE id (and the client the server's); a plaintext client is
 * refused; `openssl verify` accepts the agent's chain against its bundle and `openssl x509` shows
 * the URI SAN.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { applyConfigOk } from './config-helpers.ts';
import { spawnXdsClient } from './clients.ts';
import { loadEcho } from './fixtures/echo-proto.ts';
import { openssl } from './fixtures/mtls-pki.ts';
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
  type EchoServer,
  type TrellisProcess,
  type XdsClient,
} from './harness.ts';

useE2eHooks();

const SERVER_ID = spiffeId('demo', 'echo');
const CLIENT_ID = spiffeId('demo', 'tester');

describe('mTLS STRICT with grpc-js-xds and certificates from trellis agent', () => {
  let trellis: TrellisProcess;
  let serverFiles: AgentOutput;
  let clientFiles: AgentOutput;
  let server: EchoServer;
  let client: XdsClient;

  setupE2e(async () => {
    trellis = await startTrellis();
    await applyConfigOk(trellis, [strictPolicy('demo')]);
    const dir = await tempDir('mtls');
    const [serverToken, clientToken] = await Promise.all([createJoinToken(trellis, SERVER_ID), createJoinToken(trellis, CLIENT_ID)]);
    [serverFiles, clientFiles] = await Promise.all([
      runAgentOnce(trellis, { service: 'echo', namespace: 'demo', token: serverToken, dir: `${dir}/echo` }),
      runAgentOnce(trellis, { service: 'tester', namespace: 'demo', token: clientToken, dir: `${dir}/tester` }),
    ]);
    const port = await freePort();
    const cli = await runTrellisCli([
      'bootstrap', '--grpc', '--service', 'echo', '--namespace', 'demo', '--xds', trellis.xdsAddress,
      '--address', '127.0.0.1', '--port', String(port), '--protocol', 'grpc', '--region', 'r1', '--zone', 'z1', '--node-id', 'mtls-echo-server',
    ]);
    if (cli.code !== 0) throw new Error(`trellis bootstrap failed: ${cli.stderr}`);
    const serverBootstrap = withAgentProviders(JSON.parse(cli.stdout) as Record<string, unknown>, serverFiles);
    // "ready" only once the Listener (now with its DownstreamTlsContext) is accepted.
    server = await spawnEcho({ id: 'mtls-echo', port, xdsBootstrap: serverBootstrap, mtls: true, readyTimeoutMs: 20_000 });
    // The client runs on the bootstrap exactly as the agent wrote it.
    client = await spawnXdsClient('echo.demo', clientFiles.bootstrap, { mtls: true, name: 'mtls client' });
  }, 60_000);

  it('an mTLS call succeeds and the server sees the client SPIFFE id', async () => {
    // The server registers itself on connect; the first calls may race its endpoint.
    const first = await waitFor('a first successful mTLS call', 15_000, async () => {
      const r = await client.call(1, { deadlineMs: 3000 });
      return r.counts['mtls-echo'] === 1 ? r : undefined;
    });
    expect(first.identities).toEqual({ [CLIENT_ID]: 1 });
    const result = await client.call(20, { deadlineMs: 5000 });
    expect(result.errors).toEqual({});
    expect(result.counts).toEqual({ 'mtls-echo': 20 });
    expect(result.identities).toEqual({ [CLIENT_ID]: 20 });
    expect(result.serverIdentities).toEqual({ [SERVER_ID]: 20 });
    expect(result.peerSerials).toEqual({ [clientFiles.serial]: 20 });
    expect(result.serverSerials).toEqual({ [serverFiles.serial]: 20 });
  });

  it('a plaintext client (no certificates) is refused', async () => {
    // The client's bootstrap names the certificate providers (so it accepts the Cluster and dials
    // the server) but it does not opt in to XdsChannelCredentials: it speaks plaintext.
    const plain = await spawnXdsClient('echo.demo', { ...clientFiles.bootstrap, node: { ...(clientFiles.bootstrap['node'] as object), id: 'mtls-plaintext-client' } }, { name: 'plaintext client' });
    try {
      const result = await plain.call(5, { deadlineMs: 3000 });
      expect(result.counts).toEqual({});
      expect(result.errors['UNAVAILABLE']).toBe(5);
    } finally {
      await plain.stop();
    }
    // A direct plaintext dial to the server's port, no xDS at all, is refused too.
    const { Client } = loadEcho();
    const direct = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const outcome = await new Promise<string>((resolveCall) => {
        direct.Echo({ message: 'hi' }, { deadline: Date.now() + 3000 }, (error, reply) => resolveCall(error ? (grpc.status[error.code] ?? String(error.code)) : (reply?.server_id ?? '')));
      });
      expect(outcome).toBe('UNAVAILABLE');
    } finally {
      direct.close();
    }
    // The mTLS client is unaffected.
    expect((await client.call(5, { deadlineMs: 5000 })).counts).toEqual({ 'mtls-echo': 5 });
  });

  it('openssl verifies the agent chain against its bundle and shows the URI SAN', async () => {
    for (const [files, id] of [[serverFiles, SERVER_ID], [clientFiles, CLIENT_ID]] as const) {
      const verified = await openssl(['verify', '-CAfile', files.caCertificateFile, files.certificateFile]);
      expect(verified.trim()).toBe(`${files.certificateFile}: OK`);
      const text = await openssl(['x509', '-in', files.certificateFile, '-noout', '-text']);
      expect(text).toContain(`URI:${id}`);
    }
    // And the check can fail: a leaf is not accepted against a bundle that lacks its root.
    await expect(openssl(['verify', '-CAfile', serverFiles.certificateFile, clientFiles.certificateFile])).rejects.toThrow();
  });
});
