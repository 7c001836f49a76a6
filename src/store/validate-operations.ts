import { TrellisError } from '../util/errors.ts';
import type { StoreOperation } from './types.ts';

/**
 * Checks a batch before any of it is applied, so every backend rejects the same bad input the
 * same way and an invalid operation can never leave half a batch written. Throws a
 * TrellisError of kind 'store' naming the first bad operation.
 */
export function validateOperations(operations: readonly StoreOperation[]): void {
  operations.forEach((op, index) => {
    if (op.type !== 'put' && op.type !== 'del') {
      throw new TrellisError('store', `batch operation ${index}: type must be 'put' or 'del'`);
    }
    if (typeof op.key !== 'string' || op.key.length === 0) {
      throw new TrellisError('store', `batch operation ${index}: key must be a non-empty string`);
    }
    if (op.type === 'put' && typeof op.value !== 'string') {
      throw new TrellisError('store', `batch operation ${index} (${op.key}): value must be a string`);
    }
  });
}

/**
 * Orders keys the way LevelDB does (bytewise over UTF-8), which differs from JavaScript's
 * UTF-16 order for characters outside the basic plane; the memory store uses it to match.
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
