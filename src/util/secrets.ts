/**
 * Bearer secrets (API tokens, join tokens): how they are made, stored and compared. Only the
 * SHA-256 digest is ever stored; comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random secret: 32 bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The SHA-256 digest of a secret, the form stored and compared. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** True when `secret` hashes to `digest`, in constant time (a digest of another length never matches). */
export function secretMatches(secret: string, digest: Buffer): boolean {
  const actual = secretDigest(secret);
  return digest.length === actual.length && timingSafeEqual(actual, digest);
}
