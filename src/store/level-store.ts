import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { TrellisError } from '../util/errors.ts';
import type { KeyValueStore, StoreOperation } from './types.ts';
import { validateOperations } from './validate-operations.ts';

/** Entries read per round trip to LevelDB when listing a prefix. */
const LIST_BATCH = 1000;
/**
 * Bytes an iterator may read ahead per round trip. classic-level's default (16 KiB) stops a
 * `nextv(1000)` of registry entries after about 60: 634 round trips for a 10k-service registry,
 * each waiting for the main thread, which is busy loading descriptors at start-up.
 */
const LIST_READ_AHEAD_BYTES = 1024 * 1024;

/**
 * Opens (creating if needed) a LevelDB database in `dir` with UTF-8 keys and values. `batch` is
 * one LevelDB write batch, so it is atomic; it is validated first so bad input writes nothing.
 * Backend failures surface as TrellisError kind 'store' with the original error as `cause`.
 */
export async function openLevelStore(dir: string): Promise<KeyValueStore> {
  await mkdir(dir, { recursive: true });
  const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await wrap(`open ${dir}`, () => db.open());
  return {
    get: (key) =>
      wrap(`get ${key}`, async () => {
        // level v10 resolves a missing key to undefined (its .d.ts predates that).
        const value: string | undefined = await db.get(key);
        return value;
      }),
    list: (prefix) =>
      wrap(`list ${prefix}`, async () => {
        const entries: Array<[string, string]> = [];
        // Start at the prefix and stop at the first key past it: LevelDB iterates in key order.
        // In batches: one promise per entry (for await) was a quarter to a third slower at 40k entries.
        const iterator = db.iterator({ gte: prefix, highWaterMarkBytes: LIST_READ_AHEAD_BYTES });
        try {
          for (;;) {
            const batch = await iterator.nextv(LIST_BATCH);
            if (batch.length === 0) return entries;
            for (const entry of batch) {
              if (!entry[0].startsWith(prefix)) return entries;
              entries.push(entry);
            }
          }
        } finally {
          await iterator.close();
        }
      }),
    batch: async (operations: readonly StoreOperation[]) => {
      validateOperations(operations);
      if (operations.length === 0) return;
      await wrap('batch', () =>
        db.batch(
          operations.map((op) =>
            op.type === 'put'
              ? { type: 'put' as const, key: op.key, value: op.value }
              : { type: 'del' as const, key: op.key },
          ),
        ),
      );
    },
    close: () => wrap('close', () => db.close()),
  };
}

async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof TrellisError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TrellisError('store', `leveldb ${what} failed: ${message}`, { cause: error });
  }
}
