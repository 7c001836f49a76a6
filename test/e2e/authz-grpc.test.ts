/**
 * Identity-based authorization end to end with real proxyless gRPC (gRFC A41 RBAC on an
 * xDS-enabled server, A29 mTLS with certificates from `trellis agent`), STRICT mode through a
 * platform override. A team AuthorizationPolicy lets `tester` call `echo`; proves: tester's calls
 * succeed and the server sees its SPIFFE id; `intruder` (a valid mesh identity the policy does
 * not admit) gets PERMISSION_DENIED; a platform DENY for tester beats the team ALLOW, and
 * deleting it restores access; `trellis explain echo.demo --from ...` names the deciding policy.
 */
import { describe, expect, it } from 'vitest';
import { applyConfigOk, callUntil } from './config-helpers.ts';
import { spawnXdsClient } from './clients.ts';
import { createJoinToken, runAgentOnce, spiffeId, strictPolicy, withAgentProviders, type AgentOutput } from './fixtures/mtls-mesh.ts';
import { allowPolicy, denyPolicy, explainFrom } from './fixtures/authz-policies.ts';
import {
  freePort,
  instanceBody,
  registerInstance,
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

// grpc-js-xds NACKs a Listener with the RBAC filter unless this is set (children inherit it).
process.env['GRPC_XDS_EXPERIMENTAL_RBAC'] = 'true';

useE2eHooks();

const TESTER_ID = spiffeId('demo', 'tester');
const INTRUDER_ID = spiffeId('demo', 'intruder');
const ALLOW = allowPolicy({ name: 'echo-allow-tester', namespace: 'demo', service: 'echo', from: 'tester.demo' });
const DENY = denyPolicy({ name: 'deny-tester', namespaces: ['demo'], spiffeId: TESTER_ID });

describe('AuthorizationPolicy with grpc-js-xds under mTLS STRICT', () => {
  let trellis: TrellisProcess;
  let server: EchoServer;
  let tester: XdsClient;
  let intruder: XdsClient;

  setupE2e(async () => {
    trellis = await startTrellis();
    // Policies may only name known services: register echo as the server will register itself
    // (same address:port, so its own registration is the same instance) and tester (never dialled).
    const port = await freePort();
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port }));
    await registerInstance(trellis, instanceBody({ service: 'tester', namespace: 'demo', port: await freePort() }));
    // The policy is in place before the server's first Listener (its mode never flips later).
    await applyConfigOk(trellis, [strictPolicy('demo'), ALLOW]);
    const dir = await tempDir('authz');
    const [serverToken, testerToken, intruderToken] = await Promise.all(
      [spiffeId('demo', 'echo'), TESTER_ID, INTRUDER_ID].map((id) => createJoinToken(trellis, id)),
    );
    const [serverFiles, testerFiles, intruderFiles] = (await Promise.all([
      runAgentOnce(trellis, { service: 'echo', namespace: 'demo', token: serverToken ?? '', dir: `${dir}/echo` }),
      runAgentOnce(trellis, { service: 'tester', namespace: 'demo', token: testerToken ?? '', dir: `${dir}/tester` }),
      runAgentOnce(trellis, { service: 'intruder', namespace: 'demo', token: intruderToken ?? '', dir: `${dir}/intruder` }),
    ])) as [AgentOutput, AgentOutput, AgentOutput];
    const cli = await runTrellisCli([
      'bootstrap', '--grpc', '--service', 'echo', '--namespace', 'demo', '--xds', trellis.xdsAddress,
      '--address', '127.0.0.1', '--port', String(port), '--protocol', 'grpc', '--region', 'r1', '--zone', 'z1', '--node-id', 'authz-echo-server',
    ]);
    if (cli.code !== 0) throw new Error(`trellis bootstrap failed: ${cli.stderr}`);
    server = await spawnEcho({
      id: 'authz-echo', port, mtls: true, readyTimeoutMs: 20_000,
      xdsBootstrap: withAgentProviders(JSON.parse(cli.stdout) as Record<string, unknown>, serverFiles),
    });
    [tester, intruder] = await Promise.all([
      spawnXdsClient('echo.demo', testerFiles.bootstrap, { mtls: true, name: 'tester client' }),
      spawnXdsClient('echo.demo', intruderFiles.bootstrap, { mtls: true, name: 'intruder client' }),
    ]);
    // The server registers itself on connect; wait until tester reaches it at all.
    await waitFor('a first call from tester', 20_000, async () => {
      const r = await tester.call(1, { deadlineMs: 3000 });
      return r.counts['authz-echo'] === 1 ? r : undefined;
    });
  }, 90_000);

  it('admits the identity the ALLOW policy names and refuses another with PERMISSION_DENIED', async () => {
    const allowed = await tester.call(10, { deadlineMs: 5000 });
    expect(allowed.errors).toEqual({});
    expect(allowed.counts).toEqual({ 'authz-echo': 10 });
    expect(allowed.identities).toEqual({ [TESTER_ID]: 10 });

    // The intruder has a valid mesh certificate (mTLS works) but no policy admits it.
    const denied = await intruder.call(5, { deadlineMs: 5000 });
    expect(denied.counts).toEqual({});
    expect(denied.errors).toEqual({ PERMISSION_DENIED: 5 });
    expect(server.port).toBeGreaterThan(0);
  });

  it('explain --from names the deciding policy for the admitted and the refused caller', async () => {
    const admitted = await explainFrom(trellis, 'echo.demo', 'tester.demo');
    expect(admitted.decision).toBe('ALLOW');
    expect(admitted.spiffeId).toBe(TESTER_ID);
    expect(admitted.matched?.document).toBe('AuthorizationPolicy/demo/echo-allow-tester');
    expect(admitted.matched?.action).toBe('ALLOW');

    const refused = await explainFrom(trellis, 'echo.demo', INTRUDER_ID);
    expect(refused.decision).toBe('DENY');
    expect(refused.matched).toBeUndefined();
    // Text form: the reason says no ALLOW policy admits it.
    expect(refused.text).toMatch(/^DENY: /);
  });

  it('a platform DENY beats the team ALLOW; deleting it restores access', async () => {
    await applyConfigOk(trellis, [DENY]);
    const blocked = await callUntil(tester, 'tester to be denied by the platform policy', 20_000, 4, { deadlineMs: 3000 },
      (r) => r.errors['PERMISSION_DENIED'] === 4);
    expect(blocked.counts).toEqual({});
    const verdict = await explainFrom(trellis, 'echo.demo', 'tester.demo');
    expect(verdict.decision).toBe('DENY');
    expect(verdict.matched?.document).toBe('AuthorizationPolicy/deny-tester');
    expect(verdict.matched?.layer).toBe('platform');
    // The intruder stays refused; nothing else changed for it.
    expect((await intruder.call(2, { deadlineMs: 3000 })).errors).toEqual({ PERMISSION_DENIED: 2 });

    const removed = await runTrellisCli(['delete', 'AuthorizationPolicy', 'deny-tester', '--data', trellis.dataDir]);
    expect(removed.code, removed.stderr).toBe(0);
    const restored = await callUntil(tester, 'tester to be admitted again', 20_000, 4, { deadlineMs: 3000 },
      (r) => r.counts['authz-echo'] === 4);
    expect(restored.identities).toEqual({ [TESTER_ID]: 4 });
    expect((await explainFrom(trellis, 'echo.demo', 'tester.demo')).matched?.document).toBe('AuthorizationPolicy/demo/echo-allow-tester');
  });
});
