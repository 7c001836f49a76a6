import { createHash } from 'node:crypto';

/**
 * A short content hash used as a resource or snapshot version. Content-derived versions are the
 * same for the same bytes on every replica and across restarts, and never repeat for different
 * content, which counters cannot promise.
 */
export function contentHash(...parts: ReadonlyArray<Uint8Array | string>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(part);
    hash.update('\0');
  }
  return hash.digest('base64url').slice(0, 16);
}
