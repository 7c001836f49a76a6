/**
 * Layered config, routing, proven with a real grpc-js-xds client and echo backends on loopback:
 * a ServiceConfig's 90/10 weighted split between subsets lands within a few points of 90/10 over
 * 1,000 calls, and a header match (`x-canary: "true"`) sends calls to the canary subset while
 * calls without the header take the default route.
 *
 * Backends `v1` and `v2` (labels version=v1/v2) are registered in two services, split.demo and
 * canary.demo, so one pair of processes serves both. Before any config both services balance
 * round robin over both backends (about 50/50), which the assertions below would reject.
 */
import { describe, expect, it } from 'vitest';
import { applyAndWaitForPush, percent, successes } from './config-helpers.ts';
import {
  grpcBootstrap,
  instanceBody,
  registerInstance,
  setupE2e,
  spawnEcho,
  spawnXdsClient,
  startTrellis,
  useE2eHooks,
  type TrellisProcess,
  type XdsClient,
} from './harness.ts';

useE2eHooks();

const NODE_ID = 'routing-client';

const ROUTING_YAML = `# Two ServiceConfigs owned by the demo team.
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: split, namespace: demo}
spec:
  protocol: grpc
  subsets:
    v1: {version: v1}
    v2: {version: v2}
  routes:
    - to:
        - {subset: v1, weight: 90}
        - {subset: v2, weight: 10}
---
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: canary, namespace: demo}
spec:
  protocol: grpc
  subsets:
    stable: {version: v1}
    canary: {version: v2}
  routes:
    - match:
        headers: {x-canary: "true"}
      to: [{subset: canary}]
    - to: [{subset: stable}]
`;

describe('routing config with a real proxyless client', () => {
  let trellis: TrellisProcess;
  let client: XdsClient;

  setupE2e(async () => {
    const [started, v1, v2] = await Promise.all([startTrellis(), spawnEcho({ id: 'v1' }), spawnEcho({ id: 'v2' })]);
    trellis = started;
    for (const service of ['split', 'canary']) {
      await registerInstance(trellis, instanceBody({ service, namespace: 'demo', port: v1.port, id: 'v1', labels: { version: 'v1' } }));
      await registerInstance(trellis, instanceBody({ service, namespace: 'demo', port: v2.port, id: 'v2', labels: { version: 'v2' } }));
    }
    client = await spawnXdsClient('split.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: NODE_ID }));
    // Subscribe to both services first, so the wait below sees the push of the applied config.
    for (const target of ['split.demo', 'canary.demo']) {
      const before = await client.call(20, { deadlineMs: 5000, target });
      // Round robin over both backends before any config: the config must be what changes it.
      expect(before.counts['v1'] ?? 0, target).toBeGreaterThan(0);
      expect(before.counts['v2'] ?? 0, target).toBeGreaterThan(0);
    }
    await applyAndWaitForPush(trellis, NODE_ID, [{ name: 'routing.yaml', text: ROUTING_YAML }]);
  });

  it('splits 90/10 between subsets v1 and v2 over 1,000 calls', async () => {
    const result = await client.call(1000, { deadlineMs: 5000, concurrency: 10 });
    expect(result.errors).toEqual({});
    expect(successes(result)).toBe(1000);
    const v2Share = percent(result.counts['v2'] ?? 0, 1000);
    console.log(`90/10 split over 1,000 calls: v1 ${result.counts['v1'] ?? 0}, v2 ${result.counts['v2'] ?? 0}`);
    // Binomial(1000, 0.1) has a standard deviation of about 1 point: ±4 points is over 4 sigma.
    expect(percent(result.counts['v1'] ?? 0, 1000)).toBeGreaterThanOrEqual(86);
    expect(percent(result.counts['v1'] ?? 0, 1000)).toBeLessThanOrEqual(94);
    expect(v2Share).toBeGreaterThanOrEqual(6);
    expect(v2Share).toBeLessThanOrEqual(14);
  });

  it('routes x-canary: "true" to the canary subset and other calls to the default route', async () => {
    const canary = await client.call(50, { deadlineMs: 5000, concurrency: 5, target: 'canary.demo', metadata: { 'x-canary': 'true' } });
    expect(canary.errors).toEqual({});
    expect(canary.counts).toEqual({ v2: 50 });

    const plain = await client.call(50, { deadlineMs: 5000, concurrency: 5, target: 'canary.demo' });
    expect(plain.errors).toEqual({});
    expect(plain.counts).toEqual({ v1: 50 });

    // An exact match: another value of the header is not the canary.
    const other = await client.call(20, { deadlineMs: 5000, target: 'canary.demo', metadata: { 'x-canary': 'false' } });
    expect(other.counts).toEqual({ v1: 20 });
  });
});
