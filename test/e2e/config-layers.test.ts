/**
 * Layered config, platform layers and scoping, proven with real grpc-js-xds clients:
 * - a platform override (`timeout: 200ms`) beats the team's `timeout: 5s` against a 1 s backend
 *   (DEADLINE_EXCEEDED), and `trellis explain` shows the override with the team value it overrode;
 * - a team value beyond a platform bound is rejected by `trellis apply` (exit 1, message naming
 *   file:line, field, bound and policy) while traffic keeps flowing on the old config;
 * - `dependencies: [shop.demo]` scopes a proxyless client of that service: it loses other
 *   services (calls fail, CSDS and /api/v1/status show them gone) while an unscoped client keeps them.
 *
 * Backends: `slow` (1 s delay) for slow.demo; `a` (version v1) and `b` (version v2) for shop.demo;
 * `a` again for other.demo.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ackedVersions, applyAndWaitForPush, applyConfig, applyWithCli, callUntil, failures, lineOf, writeConfigFile, type ConfigFile } from './config-helpers.ts';
import { csdsClient, resourcesOf, type CsdsClient } from './csds.ts';
import {
  grpcBootstrap,
  instanceBody,
  registerInstance,
  runTrellisCli,
  setupE2e,
  spawnEcho,
  spawnXdsClient,
  startTrellis,
  tempDir,
  useE2eHooks,
  type TrellisProcess,
  type XdsClient,
} from './harness.ts';

useE2eHooks();

const NODE_ID = 'layers-client';
const FRONTEND_NODE_ID = 'frontend-client';
const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';

const PLATFORM: ConfigFile = {
  name: 'platform.yaml',
  text: `# Guard rails for the demo namespace, owned by the platform team.
apiVersion: trellis.dev/v1alpha1
kind: PlatformPolicy
metadata: {name: demo-guardrails}
spec:
  scope: {namespaces: [demo]}
  bounds:
    retries.attempts: {max: 5}
    timeout: {max: 30s}
`,
};

const TEAMS: ConfigFile = {
  name: 'teams.yaml',
  text: `apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: slow, namespace: demo}
spec:
  protocol: grpc
  timeout: 5s
---
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: shop, namespace: demo}
spec:
  protocol: grpc
  subsets:
    v1: {version: v1}
    v2: {version: v2}
  routes:
    - to: [{subset: v1}]
  retries: {attempts: 2, on: [unavailable]}
`,
};

const OVERRIDE: ConfigFile = {
  name: 'override.yaml',
  text: `apiVersion: trellis.dev/v1alpha1
kind: PlatformPolicy
metadata: {name: slow-timeout-override}
spec:
  scope: {services: [slow.demo]}
  overrides:
    timeout: 200ms
`,
};

const FRONTEND: ConfigFile = {
  name: 'frontend.yaml',
  text: `apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: frontend, namespace: demo}
spec:
  protocol: grpc
  dependencies: [shop.demo]
`,
};

/** Beyond the bound (retries.attempts max 5), and routing to v2: neither may take effect. */
const SHOP_BAD = `apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: shop, namespace: demo}
spec:
  protocol: grpc
  subsets:
    v1: {version: v1}
    v2: {version: v2}
  routes:
    - to: [{subset: v2}]
  retries:
    attempts: 9
    on: [unavailable]
`;

