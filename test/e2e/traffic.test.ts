/**
 * Proxyless gRPC traffic through Trellis with real processes over loopback: a grpc-js-xds client
 * calling `xds:///echo.demo` reaches the registered echo backends, a deregistered backend loses
 * its traffic within a bounded time, and a TTL instance without heartbeats is removed while one
 * that heartbeats stays.
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

/** Calls in batches until `done(counts)` holds for two batches in a row; resolves to when the first of them started. */
async function timeUntil(client: XdsClient, since: number, limitMs: number, done: (counts: Readonly<Record<string, number>>) => boolean): Promise<number> {
  let firstClean: number | undefined;
  let clean = 0;
  for (;;) {
    const started = Date.now();
    const result = await client.call(10, { deadlineMs: 2000 });
    if (done(result.counts) && Object.keys(result.errors).length === 0) {
      firstClean ??= started;
      clean += 1;
      if (clean === 2) return firstClean - since;
    } else {
      firstClean = undefined;
      clean = 0;
    }
    if (Date.now() - since > limitMs) throw new Error(`condition not reached within ${limitMs} ms; last batch ${JSON.stringify(result)}`);
  }
}

describe('proxyless client through Trellis', () => {
  let trellis: TrellisProcess;
  let a: EchoServer;
  let b: EchoServer;
  let client: XdsClient;

  setupE2e(async () => {
    [trellis, a, b] = await Promise.all([startTrellis(), spawnEcho({ id: 'a' }), spawnEcho({ id: 'b' })]);
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: a.port, id: 'a' }));
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: b.port, id: 'b' }));
    client = await spawnXdsClient('echo.demo', grpcBootstrap({ xdsAddress: trellis.xdsAddress, service: 'tester', namespace: 'demo', nodeId: 'traffic-client' }));
  });

  it('reaches both registered backends', async () => {
    const result = await client.call(100, { deadlineMs: 5000, concurrency: 4 });
    expect(result.errors).toEqual({});
    expect((result.counts['a'] ?? 0) + (result.counts['b'] ?? 0)).toBe(100);
    // Round robin over two endpoints: each gets about half; 20 leaves room for the first picks.
    expect(result.counts['a'] ?? 0).toBeGreaterThanOrEqual(20);
    expect(result.counts['b'] ?? 0).toBeGreaterThanOrEqual(20);
  });

  it('moves all traffic away from a deregistered backend within 5 s', async () => {
    const t0 = Date.now();
    const answer = await trellis.api('DELETE', '/api/v1/instances/demo/echo/a');
    expect(answer.status).toBe(204);
    const movedMs = await timeUntil(client, t0, 10_000, (counts) => counts['a'] === undefined);
    console.log(`deregistration: traffic left backend a after ${movedMs} ms`);
    expect(movedMs).toBeLessThanOrEqual(5000);
    const after = await client.call(30, { deadlineMs: 2000 });
    expect(after.counts).toEqual({ b: 30 });
  });

  it('removes a TTL instance without heartbeats and keeps one that heartbeats', async () => {
    const [c, d] = await Promise.all([spawnEcho({ id: 'c' }), spawnEcho({ id: 'd' })]);
    const registeredAt = Date.now();
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: c.port, id: 'c', ttlSeconds: 2 }));
    await registerInstance(trellis, instanceBody({ service: 'echo', namespace: 'demo', port: d.port, id: 'd', ttlSeconds: 2 }));
    let beating = true;
    const heartbeats = (async () => {
      while (beating) {
        const answer = await trellis.api('POST', '/api/v1/instances/demo/echo/d/heartbeat');
        if (answer.status !== 204) throw new Error(`heartbeat for d: HTTP ${answer.status}`);
        await new Promise((r) => setTimeout(r, 400));
      }
    })();
    try {
      // c must first get traffic, or "no traffic to c" would prove nothing.
      await waitFor('backend c to receive traffic', 5000, async () => {
        const r = await client.call(12, { deadlineMs: 2000 });
        return (r.counts['c'] ?? 0) > 0 ? true : undefined;
      });
      const goneMs = await timeUntil(client, registeredAt, 10_000, (counts) => counts['c'] === undefined);
      console.log(`TTL 2 s without heartbeats: traffic left backend c ${goneMs} ms after registration`);
      // Not before its TTL ran out (minus scheduling slack), and soon after (1 s sweep + push).
      expect(goneMs).toBeGreaterThanOrEqual(1500);
      expect(goneMs).toBeLessThanOrEqual(6000);
      expect(await instanceIds(trellis, 'demo', 'echo')).toEqual(['b', 'd']);
      const after = await client.call(30, { deadlineMs: 2000 });
      expect(after.errors).toEqual({});
      expect(Object.keys(after.counts).sort()).toEqual(['b', 'd']);
    } finally {
      beating = false;
      await heartbeats;
    }
  });
});
