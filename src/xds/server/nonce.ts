/** Response nonces: unique per stream, across streams and across restarts of this process. */
import { randomBytes } from 'node:crypto';

// A random per-process prefix keeps a restarted server from reusing a nonce a client still holds.
const PREFIX = randomBytes(6).toString('base64url');
let counter = 0;

/** A fresh nonce: `<process prefix>-<counter>`. */
export function nextNonce(): string {
  counter += 1;
  return `${PREFIX}-${counter.toString(36)}`;
}
