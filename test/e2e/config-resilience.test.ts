/**
 * Layered config, resilience features, proven with a real grpc-js-xds client and echo backends
 * on loopback: retries turn a backend that fails every other call into success, a route timeout
 * gives DEADLINE_EXCEEDED against a slow backend, fault injection aborts about the configured
 * percentage, and outlier detection stops sending to an instance that always fails.
 *
 * One Trellis, four backends, one client process (one channel per target):
 * - flaky.demo   → `flaky` (--fail-every-other)
 * - slow.demo    → `slow`  (--delay-ms 1000)
 * - fault.demo   → `ok`
 * - outlier.demo → `ok` and `bad` (--fail-always)
 */
import { describe, expect, it } from 'vitest';
import { applyAndWaitForPush, callUntil, failures, percent, successes } from './config-helpers.ts';
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

const NODE_ID = 'resilience-client';

/** The demo team's config for the four services; `retries` adds the retry policy to flaky.demo. */
function resilienceYaml(retries: boolean): string {
  const flakyRetries = retries ? '\n      retries: {attempts: 3, on: [unavailable]}' : '';
  return `apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: flaky, namespace: demo}
spec:
  protocol: grpc
  subsets: {v1: {version: v1}}
  routes:
    - to: [{subset: v1}]${flakyRetries}
---
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: slow, namespace: demo}
spec:
  protocol: grpc
  subsets: {v1: {version: v1}}
  routes:
    - match:
        headers: {x-patient: "true"}
      to: [{subset: v1}]
    - to: [{subset: v1}]
      timeout: 200ms
---
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: fault, namespace: demo}
spec:
  protocol: grpc
  subsets: {v1: {version: v1}}
  routes:
    - to: [{subset: v1}]
      fault:
        abort: {percent: 30, httpStatus: 503}
---
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: outlier, namespace: demo}
spec:
  protocol: grpc
  outlierDetection:
    interval: 1s
    baseEjectionTime: 30s
    maxEjectionPercent: 50
    failurePercentageThreshold: 50
    failurePercentageMinimumHosts: 2
    failurePercentageRequestVolume: 10
`;
}