describe('platform layers and scoping with real proxyless clients', () => {
  let trellis: TrellisProcess;
  let client: XdsClient;
  let csds: CsdsClient | undefined;

  setupE2e(async () => {
    const [started, slow, a, b] = await Promise.all([
      startTrellis(),
      spawnEcho({ id: 'slow', delayMs: 1000 }),
      spawnEcho({ id: 'a' }),
      spawnEcho({ id: 'b' }),
    ]);
    trellis = started;
    await registerInstance(trellis, instanceBody({ service: 'slow', namespace: 'demo', port: slow.port, id: 'slow', labels: { version: 'v1' } }));
    await registerInstance(trellis, instanceBody({ service: 'shop', namespace: 'demo', port: a.port, id: 'a', labels: { version: 'v1' } }));
    await registerInstance(trellis, instanceBody({ service: 'shop', namespace: 'demo', port: b.port, id: 'b', labels: { version: 'v2' } }));
    await registerInstance(trellis, instanceBody({ service: 'other', namespace: 'demo', port: a.port, id: 'a', labels: { version: 'v1' } }));
    client = await spawnXdsClient('slow.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: NODE_ID }));
    for (const target of ['slow.demo', 'shop.demo', 'other.demo']) {
      const warm = await client.call(2, { deadlineMs: 5000, target });
      expect(warm.errors, target).toEqual({});
    }
    await applyAndWaitForPush(trellis, NODE_ID, [PLATFORM, TEAMS]);
  }, 60_000);

  afterAll(() => csds?.close());

  it('a platform override (timeout 200ms) beats the team value (5s), and explain shows both', async () => {
    // The team's 5 s lets the 1 s backend answer.
    const teamOnly = await client.call(1, { deadlineMs: 4000, target: 'slow.demo' });
    expect(teamOnly.errors).toEqual({});
    expect(teamOnly.counts).toEqual({ slow: 1 });

    await applyAndWaitForPush(trellis, NODE_ID, [PLATFORM, TEAMS, OVERRIDE]);
    const overridden = await client.call(5, { deadlineMs: 4000, target: 'slow.demo' });
    expect(overridden.errors).toEqual({ DEADLINE_EXCEEDED: 5 });
    expect(overridden.elapsedMs).toBeLessThan(5 * 700);

    const explain = await runTrellisCli(['explain', 'slow.demo', '--data', trellis.dataDir]);
    expect(explain.code, explain.stderr).toBe(0);
    const out = explain.stdout;
    console.log(`trellis explain slow.demo:\n${out}`);
    // One row per effective field: FIELD VALUE LAYER SET-BY OVERRODE.
    const row = out.split('\n').find((line) => /^\s*timeout\s/.test(line));
    expect(row, out).toBeDefined();
    expect(row).toMatch(/\b200ms\b/);
    expect(row).toContain('platform-override');
    expect(row).toContain('slow-timeout-override');
    expect(row).toContain(`override.yaml:${lineOf(OVERRIDE.text, 'timeout: 200ms')}`);
    // What it overrode: the team's 5s, with the team document and where it was written.
    const overrode = row?.slice(row.indexOf('overrode')) ?? '';
    expect(overrode).toMatch(/\b5s\b/);
    expect(overrode).toContain('ServiceConfig/demo/slow');
    expect(overrode).toContain(`teams.yaml:${lineOf(TEAMS.text, 'timeout: 5s')}`);
  });

  it('rejects a team value beyond a bound at apply time; traffic stays on the old config', async () => {
    const before = await client.call(20, { deadlineMs: 3000, target: 'shop.demo' });
    expect(before.counts).toEqual({ a: 20 });
    const versionsBefore = await ackedVersions(trellis, NODE_ID);

    const dir = await tempDir('config');
    const path = await writeConfigFile(dir, 'shop-bad.yaml', SHOP_BAD);
    const cli = await applyWithCli(trellis, path);
    const message = `${cli.stdout}\n${cli.stderr}`;
    console.log(`trellis apply -f shop-bad.yaml (exit ${cli.code}):\n${message.trim()}`);
    expect(cli.code, message).toBe(1);
    expect(message).toContain(`shop-bad.yaml:${lineOf(SHOP_BAD, 'attempts: 9')}`);
    expect(message).toContain('retries.attempts');
    expect(message).toContain('demo-guardrails');
    expect(message).toMatch(/\bmax(imum)?\b[^\n]*\b5\b/);

    // The API refuses the same file as a user error, naming the same field.
    const api = await applyConfig(trellis, [{ name: 'shop-bad.yaml', text: SHOP_BAD }]);
    expect(api.status).toBeGreaterThanOrEqual(400);
    expect(api.status).toBeLessThan(500);
    expect(JSON.stringify(api.body)).toContain('retries.attempts');

    // Nothing was pushed, and calls still go to v1 only, without errors.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ackedVersions(trellis, NODE_ID)).toEqual(versionsBefore);
    const after = await client.call(50, { deadlineMs: 3000, concurrency: 5, target: 'shop.demo' });
    expect(after.errors).toEqual({});
    expect(after.counts).toEqual({ a: 50 });
  });

  it('dependencies scope a proxyless client to the services it calls', async () => {
    const frontend = await spawnXdsClient('shop.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'frontend', namespace: 'demo', nodeId: FRONTEND_NODE_ID }));
    // Unscoped at first: it reaches other.demo, and Trellis sent it other.demo's cluster.
    expect((await frontend.call(4, { deadlineMs: 5000, target: 'other.demo' })).counts).toEqual({ a: 4 });
    expect((await frontend.call(4, { deadlineMs: 5000, target: 'shop.demo' })).counts).toEqual({ a: 4 });
    csds = csdsClient(trellis.xdsAddress);
    const clustersBefore = (await resourcesOf(csds, FRONTEND_NODE_ID)).filter((r) => r.type_url === CLUSTER_TYPE);
    expect(clustersBefore.find((r) => r.name === 'outbound|other.demo')?.client_status, JSON.stringify(clustersBefore)).toBe('ACKED');

    await applyAndWaitForPush(trellis, FRONTEND_NODE_ID, [PLATFORM, TEAMS, OVERRIDE, FRONTEND]);

    const scoped = await callUntil(frontend, 'other.demo to be out of scope', 10_000, 4, { deadlineMs: 1000, target: 'other.demo' }, (r) => failures(r) === 4);
    expect(scoped.counts).toEqual({});
    const shop = await frontend.call(10, { deadlineMs: 3000, target: 'shop.demo' });
    expect(shop.errors).toEqual({});
    expect(shop.counts).toEqual({ a: 10 });

    // CSDS: the client still asks for other.demo (its channel is open), but Trellis has nothing
    // for it: DOES_NOT_EXIST, while shop.demo's resources are held (ACKED).
    const resources = (await resourcesOf(csds, FRONTEND_NODE_ID)).filter((r) => r.type_url === CLUSTER_TYPE || r.type_url === LISTENER_TYPE);
    const statusOf = (name: string): string | undefined => resources.find((r) => r.name === name)?.client_status;
    const summary = JSON.stringify(resources.map((r) => [r.name, r.client_status]));
    expect(statusOf('shop.demo'), summary).toBe('ACKED');
    expect(statusOf('outbound|shop.demo|v1'), summary).toBe('ACKED');
    expect(statusOf('other.demo'), summary).toBe('DOES_NOT_EXIST');
    const heldOther = resources.filter((r) => r.client_status === 'ACKED' && !(r.name ?? '').includes('shop.demo'));
    expect(heldOther.map((r) => r.name)).toEqual([]);

    const status = await trellis.api('GET', '/api/v1/status');
    const views = (status.body as { views?: Array<{ serviceKey?: string; visibleServices?: number }> }).views ?? [];
    expect(views.find((v) => v.serviceKey === 'frontend.demo')?.visibleServices).toBe(1);

    // Scoping is per service: the unscoped client still reaches other.demo.
    expect((await client.call(4, { deadlineMs: 3000, target: 'other.demo' })).counts).toEqual({ a: 4 });
  });
});
