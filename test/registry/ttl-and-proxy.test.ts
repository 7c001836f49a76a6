import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { KeyValueStore } from '../../src/store/types.ts';
import { fakeClock, instanceInput, recordingLogger } from './helpers.ts';

const open: Registry[] = [];
afterEach(async () => {
  for (const registry of open.splice(0)) await registry.close();
  vi.useRealTimers();
});

async function newRegistry(store: KeyValueStore, now: () => number, proxyStartupGraceMs?: number): Promise<Registry> {
  const registry = await createRegistry({
    store, now, log: recordingLogger(), ...(proxyStartupGraceMs === undefined ? {} : { proxyStartupGraceMs }),
  });
  open.push(registry);
  return registry;
}

const ids = (registry: Registry, key = 'reviews.bookinfo'): string[] =>
  (registry.snapshot().instances.get(key) ?? []).map((i) => i.id);

/** Lets queued registry work (timer callbacks enqueue mutations) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe('TTL expiry', () => {
  it('removes an instance only once its heartbeat is older than its TTL', async () => {
    const clock = fakeClock();
    const registry = await newRegistry(createMemoryStore(), clock.now);
    await registry.register(instanceInput({ id: 'ttl', ttlSeconds: 30 }), 'api');
    await registry.register(instanceInput({ id: 'forever', ttlSeconds: 0 }), 'api');

    clock.advance(30_000); // exactly the TTL: not older than it yet
    expect(await registry.sweepExpired()).toBe(0);
    expect(ids(registry)).toEqual(['forever', 'ttl']);

    clock.advance(1);
    const events: string[][] = [];
    registry.onChange((change) => events.push([...change.endpointsChanged]));
    expect(await registry.sweepExpired()).toBe(1);
    expect(ids(registry)).toEqual(['forever']);
    expect(events).toEqual([['reviews.bookinfo']]);

    clock.advance(10 * 86_400_000);
    expect(await registry.sweepExpired()).toBe(0);
    expect(ids(registry)).toEqual(['forever']);
  });

  it('a heartbeat keeps the instance alive for another TTL', async () => {
    const clock = fakeClock();
    const registry = await newRegistry(createMemoryStore(), clock.now);
    await registry.register(instanceInput({ id: 'a', ttlSeconds: 10 }), 'api');
    clock.advance(9_000);
    await registry.heartbeat('bookinfo', 'reviews', 'a');
    clock.advance(9_000);
    expect(await registry.sweepExpired()).toBe(0);
    clock.advance(1_001);
    expect(await registry.sweepExpired()).toBe(1);
    expect(ids(registry)).toEqual([]);
  });

  it('expires instances across services in one change', async () => {
    const clock = fakeClock();
    const registry = await newRegistry(createMemoryStore(), clock.now);
    await registry.register(instanceInput({ id: 'a', ttlSeconds: 1 }), 'api');
    await registry.register(instanceInput({ service: 'ratings', id: 'b', ttlSeconds: 1 }), 'api');
    const revisions: number[] = [];
    registry.onChange((change) => revisions.push(change.revision));
    clock.advance(5_000);
    expect(await registry.sweepExpired()).toBe(2);
    expect(revisions).toEqual([3]);
  });

  it('startTtlSweeper sweeps on an interval until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const clock = fakeClock();
    const registry = await newRegistry(createMemoryStore(), clock.now);
    await registry.register(instanceInput({ id: 'a', ttlSeconds: 1 }), 'api');
    await registry.register(instanceInput({ id: 'b', ttlSeconds: 1 }), 'api');
    const stop = registry.startTtlSweeper(500);
    clock.advance(2_000);
    await registry.deregister('bookinfo', 'reviews', 'b'); // b goes by hand
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(ids(registry)).toEqual([]);

    stop();
    await registry.register(instanceInput({ id: 'c', ttlSeconds: 1 }), 'api');
    clock.advance(2_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(ids(registry)).toEqual(['c']);
  });

  it('after a restart, TTL instances get a fresh window instead of expiring at once', async () => {
    const store = createMemoryStore();
    const clock = fakeClock();
    const first = await newRegistry(store, clock.now);
    await first.register(instanceInput({ id: 'a', ttlSeconds: 10 }), 'api');
    await first.close();
    clock.advance(60_000); // the control plane was down for a minute
    const second = await newRegistry(store, clock.now);
    expect(await second.sweepExpired()).toBe(0);
    clock.advance(10_001);
    expect(await second.sweepExpired()).toBe(1);
  });
});

describe('proxy auto-registration', () => {
  it('removes an ads instance after the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const registry = await newRegistry(createMemoryStore(), fakeClock().now);
    const result = await registry.registerFromProxy(instanceInput({ id: 'sidecar' }));
    expect(result.ok && result.instance.origin).toBe('ads');
    registry.scheduleProxyRemoval('bookinfo', 'reviews', 'sidecar', 5_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(ids(registry)).toEqual(['sidecar']);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(ids(registry)).toEqual([]);
  });

  it('re-registering within the grace period cancels the removal', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const registry = await newRegistry(createMemoryStore(), fakeClock().now);
    await registry.registerFromProxy(instanceInput({ id: 'sidecar' }));
    registry.scheduleProxyRemoval('bookinfo', 'reviews', 'sidecar', 5_000);
    await vi.advanceTimersByTimeAsync(3_000);
    await registry.registerFromProxy(instanceInput({ id: 'sidecar' })); // the proxy reconnected
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(ids(registry)).toEqual(['sidecar']);
  });

  it('a later schedule replaces an earlier one for the same instance', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const registry = await newRegistry(createMemoryStore(), fakeClock().now);
    await registry.registerFromProxy(instanceInput({ id: 'sidecar' }));
    registry.scheduleProxyRemoval('bookinfo', 'reviews', 'sidecar', 1_000);
    registry.scheduleProxyRemoval('bookinfo', 'reviews', 'sidecar', 8_000);
    await vi.advanceTimersByTimeAsync(7_000);
    await settle();
    expect(ids(registry)).toEqual(['sidecar']);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(ids(registry)).toEqual([]);
  });

  it('does not remove an instance that an operator re-registered through the API', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const registry = await newRegistry(createMemoryStore(), fakeClock().now);
    await registry.registerFromProxy(instanceInput({ id: 'sidecar' }));
    registry.scheduleProxyRemoval('bookinfo', 'reviews', 'sidecar', 1_000);
    await registry.register(instanceInput({ id: 'sidecar' }), 'api');
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(ids(registry)).toEqual(['sidecar']);
  });

  it('on startup, persisted ads instances get a fresh grace period; a reconnect keeps them', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = createMemoryStore();
    const clock = fakeClock();
    const first = await newRegistry(store, clock.now);
    await first.registerFromProxy(instanceInput({ id: 'gone' }));
    await first.registerFromProxy(instanceInput({ id: 'back' }));
    await first.register(instanceInput({ id: 'static' }), 'api');
    await first.close();

    const second = await newRegistry(store, clock.now, 20_000);
    expect(ids(second)).toEqual(['back', 'gone', 'static']);
    await vi.advanceTimersByTimeAsync(10_000);
    await second.registerFromProxy(instanceInput({ id: 'back' }));
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(ids(second)).toEqual(['back', 'static']);
    // The removal was persisted too.
    const third = await newRegistry(store, clock.now, 20_000);
    expect(ids(third)).toEqual(['back', 'static']);
  });
});