describe('resilience config with a real proxyless client', () => {
  let trellis: TrellisProcess;
  let client: XdsClient;

  setupE2e(async () => {
    const [started, flaky, slow, ok, bad] = await Promise.all([
      startTrellis(),
      spawnEcho({ id: 'flaky', failEveryOther: true }),
      spawnEcho({ id: 'slow', delayMs: 1000 }),
      spawnEcho({ id: 'ok' }),
      spawnEcho({ id: 'bad', failAlways: true }),
    ]);
    trellis = started;
    const v1 = { version: 'v1' };
    await registerInstance(trellis, instanceBody({ service: 'flaky', namespace: 'demo', port: flaky.port, id: 'flaky', labels: v1 }));
    await registerInstance(trellis, instanceBody({ service: 'slow', namespace: 'demo', port: slow.port, id: 'slow', labels: v1 }));
    await registerInstance(trellis, instanceBody({ service: 'fault', namespace: 'demo', port: ok.port, id: 'ok', labels: v1 }));
    await registerInstance(trellis, instanceBody({ service: 'outlier', namespace: 'demo', port: ok.port, id: 'ok', labels: v1 }));
    await registerInstance(trellis, instanceBody({ service: 'outlier', namespace: 'demo', port: bad.port, id: 'bad', labels: v1 }));
    client = await spawnXdsClient('flaky.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: NODE_ID }));
    // Subscribe to these services before the apply, so the wait below covers them. Not to
    // outlier.demo: grpc-js-xds 1.14.1 ignores a Cluster update whose only change is gaining
    // outlier_detection (its deepEqual compares only the old object's keys, and a cluster without
    // outlier_detection parses to `{child_policy: []}`), so a client that already holds the
    // cluster would never start ejecting. That is a client bug; here the client first sees the
    // cluster with outlier detection in place.
    for (const target of ['flaky.demo', 'slow.demo', 'fault.demo']) {
      const warm = await client.call(2, { deadlineMs: 5000, target });
      expect(successes(warm) + failures(warm), target).toBe(2);
    }
    await applyAndWaitForPush(trellis, NODE_ID, [{ name: 'resilience.yaml', text: resilienceYaml(false) }]);
  }, 60_000);

  it('retries (attempts 3, on unavailable) turn a fail-every-other backend into success', async () => {
    const without = await client.call(100, { deadlineMs: 3000 });
    console.log(`no retries: ${JSON.stringify(without.counts)} errors ${JSON.stringify(without.errors)}`);
    // One call at a time against a backend that alternates: about half fail.
    expect(Object.keys(without.errors)).toEqual(['UNAVAILABLE']);
    expect(without.errors['UNAVAILABLE']).toBeGreaterThanOrEqual(40);
    expect(without.errors['UNAVAILABLE']).toBeLessThanOrEqual(60);

    await applyAndWaitForPush(trellis, NODE_ID, [{ name: 'resilience.yaml', text: resilienceYaml(true) }]);
    const withRetries = await client.call(100, { deadlineMs: 3000 });
    expect(withRetries.errors).toEqual({});
    expect(withRetries.counts).toEqual({ flaky: 100 });
  });

  it('a route timeout of 200ms gives DEADLINE_EXCEEDED against a 1 s backend', async () => {
    // The backend answers (after 1 s) on the route without a timeout: the failure is the route's.
    const patient = await client.call(1, { deadlineMs: 4000, target: 'slow.demo', metadata: { 'x-patient': 'true' } });
    expect(patient.counts).toEqual({ slow: 1 });
    expect(patient.elapsedMs).toBeGreaterThanOrEqual(950);

    const timed = await client.call(5, { deadlineMs: 4000, target: 'slow.demo' });
    expect(timed.counts).toEqual({});
    expect(timed.errors).toEqual({ DEADLINE_EXCEEDED: 5 });
    // About 200 ms each, far below both the backend's 1 s and the client's 4 s deadline.
    expect(timed.elapsedMs).toBeLessThan(5 * 700);
  });

  it('fault injection aborts about 30 % of calls with UNAVAILABLE (503)', async () => {
    const result = await client.call(500, { deadlineMs: 3000, concurrency: 10, target: 'fault.demo' });
    console.log(`fault 30 %: ${JSON.stringify(result.counts)} errors ${JSON.stringify(result.errors)}`);
    expect(successes(result) + failures(result)).toBe(500);
    expect(Object.keys(result.errors)).toEqual(['UNAVAILABLE']);
    const aborted = percent(result.errors['UNAVAILABLE'] ?? 0, 500);
    // Binomial(500, 0.3): sd about 2 points; ±8 points is about 4 sigma.
    expect(aborted).toBeGreaterThanOrEqual(22);
    expect(aborted).toBeLessThanOrEqual(38);
  });

  it('outlier detection (failure percentage) stops sending to an instance that always fails', async () => {
    const first = await client.call(20, { deadlineMs: 3000, target: 'outlier.demo' });
    // Before ejection round robin sends to both: the failing instance is really in the pool.
    expect(first.errors['UNAVAILABLE'] ?? 0).toBeGreaterThan(0);
    // Warm-up: the 1 s detection interval needs 10 calls per host before it can eject.
    await callUntil(client, 'the failing instance to be ejected', 15_000, 20, { deadlineMs: 3000, target: 'outlier.demo' }, (r) => failures(r) === 0);
    const after = await client.call(100, { deadlineMs: 3000, target: 'outlier.demo' });
    console.log(`after ejection: ${JSON.stringify(after.counts)} errors ${JSON.stringify(after.errors)}`);
    expect(after.counts['ok'] ?? 0).toBeGreaterThanOrEqual(98);
    expect(failures(after)).toBeLessThanOrEqual(2);
  });
});
