import { describe, expect, it } from 'vitest';
import { openConfigStore } from '../../../src/config/store/config-store.ts';
import { computeChanges, revisionKey, stableJson } from '../../../src/config/store/records.ts';
import type { ConfigDocument, ServiceConfigDocument } from '../../../src/config/types.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';
import { flakyStore } from '../../registry/helpers.ts';

const actor = { name: 'alice', role: 'admin' };
let clock = 0;
const now = (): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++));

function doc(name: string, timeout: number): ServiceConfigDocument {
  const raw = { apiVersion: 'trellis.dev/v1alpha1', kind: 'ServiceConfig', metadata: { name, namespace: 'ns' }, spec: { timeout: `${timeout}ms` } };
  return { kind: 'ServiceConfig', id: `ServiceConfig/ns/${name}`, name, namespace: 'ns', source: { file: `${name}.yaml`, line: 1 }, lines: { 'spec.timeout': 5 }, raw, spec: { timeout } };
}

describe('config store', () => {
  it('writes documents and the revision record in one batch, and reloads them', async () => {
    const kv = flakyStore();
    const store = await openConfigStore(kv, now);
    const seen: number[] = [];
    store.onChange((snapshot) => seen.push(snapshot.revision));
    const record = await store.commit({ actor, action: 'apply', upserts: [doc('a', 1), doc('b', 2)], deletes: [] });
    expect(kv.batches).toBe(1);
    expect(record?.revision).toBe(1);
    expect(record?.changes.map((c) => [c.id, c.op])).toEqual([['ServiceConfig/ns/a', 'create'], ['ServiceConfig/ns/b', 'create']]);
    expect((await kv.list('config/docs/')).map(([k]) => k)).toEqual(['config/docs/ServiceConfig/ns/a', 'config/docs/ServiceConfig/ns/b']);
    expect(await kv.get(revisionKey(1))).toBeDefined();
    expect(seen).toEqual([1]);

    const reopened = await openConfigStore(kv, now);
    expect(reopened.snapshot().revision).toBe(1);
    expect([...reopened.snapshot().documents.keys()]).toEqual(['ServiceConfig/ns/a', 'ServiceConfig/ns/b']);
    expect(reopened.snapshot().documents.get('ServiceConfig/ns/b')).toEqual(doc('b', 2));
  });

  it('a failing batch leaves nothing: no documents, no revision, no listener call', async () => {
    const kv = flakyStore();
    const store = await openConfigStore(kv, now);
    await store.commit({ actor, action: 'apply', upserts: [doc('a', 1)], deletes: [] });
    let calls = 0;
    store.onChange(() => calls++);
    kv.failing = true;
    await expect(store.commit({ actor, action: 'apply', upserts: [doc('a', 7), doc('c', 3)], deletes: [] })).rejects.toThrow(/disk full/);
    expect(calls).toBe(0);
    expect(store.snapshot().revision).toBe(1);
    expect(store.snapshot().documents.get('ServiceConfig/ns/a')?.spec).toEqual({ timeout: 1 });
    expect(store.snapshot().documents.has('ServiceConfig/ns/c')).toBe(false);
    kv.failing = false;
    expect((await kv.list('config/revisions/')).length).toBe(1);
    expect((await kv.list('config/docs/')).length).toBe(1);
    // The next commit still gets revision 2: the failed one used no number.
    expect((await store.commit({ actor, action: 'apply', upserts: [doc('c', 3)], deletes: [] }))?.revision).toBe(2);
  });

  it('an unchanged commit writes nothing; updates and deletes record before and after', async () => {
    const kv = flakyStore();
    const store = await openConfigStore(kv, now);
    await store.commit({ actor, action: 'apply', upserts: [doc('a', 1), doc('b', 2)], deletes: [] });
    expect(await store.commit({ actor, action: 'apply', upserts: [doc('a', 1)], deletes: ['ServiceConfig/ns/missing'] })).toBeUndefined();
    expect(kv.batches).toBe(1);
    const record = await store.commit({ actor: { name: 'bob', role: 'team' }, action: 'apply', upserts: [doc('a', 9)], deletes: ['ServiceConfig/ns/b'] });
    expect(record?.changes).toEqual([
      { id: 'ServiceConfig/ns/a', op: 'update', before: doc('a', 1).raw, after: doc('a', 9).raw },
      { id: 'ServiceConfig/ns/b', op: 'delete', before: doc('b', 2).raw },
    ]);
    expect([...store.snapshot().documents.keys()]).toEqual(['ServiceConfig/ns/a']);
    const history = await store.history(10);
    expect(history.map((r) => [r.revision, r.actor.name])).toEqual([[2, 'bob'], [1, 'alice']]);
    expect((await store.history(1)).map((r) => r.revision)).toEqual([2]);
    expect((await store.revisionsUpTo(1)).map((r) => r.revision)).toEqual([1]);
    expect(Date.parse(history[0]?.at ?? '')).toBeGreaterThan(Date.parse(history[1]?.at ?? ''));
  });

  it('refuses a commit based on a revision that has moved on', async () => {
    const store = await openConfigStore(createMemoryStore(), now);
    await store.commit({ actor, action: 'apply', upserts: [doc('a', 1)], deletes: [] });
    await expect(store.commit({ actor, action: 'apply', upserts: [doc('a', 2)], deletes: [], expectedRevision: 0 })).rejects.toMatchObject({ kind: 'conflict' });
  });
});

describe('computeChanges and stableJson', () => {
  it('compares raw values whatever their key order', () => {
    expect(stableJson({ b: 1, a: { d: 2, c: 3 } })).toBe(stableJson({ a: { c: 3, d: 2 }, b: 1 }));
    const current = { revision: 1, documents: new Map<string, ConfigDocument>([['ServiceConfig/ns/a', doc('a', 1)]]) };
    const reordered = { ...doc('a', 1), raw: { spec: { timeout: '1ms' }, metadata: { namespace: 'ns', name: 'a' }, kind: 'ServiceConfig', apiVersion: 'trellis.dev/v1alpha1' } };
    expect(computeChanges(current, [reordered], [])).toEqual([]);
    expect(computeChanges(current, [doc('a', 2)], []).map((c) => c.op)).toEqual(['update']);
  });
});

describe('config store on LevelDB', () => {
  it('keeps documents and revisions across a reopen', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openLevelStore } = await import('../../../src/store/level-store.ts');
    const dir = await mkdtemp(join(tmpdir(), 'trellis-config-'));
    try {
      const kv = await openLevelStore(dir);
      const store = await openConfigStore(kv, now);
      await store.commit({ actor, action: 'apply', upserts: [doc('a', 1), doc('b', 2)], deletes: [] });
      await store.commit({ actor, action: 'delete', upserts: [], deletes: ['ServiceConfig/ns/a'] });
      await kv.close();
      const again = await openLevelStore(dir);
      try {
        const reopened = await openConfigStore(again, now);
        expect(reopened.snapshot().revision).toBe(2);
        expect([...reopened.snapshot().documents.keys()]).toEqual(['ServiceConfig/ns/b']);
        expect((await reopened.history(5)).map((r) => r.action)).toEqual(['delete', 'apply']);
      } finally {
        await again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
