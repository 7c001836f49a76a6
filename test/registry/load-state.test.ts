/**
 * Loading the registry from the store: the fast path (records in the shape Trellis writes, used
 * as parsed) must give exactly what full validation gives, record by record and for a whole
 * store, in the memory store and in LevelDB.
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  INSTANCES_PREFIX, SERVICES_PREFIX, compareIds, decodeInstance, instanceStoreKey, loadState, putInstance, putService,
  serviceStoreKey, validatedInstance,
} from '../../src/registry/persistence.ts';
import { trustedInstance } from '../../src/registry/stored-record.ts';
import { PROTOCOLS, serviceKey, type InstanceRecord, type ServiceRecord } from '../../src/registry/types.ts';
import { validateRegistration } from '../../src/registry/validate.ts';
import { openLevelStore } from '../../src/store/level-store.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { KeyValueStore, StoreOperation } from '../../src/store/types.ts';
import { recordingLogger } from './helpers.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The loader as it was before the fast path: every record through full validation, two lists. */
async function referenceLoad(store: KeyValueStore): Promise<{ services: Map<string, ServiceRecord>; instances: Map<string, InstanceRecord[]> }> {
  const services = new Map<string, ServiceRecord>();
  const instances = new Map<string, InstanceRecord[]>();
  for (const [key, value] of await store.list(SERVICES_PREFIX)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) continue;
    const { name, namespace, protocol } = parsed as Record<string, unknown>;
    const ok = validateRegistration({ service: name, namespace, address: '127.0.0.1', port: 1 }).ok;
    const known = PROTOCOLS.find((p) => p === protocol);
    if (!ok || known === undefined || typeof name !== 'string' || typeof namespace !== 'string' || serviceStoreKey(namespace, name) !== key) continue;
    services.set(serviceKey(name, namespace), { name, namespace, protocol: known });
    instances.set(serviceKey(name, namespace), []);
  }
  for (const [key, value] of await store.list(INSTANCES_PREFIX)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      continue;
    }
    const record = validatedInstance(parsed);
    if (record === undefined || instanceStoreKey(record.namespace, record.service, record.id) !== key) continue;
    instances.get(serviceKey(record.service, record.namespace))?.push(record);
  }
  for (const list of instances.values()) list.sort((a, b) => compareIds(a.id, b.id));
  return { services, instances };
}

function instance(fields: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id: '10.0.0.1:8080', service: 'web', namespace: 'shop', address: '10.0.0.1', port: 8080, ports: {},
    labels: { version: 'v1' }, locality: { region: 'us-east', zone: 'a', subZone: '' }, weight: 1, health: 'healthy',
    ttlSeconds: 0, heartbeatAt: 1_700_000_000_000, origin: 'api', ...fields,
  };
}

const raw = (key: string, value: unknown): StoreOperation => ({ type: 'put', key, value: typeof value === 'string' ? value : JSON.stringify(value) });

/** Records for every path: fast, slow (IPv6, named ports, prefixed labels, missing fields), invalid, orphaned. */
function trickyOperations(): StoreOperation[] {
  const web: ServiceRecord = { name: 'web', namespace: 'shop', protocol: 'http' };
  const api: ServiceRecord = { name: 'api', namespace: 'shop', protocol: 'grpc' };
  const v6 = instance({ id: 'v6', address: 'fd00:0::0007' });
  const { ports: _ports, locality: _locality, ...sparse } = instance({ id: 'sparse', address: '10.0.0.3' });
  return [
    putService(web),
    putService(api),
    raw('registry/services/shop/BAD', { name: 'BAD', namespace: 'shop', protocol: 'http' }),
    raw('registry/services/shop/odd', { name: 'odd', namespace: 'shop', protocol: 'smtp' }),
    putInstance(instance({ id: 'b', address: '10.0.0.2' })),
    putInstance(instance({ id: 'a' })),
    putInstance(instance({ id: 'named', address: '10.0.0.4', ports: { metrics: 9090 } })),
    putInstance(instance({ id: 'prefixed', address: '10.0.0.5', labels: { 'app.kubernetes.io/name': 'web' } })),
    putInstance(instance({ id: 'ttl', address: '10.0.0.6', ttlSeconds: 30, origin: 'ads' })),
    raw(instanceStoreKey('shop', 'web', 'v6'), v6),
    raw(instanceStoreKey('shop', 'web', 'sparse'), sparse),
    raw(instanceStoreKey('shop', 'web', 'extra'), { ...instance({ id: 'extra', address: '10.0.0.8' }), protocol: 'http' }),
    raw(instanceStoreKey('shop', 'web', 'badip'), instance({ id: 'badip', address: 'web.local' })),
    raw(instanceStoreKey('shop', 'web', 'badlabel'), instance({ id: 'badlabel', labels: { 'bad key': 'x' } })),
    raw(instanceStoreKey('shop', 'web', 'badorigin'), { ...instance({ id: 'badorigin' }), origin: 'mystery' }),
    raw(instanceStoreKey('shop', 'web', 'wrongkey'), instance({ id: 'other-id', address: '10.0.0.9' })),
    raw(instanceStoreKey('shop', 'web', 'notjson'), '{"id":'),
    putInstance(instance({ id: 'g1', service: 'api', address: '10.0.1.1', port: 50051, labels: {} })),
    putInstance(instance({ id: 'o1', service: 'orphan', address: '10.0.2.1' })),
  ];
}

