import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesHash, contentHash } from '../../src/util/hash.ts';

/** The definition: sha256 over each part followed by a NUL, base64url, 16 characters. */
function reference(parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('base64url').slice(0, 16);
}

describe('content hashes', () => {
  it('contentHash of text parts (the one-shot path) equals the streaming definition', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 8 }), (parts) => {
        expect(contentHash(...parts)).toBe(reference(parts));
      }),
      { numRuns: 300 },
    );
    expect(contentHash()).toBe(reference([]));
    // Parts are separated: moving a character across the boundary changes the hash.
    expect(contentHash('ab', 'c')).not.toBe(contentHash('a', 'bc'));
  });

  it('contentHash of mixed parts and bytesHash follow their definitions', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 40 }), (text, bytes) => {
        expect(contentHash(text, bytes)).toBe(reference([text, bytes]));
        expect(bytesHash(bytes)).toBe(createHash('sha256').update(bytes).digest('base64url').slice(0, 16));
      }),
      { numRuns: 200 },
    );
  });
});
