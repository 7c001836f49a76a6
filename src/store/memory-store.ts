import { TrellisError } from '../util/errors.ts';
import type { KeyValueStore, StoreOperation } from './types.ts';
import { compareKeys, validateOperations } from './validate-operations.ts';

/**
 * An in-memory KeyValueStore for tests and throwaway runs. Same contract as the LevelDB store:
 * `list` sorts bytewise, `batch` validates everything first and then applies all of it
 * synchronously (so nothing can observe half a batch). Operations after `close` reject.
 */
export function createMemoryStore(): KeyValueStore {
  const data = new Map<string, string>();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new TrellisError('store', 'memory store is closed');
  };
  return {
    async get(key: string) {
      assertOpen();
      return data.get(key);
    },
    async list(prefix: string) {
      assertOpen();
      const entries: Array<[string, string]> = [];
      for (const [key, value] of data) if (key.startsWith(prefix)) entries.push([key, value]);
      return entries.sort((a, b) => compareKeys(a[0], b[0]));
    },
    async batch(operations: readonly StoreOperation[]) {
      assertOpen();
      validateOperations(operations);
      for (const op of operations) {
        if (op.type === 'put') data.set(op.key, op.value);
        else data.delete(op.key);
      }
    },
    async close() {
      closed = true;
    },
  };
}
