import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newSecret, secretDigest, secretMatches } from '../../src/util/secrets.ts';

describe('secrets', () => {
  it('matches a secret only against its own digest, whatever the stored digest length', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSecret()).not.toBe(secret);
    const digest = secretDigest(secret);
    expect(digest.toString('hex')).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(secretMatches(secret, digest)).toBe(true);
    expect(secretMatches(`${secret}x`, digest)).toBe(false);
    expect(secretMatches(secret, Buffer.alloc(32))).toBe(false);
    expect(secretMatches(secret, digest.subarray(0, 16))).toBe(false);
  });
});
