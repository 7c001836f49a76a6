import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry, RegistryChange, RegistrySnapshot } from '../../src/registry/types.ts';
import { openLevelStore } from '../../src/store/level-store.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { KeyValueStore } from '../../src/store/types.ts';
import { TrellisError } from '../../src/util/errors.ts';
import { fakeClock, flakyStore, instanceInput, recordingLogger } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newRegistry(store: KeyValueStore = createMemoryStore(), now = fakeClock().now): Promise<Registry> {
  const registry = await createRegistry({ store, now, log: recordingLogger() });
  cleanups.push(() => registry.close());
  return registry;
}

function record(registry: Registry): Array<{ change: RegistryChange; snapshot: RegistrySnapshot }> {
  const events: Array<{ change: RegistryChange; snapshot: RegistrySnapshot }> = [];
  registry.onChange((change, snapshot) => events.push({ change, snapshot }));
  return events;
}

async function rejection(promise: Promise<unknown>): Promise<TrellisError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof TrellisError)) throw new Error(`expected a TrellisError, got ${String(error)}`);
  return error;
}

describe('registry', () => {
  it('registers an instance, creating its service with default protocol http', async () => {
    const clock = fakeClock(5000);
    const registry = await newRegistry(createMemoryStore(), clock.now);
    const result = await registry.register(instanceInput({ labels: { version: 'v1' } }), 'api');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.instance).toMatchObject({ id: '10.0.0.1:9080', heartbeatAt: 5000, origin: 'api', weight: 1, health: 'healthy' });
    const snap = registry.snapshot();
    expect(snap.revision).toBe(1);
    expect(snap.services.get('reviews.bookinfo')).toEqual({ name: 'reviews', namespace: 'bookinfo', protocol: 'http' });
    expect(snap.instances.get('reviews.bookinfo')?.map((i) => i.id)).toEqual(['10.0.0.1:9080']);
  });

  it('returns diagnostics for invalid input and changes nothing', async () => {
    const registry = await newRegistry();
    const result = await registry.register(instanceInput({ port: 0 }), 'api');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics[0]?.field).toBe('port');
    expect(registry.snapshot().revision).toBe(0);
    expect(registry.snapshot().services.size).toBe(0);
  });

  it('upserts: re-registering the same id replaces the instance, keeping instances sorted by id', async () => {
    const registry = await newRegistry();
    await registry.register(instanceInput({ id: 'b', weight: 5 }), 'api');
    await registry.register(instanceInput({ id: 'c' }), 'api');
    await registry.register(instanceInput({ id: 'a' }), 'api');
    const replaced = await registry.register(instanceInput({ id: 'b', weight: 9, address: '10.0.0.9' }), 'file');
    expect(replaced.ok).toBe(true);
    const list = registry.snapshot().instances.get('reviews.bookinfo') ?? [];
    expect(list.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(list[1]).toMatchObject({ weight: 9, address: '10.0.0.9', origin: 'file' });
  });

  it('rejects a protocol different from the existing service, naming both', async () => {
    const registry = await newRegistry();
    await registry.register(instanceInput({ service: 'echo', protocol: 'grpc' }), 'api');
    const conflict = await registry.register(instanceInput({ service: 'echo', id: 'x', protocol: 'http' }), 'api');
    expect(conflict.ok).toBe(false);
    if (!conflict.ok) {
      expect(conflict.diagnostics[0]?.field).toBe('protocol');
      expect(conflict.diagnostics[0]?.message).toMatch(/grpc/);
      expect(conflict.diagnostics[0]?.message).toMatch(/http/);
    }
    // Omitting the protocol joins the existing service.
    const joined = await registry.register(instanceInput({ service: 'echo', id: 'y', address: '10.9.9.9' }), 'api');
    expect(joined.ok).toBe(true);
    expect(registry.snapshot().services.get('echo.bookinfo')?.protocol).toBe('grpc');
    expect(registry.snapshot().instances.get('echo.bookinfo')?.length).toBe(2);
  });

  it('refuses a second instance id at an address:port the service already has, naming the first', async () => {
    const registry = await newRegistry();
    expect((await registry.register(instanceInput({ service: 'echo', id: 'a', address: '10.0.0.1', port: 80 }), 'api')).ok).toBe(true);
    const duplicate = await registry.register(instanceInput({ service: 'echo', id: 'a-again', address: '10.0.0.1', port: 80 }), 'api');
    expect(duplicate.ok).toBe(false);
    if (!duplicate.ok) {
      expect(duplicate.diagnostics[0]?.field).toBe('address');
      expect(duplicate.diagnostics[0]?.message).toMatch(/"a"/);
    }
    // The same id may re-register (an update), and another port or service is a different endpoint.
    expect((await registry.register(instanceInput({ service: 'echo', id: 'a', address: '10.0.0.1', port: 80, weight: 3 }), 'api')).ok).toBe(true);
    expect((await registry.register(instanceInput({ service: 'echo', id: 'b', address: '10.0.0.1', port: 81 }), 'api')).ok).toBe(true);
    expect((await registry.register(instanceInput({ service: 'other', id: 'a-again', address: '10.0.0.1', port: 80 }), 'api')).ok).toBe(true);
    expect(registry.snapshot().instances.get('echo.bookinfo')?.map((i) => i.id)).toEqual(['a', 'b']);
  });

  it('deregisters instances and deletes services with their instances', async () => {
    const registry = await newRegistry();
    await registry.register(instanceInput({ id: 'a' }), 'api');
    await registry.register(instanceInput({ id: 'b' }), 'api');
    await registry.register(instanceInput({ service: 'ratings', id: 'r' }), 'api');
    expect(await registry.deregister('bookinfo', 'reviews', 'a')).toBe(true);
    expect(await registry.deregister('bookinfo', 'reviews', 'a')).toBe(false);
    expect(registry.snapshot().instances.get('reviews.bookinfo')?.map((i) => i.id)).toEqual(['b']);
    expect(await registry.deleteService('bookinfo', 'reviews')).toBe(true);
    expect(await registry.deleteService('bookinfo', 'reviews')).toBe(false);
    const snap = registry.snapshot();
    expect([...snap.services.keys()]).toEqual(['ratings.bookinfo']);
    expect(snap.instances.has('reviews.bookinfo')).toBe(false);
  });

  it('a service stays (with no instances) after its last instance is deregistered', async () => {
    const registry = await newRegistry();
    await registry.register(instanceInput(), 'api');
    await registry.deregister('bookinfo', 'reviews', '10.0.0.1:9080');
    expect(registry.snapshot().services.has('reviews.bookinfo')).toBe(true);
    expect(registry.snapshot().instances.get('reviews.bookinfo')).toEqual([]);
  });

  it('heartbeat refreshes heartbeatAt; unknown instances are not-found errors', async () => {
    const clock = fakeClock(1000);
    const registry = await newRegistry(createMemoryStore(), clock.now);
    await registry.register(instanceInput(), 'api');
    clock.advance(2500);
    const beat = await registry.heartbeat('bookinfo', 'reviews', '10.0.0.1:9080');
    expect(beat.heartbeatAt).toBe(3500);
    expect(registry.snapshot().instances.get('reviews.bookinfo')?.[0]?.heartbeatAt).toBe(3500);
    expect((await rejection(registry.heartbeat('bookinfo', 'reviews', 'nope'))).kind).toBe('not-found');
    expect((await rejection(registry.heartbeat('bookinfo', 'ghost', 'x'))).kind).toBe('not-found');
  });

  it('setHealth changes health and reports an endpoint change', async () => {
    const registry = await newRegistry();
    await registry.register(instanceInput(), 'api');
    const events = record(registry);
    const updated = await registry.setHealth('bookinfo', 'reviews', '10.0.0.1:9080', 'unhealthy');
    expect(updated.health).toBe('unhealthy');
    expect(events.map((e) => e.change.endpointsChanged)).toEqual([['reviews.bookinfo']]);
    expect((await rejection(registry.setHealth('bookinfo', 'reviews', 'x', 'healthy'))).kind).toBe('not-found');
  });

  describe('change events', () => {
    it('distinguishes service changes from endpoint-only changes', async () => {
      const registry = await newRegistry();
      const events = record(registry);
      await registry.register(instanceInput({ id: 'a' }), 'api'); // creates the service
      await registry.register(instanceInput({ id: 'b' }), 'api'); // endpoint only
      await registry.register(instanceInput({ id: 'b', labels: { version: 'v2' } }), 'api'); // endpoint only
      await registry.deregister('bookinfo', 'reviews', 'a'); // endpoint only
      await registry.deleteService('bookinfo', 'reviews'); // service
      expect(events.map((e) => [e.change.revision, e.change.servicesChanged, e.change.endpointsChanged])).toEqual([
        [1, ['reviews.bookinfo'], []],
        [2, [], ['reviews.bookinfo']],
        [3, [], ['reviews.bookinfo']],
        [4, [], ['reviews.bookinfo']],
        [5, ['reviews.bookinfo'], []],
      ]);
      // Every listener call gets the snapshot of the same revision.
      expect(events.map((e) => e.snapshot.revision)).toEqual([1, 2, 3, 4, 5]);
    });

    it('a heartbeat is a change with no routing impact (both lists empty)', async () => {
      const clock = fakeClock();
      const registry = await newRegistry(createMemoryStore(), clock.now);
      await registry.register(instanceInput(), 'api');
      const events = record(registry);
      clock.advance(1000);
      await registry.heartbeat('bookinfo', 'reviews', '10.0.0.1:9080');
      clock.advance(1000);
      await registry.register(instanceInput(), 'api'); // identical re-registration: only heartbeatAt moves
      expect(events.map((e) => [e.change.servicesChanged, e.change.endpointsChanged])).toEqual([[[], []], [[], []]]);
    });

    it('no-op mutations fire nothing and keep the revision', async () => {
      const registry = await newRegistry();
      const events = record(registry);
      expect(await registry.deregister('bookinfo', 'reviews', 'x')).toBe(false);
      expect(await registry.deleteService('bookinfo', 'reviews')).toBe(false);
      expect(events).toEqual([]);
      expect(registry.snapshot().revision).toBe(0);
    });

    it('unsubscribe stops events, and a throwing listener does not break the others', async () => {
      const registry = await newRegistry();
      let calls = 0;
      registry.onChange(() => { throw new Error('listener bug'); });
      const off = registry.onChange(() => { calls += 1; });
      await registry.register(instanceInput({ id: 'a' }), 'api');
      off();
      await registry.register(instanceInput({ id: 'b' }), 'api');
      expect(calls).toBe(1);
      expect(registry.snapshot().revision).toBe(2);
    });
  });

  it('snapshots are immutable and unchanged services keep object identity', async () => {
    const registry = await newRegistry();
    await registry.register(instanceInput({ service: 'ratings' }), 'api');
    await registry.register(instanceInput({ id: 'a' }), 'api');
    const before = registry.snapshot();
    await registry.register(instanceInput({ id: 'b' }), 'api');
    const after = registry.snapshot();
    expect(after).not.toBe(before);
    expect(after.instances.get('ratings.bookinfo')).toBe(before.instances.get('ratings.bookinfo'));
    expect(after.services.get('ratings.bookinfo')).toBe(before.services.get('ratings.bookinfo'));
    expect(after.instances.get('reviews.bookinfo')).not.toBe(before.instances.get('reviews.bookinfo'));
    // The old snapshot still shows the old state.
    expect(before.instances.get('reviews.bookinfo')?.length).toBe(1);
    expect(after.instances.get('reviews.bookinfo')?.length).toBe(2);
    expect(Object.isFrozen(after.instances.get('reviews.bookinfo'))).toBe(true);
    expect(Object.isFrozen(after.instances.get('reviews.bookinfo')?.[0])).toBe(true);
    expect(Object.isFrozen(after.instances.get('reviews.bookinfo')?.[0]?.labels)).toBe(true);
  });

  it('serializes concurrent mutations (no lost updates)', async () => {
    const registry = await newRegistry();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => registry.register(instanceInput({ id: `i${String(i).padStart(2, '0')}` }), 'api')),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(registry.snapshot().instances.get('reviews.bookinfo')?.length).toBe(20);
    expect(registry.snapshot().revision).toBe(20);
  });

  it('a failed store write throws kind store and leaves the registry unchanged', async () => {
    const store = flakyStore();
    const registry = await newRegistry(store);
    await registry.register(instanceInput({ id: 'a' }), 'api');
    const events = record(registry);
    const before = registry.snapshot();
    store.failing = true;
    expect((await rejection(registry.register(instanceInput({ id: 'b' }), 'api'))).kind).toBe('store');
    expect((await rejection(registry.register(instanceInput({ service: 'new', id: 'n' }), 'api'))).kind).toBe('store');
    expect((await rejection(registry.deregister('bookinfo', 'reviews', 'a'))).kind).toBe('store');
    expect((await rejection(registry.deleteService('bookinfo', 'reviews'))).kind).toBe('store');
    expect((await rejection(registry.heartbeat('bookinfo', 'reviews', 'a'))).kind).toBe('store');
    expect(registry.snapshot()).toBe(before);
    expect(events).toEqual([]);
    // Nothing half-written either: a fresh registry over the same store sees the old state.
    store.failing = false;
    const reloaded = await newRegistry(store);
    expect([...reloaded.snapshot().services.keys()]).toEqual(['reviews.bookinfo']);
    expect(reloaded.snapshot().instances.get('reviews.bookinfo')?.map((i) => i.id)).toEqual(['a']);
    // And the queue still works after failures.
    expect((await registry.register(instanceInput({ id: 'b' }), 'api')).ok).toBe(true);
  });

  it('state survives a restart over the same LevelDB directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-registry-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const clock = fakeClock(10_000);
    const store1 = await openLevelStore(dir);
    const first = await createRegistry({ store: store1, now: clock.now, log: recordingLogger() });
    await first.register(instanceInput({ id: 'a', labels: { version: 'v1' }, locality: { region: 'us-east', zone: 'a' } }), 'api');
    await first.register(instanceInput({ id: 'b', weight: 7 }), 'file');
    await first.register(instanceInput({ service: 'echo', namespace: 'demo', protocol: 'grpc', port: 50051 }), 'api');
    await first.register(instanceInput({ service: 'gone', id: 'g' }), 'api');
    await first.deleteService('bookinfo', 'gone');
    await first.deregister('bookinfo', 'reviews', 'b');
    await first.register(instanceInput({ id: 'b', weight: 8 }), 'file');
    const expected = first.snapshot();
    await first.close();
    await store1.close();

    const store2 = await openLevelStore(dir);
    cleanups.push(() => store2.close());
    const second = await newRegistry(store2, clock.now);
    const snap = second.snapshot();
    // As maps (a snapshot's maps are ReadonlyMaps; after changes, copy-on-write views).
    expect(new Map(snap.services)).toEqual(new Map(expected.services));
    expect(new Map(snap.instances)).toEqual(new Map(expected.instances));
    expect(snap.services.get('echo.demo')?.protocol).toBe('grpc');
    expect(snap.instances.get('reviews.bookinfo')?.map((i) => [i.id, i.weight, i.origin])).toEqual([['a', 1, 'api'], ['b', 8, 'file']]);
  });

  it('skips corrupt persisted entries with a warning', async () => {
    const store = createMemoryStore();
    await store.batch([
      { type: 'put', key: 'registry/services/bookinfo/reviews', value: '{"name":"reviews","namespace":"bookinfo","protocol":"http"}' },
      { type: 'put', key: 'registry/services/bookinfo/broken', value: 'not json' },
      { type: 'put', key: 'registry/instances/bookinfo/reviews/bad', value: '{"id":"bad","port":99999}' },
      { type: 'put', key: 'registry/instances/bookinfo/orphan/x', value: JSON.stringify({ id: 'x', service: 'orphan', namespace: 'bookinfo', address: '10.0.0.1', port: 1, ports: {}, labels: {}, locality: { region: '', zone: '', subZone: '' }, weight: 1, health: 'healthy', ttlSeconds: 0, heartbeatAt: 1, origin: 'api' }) },
    ]);
    const log = recordingLogger();
    const registry = await createRegistry({ store, log });
    cleanups.push(() => registry.close());
    expect([...registry.snapshot().services.keys()]).toEqual(['reviews.bookinfo']);
    expect(registry.snapshot().instances.get('reviews.bookinfo')).toEqual([]);
    expect(log.lines).toHaveLength(3);
  });

  it('rejects mutations after close', async () => {
    const registry = await createRegistry({ store: createMemoryStore(), log: recordingLogger() });
    await registry.close();
    expect((await rejection(registry.register(instanceInput(), 'api'))).kind).toBe('internal');
  });
});
