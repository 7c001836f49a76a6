import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLevelStore } from '../../src/store/level-store.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { KeyValueStore, StoreOperation } from '../../src/store/types.ts';
import { TrellisError } from '../../src/util/errors.ts';

interface Backend {
  readonly name: string;
  open(): Promise<KeyValueStore>;
}

const tempDirs: string[] = [];
const openStores: KeyValueStore[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-store-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const store of openStores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const backends: Backend[] = [
  { name: 'memory', open: async () => createMemoryStore() },
  { name: 'leveldb', open: async () => openLevelStore(join(await tempDir(), 'nested', 'db')) },
];

describe.each(backends)('KeyValueStore contract: $name', (backend) => {
  async function open(): Promise<KeyValueStore> {
    const store = await backend.open();
    openStores.push(store);
    return store;
  }

  it('gets what was put and undefined for a missing key', async () => {
    const store = await open();
    await store.batch([{ type: 'put', key: 'a/b', value: '{"x":1}' }]);
    expect(await store.get('a/b')).toBe('{"x":1}');
    expect(await store.get('a/c')).toBeUndefined();
  });

  it('deletes keys, and deleting a missing key is not an error', async () => {
    const store = await open();
    await store.batch([{ type: 'put', key: 'k', value: 'v' }]);
    await store.batch([{ type: 'del', key: 'k' }, { type: 'del', key: 'never-there' }]);
    expect(await store.get('k')).toBeUndefined();
  });

  it('applies operations in order within a batch (later put wins, put then del removes)', async () => {
    const store = await open();
    await store.batch([
      { type: 'put', key: 'x', value: '1' },
      { type: 'put', key: 'x', value: '2' },
      { type: 'put', key: 'y', value: '1' },
      { type: 'del', key: 'y' },
    ]);
    expect(await store.get('x')).toBe('2');
    expect(await store.get('y')).toBeUndefined();
  });

  it('lists only keys under the prefix, sorted by key', async () => {
    const store = await open();
    await store.batch([
      { type: 'put', key: 'registry/services/b', value: '2' },
      { type: 'put', key: 'registry/services/a', value: '1' },
      { type: 'put', key: 'registry/servicesX', value: 'no' },
      { type: 'put', key: 'registry/services/a/z', value: '3' },
      { type: 'put', key: 'other/services/a', value: 'no' },
      { type: 'put', key: 'registry/service', value: 'no' },
    ]);
    expect(await store.list('registry/services/')).toEqual([
      ['registry/services/a', '1'],
      ['registry/services/a/z', '3'],
      ['registry/services/b', '2'],
    ]);
    expect(await store.list('nothing/')).toEqual([]);
    expect((await store.list('')).map(([k]) => k)).toEqual([
      'other/services/a',
      'registry/service',
      'registry/services/a',
      'registry/services/a/z',
      'registry/services/b',
      'registry/servicesX',
    ]);
  });

  it('sorts non-ASCII keys bytewise (UTF-8), like LevelDB', async () => {
    const store = await open();
    // UTF-16 order puts the emoji (surrogate 0xD83D) before U+FF5E; UTF-8 order puts it after.
    await store.batch([
      { type: 'put', key: 'p/\u{1F600}', value: 'emoji' },
      { type: 'put', key: 'p/\uFF5E', value: 'tilde' },
      { type: 'put', key: 'p/é', value: 'e' },
    ]);
    expect((await store.list('p/')).map(([, v]) => v)).toEqual(['e', 'tilde', 'emoji']);
  });

  it('a batch containing an invalid operation throws and writes nothing', async () => {
    const store = await open();
    await store.batch([{ type: 'put', key: 'keep', value: 'old' }]);
    const bad: StoreOperation[] = [
      { type: 'put', key: 'first', value: '1' },
      { type: 'del', key: 'keep' },
      { type: 'put', key: '', value: 'empty key' },
    ];
    const error = await store.batch(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrellisError);
    expect((error as TrellisError).kind).toBe('store');
    expect((error as TrellisError).message).toMatch(/operation 2/);
    expect(await store.get('first')).toBeUndefined();
    expect(await store.get('keep')).toBe('old');
    expect(await store.list('')).toEqual([['keep', 'old']]);
  });

  it('an empty batch is a no-op', async () => {
    const store = await open();
    await store.batch([]);
    expect(await store.list('')).toEqual([]);
  });

  it('rejects use after close', async () => {
    const store = await backend.open();
    await store.close();
    await expect(store.get('x')).rejects.toThrow();
  });
});

describe('LevelDB store persistence', () => {
  it('data survives close and reopen of the same directory', async () => {
    const dir = join(await tempDir(), 'db');
    const first = await openLevelStore(dir);
    await first.batch([
      { type: 'put', key: 'registry/services/bookinfo/reviews', value: '{"protocol":"http"}' },
      { type: 'put', key: 'gone', value: 'x' },
    ]);
    await first.batch([{ type: 'del', key: 'gone' }]);
    await first.close();

    const second = await openLevelStore(dir);
    openStores.push(second);
    expect(await second.get('registry/services/bookinfo/reviews')).toBe('{"protocol":"http"}');
    expect(await second.list('')).toEqual([['registry/services/bookinfo/reviews', '{"protocol":"http"}']]);
  });

  it('a second open of a locked directory fails with kind store', async () => {
    const dir = join(await tempDir(), 'db');
    const first = await openLevelStore(dir);
    openStores.push(first);
    const error = await openLevelStore(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrellisError);
    expect((error as TrellisError).kind).toBe('store');
  });
});