describe('registry load', () => {
  it('gives the same state as full validation, for every kind of record (memory store)', async () => {
    const store = createMemoryStore();
    await store.batch(trickyOperations());
    const log = recordingLogger();
    const loaded = await loadState(store, log);
    expect(loaded).toEqual(await referenceLoad(store));
    expect([...loaded.services.keys()].sort()).toEqual(['api.shop', 'web.shop']);
    expect(loaded.instances.get('web.shop')?.map((i) => i.id)).toEqual(['a', 'b', 'extra', 'named', 'prefixed', 'sparse', 'ttl', 'v6']);
    // The IPv6 address was canonicalized (slow path), the sparse record got its defaults.
    expect(loaded.instances.get('web.shop')?.find((i) => i.id === 'v6')?.address).toBe('fd00::7');
    expect(loaded.instances.get('web.shop')?.find((i) => i.id === 'sparse')?.locality).toEqual({ region: '', zone: '', subZone: '' });
    // 2 bad services, 5 bad instances, 1 orphan.
    expect(log.lines).toHaveLength(8);
  });

  it('gives the same state as full validation over LevelDB, for a few hundred services', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-load-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = await openLevelStore(dir);
    cleanups.push(() => store.close());
    const operations: StoreOperation[] = [...trickyOperations()];
    for (let s = 0; s < 300; s += 1) {
      const name = `svc-${s}`;
      const namespace = `ns-${s % 7}`;
      operations.push(putService({ name, namespace, protocol: s % 3 === 0 ? 'grpc' : 'http' }));
      for (let i = 0; i < 3; i += 1) {
        operations.push(putInstance(instance({ id: `i${2 - i}`, service: name, namespace, address: `10.${s % 200}.${i}.1`, labels: { app: name, version: `v${i}` } })));
      }
    }
    await store.batch(operations);
    const loaded = await loadState(store, recordingLogger());
    expect(loaded).toEqual(await referenceLoad(store));
    expect(loaded.services.size).toBe(302);
    expect(loaded.instances.get('svc-5.ns-5')?.map((i) => i.id)).toEqual(['i0', 'i1', 'i2']);
  });

  it('accepts a record on the fast path only when full validation gives the same record', () => {
    // Mostly good values (so the fast path is reached), each field sometimes something else.
    const mostly = <T, U>(good: fc.Arbitrary<T>, other: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
      fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: other, weight: 1 });
    const text = fc.oneof(
      fc.constantFrom('web', 'shop', 'v1', '', 'Web', 'a-b', 'x'.repeat(64), 'a/b', 'ü', '10.0.0.1', '::1', '10.0.0.1:80', 'a b'),
      fc.string({ maxLength: 8 }),
    );
    const odd = fc.oneof(text, fc.integer({ min: -2, max: 70_000 }), fc.constantFrom(0.5, Number.NaN, null, true, undefined, {}, []));
    const dnsName = mostly(fc.constantFrom('web', 'shop', 'a-b', 'x1'), text);
    const labelPart = mostly(fc.constantFrom('app', 'version', 'v1', 'a.b_c-d', ''), text);
    const candidate = fc.record({
      id: mostly(fc.constantFrom('10.0.0.1:80', '[::1]:80', 'a', 'web-1'), text),
      service: dnsName,
      namespace: dnsName,
      address: mostly(fc.constantFrom('10.0.0.1', '192.168.1.20'), fc.constantFrom('256.0.0.1', '::1', 'fd00:0::1', 'localhost', '10.0.0.1%eth0', '')),
      port: mostly(fc.integer({ min: 1, max: 65_535 }), odd),
      ports: mostly(fc.constant({}), fc.dictionary(text, odd, { maxKeys: 2 })),
      labels: mostly(fc.dictionary(labelPart, labelPart, { maxKeys: 3 }), fc.dictionary(text, odd, { maxKeys: 2 })),
      locality: mostly(
        fc.record({ region: labelPart, zone: labelPart, subZone: labelPart }),
        fc.oneof(fc.record({ region: text }), fc.constant({ region: 'r', zone: 'z', subZone: '', extra: 'x' }), fc.record({ region: odd, zone: text, subZone: text })),
      ),
      weight: mostly(fc.integer({ min: 1, max: 128 }), odd),
      health: mostly(fc.constantFrom('healthy', 'unhealthy', 'draining', 'unknown'), fc.constantFrom('sick', undefined)),
      ttlSeconds: mostly(fc.integer({ min: 0, max: 86_400 }), odd),
      heartbeatAt: mostly(fc.integer(), fc.constantFrom(Number.POSITIVE_INFINITY, '1', undefined)),
      origin: mostly(fc.constantFrom('api', 'ads', 'file'), fc.constantFrom('other', undefined)),
    });
    // Sometimes one field more (validation would ignore or refuse it): never on the fast path.
    const record = fc.tuple(candidate, fc.option(fc.constantFrom('protocol', 'extra', '__proto__'), { freq: 6 }))
      .map(([r, extra]) => (extra === null ? r : { ...r, [extra]: 'x' }));
    let fast = 0;
    fc.assert(
      fc.property(record, (stored) => {
        // Through JSON, like a stored value (undefined fields vanish, NaN becomes null).
        const text = JSON.stringify(stored);
        const trusted = trustedInstance(JSON.parse(text));
        if (trusted === undefined) return;
        fast += 1;
        expect(validatedInstance(JSON.parse(text))).toEqual(trusted);
      }),
      { numRuns: 6000, seed: 20261122 },
    );
    // The generator must reach the fast path often enough for the property to mean something.
    expect(fast).toBeGreaterThan(150);
  });

  it('decodes what putInstance writes on the fast path, as the very same values', () => {
    const record = instance({ labels: { app: 'web', version: 'v2', empty: '' }, weight: 128, ttlSeconds: 86_400, health: 'draining', origin: 'file' });
    const put = putInstance(record);
    if (put.type !== 'put') throw new Error('putInstance must put');
    expect(trustedInstance(JSON.parse(put.value))).toEqual(record);
    expect(decodeInstance(put.value)).toEqual(record);
  });
});
