/**
 * Join tokens: how a workload proves its identity to get a certificate. A token is random,
 * returned once by `create`, and stored only as its SHA-256 (with identity, expiry and revoked
 * flag) under `ca/join-tokens/<id>`. `verify` hashes the presented token and compares digests in
 * constant time; refusals carry a reason and are logged with the token id, never the token.
 */
import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../store/types.ts';
import { TrellisError } from '../util/errors.ts';
import { newSecret, secretDigest, secretMatches } from '../util/secrets.ts';
import type { Logger } from '../util/log.ts';
import type { Clock } from './clock.ts';
import type { IdentityVerifier, SpiffeId } from './types.ts';

export const JOIN_TOKENS_PREFIX = 'ca/join-tokens/';
const TOKEN_PREFIX = 'trellis-join_';

/** A join token as listed (no secret, no hash). */
export interface JoinTokenRecord {
  readonly id: string;
  readonly spiffeId: SpiffeId;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revoked: boolean;
  readonly createdBy: string;
}

interface StoredJoinToken extends JoinTokenRecord {
  readonly hash: string;
}

export type JoinTokenCheck =
  | { readonly ok: true; readonly spiffeId: SpiffeId; readonly id: string }
  | { readonly ok: false; readonly reason: string };

export interface JoinTokens extends IdentityVerifier {
  /** Issues a token for `spiffeId` valid `ttlMs`; the token is in the answer only. */
  create(spiffeId: SpiffeId, ttlMs: number, createdBy: string): Promise<{ readonly token: string; readonly record: JoinTokenRecord }>;
  /** The identity a token proves, or why it proves none (unknown/forged, expired, revoked). */
  check(token: string): JoinTokenCheck;
  /** Marks a token revoked; false when there is no such id. */
  revoke(id: string): Promise<boolean>;
  list(): JoinTokenRecord[];
}


export async function openJoinTokens(store: KeyValueStore, clock: Clock, log: Logger): Promise<JoinTokens> {
  const byId = new Map<string, StoredJoinToken>();
  for (const [key, value] of await store.list(JOIN_TOKENS_PREFIX)) {
    try {
      const record = JSON.parse(value) as StoredJoinToken;
      byId.set(record.id, record);
    } catch (error) {
      throw new TrellisError('store', `join token entry ${key} is not valid JSON`, { cause: error });
    }
  }
  const strip = ({ hash: _hash, ...record }: StoredJoinToken): JoinTokenRecord => record;

  const check = (token: string): JoinTokenCheck => {
    // The id travels inside the token (`trellis-join_<id>.<secret>`) so lookup is by id and only
    // the digest comparison touches the secret.
    const match = /^trellis-join_([0-9a-f]{12})\.[A-Za-z0-9_-]{20,100}$/.exec(token);
    const record = match === null ? undefined : byId.get(match[1] ?? '');
    // Compared even for an unknown id, so timing does not tell unknown ids from wrong secrets.
    const stored = record === undefined ? Buffer.alloc(32) : Buffer.from(record.hash, 'hex');
    const equal = secretMatches(token, stored);
    if (record === undefined || !equal) {
      log.warn('join token refused', { reason: 'unknown or forged' });
      return { ok: false, reason: 'the join token is not valid (unknown or forged)' };
    }
    if (record.revoked) {
      log.warn('join token refused', { reason: 'revoked', tokenId: record.id, identity: record.spiffeId });
      return { ok: false, reason: `join token ${record.id} was revoked` };
    }
    if (Date.parse(record.expiresAt) <= clock.now()) {
      log.warn('join token refused', { reason: 'expired', tokenId: record.id, identity: record.spiffeId });
      return { ok: false, reason: `join token ${record.id} expired at ${record.expiresAt}` };
    }
    return { ok: true, spiffeId: record.spiffeId, id: record.id };
  };

  return {
    async create(spiffeId, ttlMs, createdBy) {
      const id = randomBytes(6).toString('hex');
      const token = `${TOKEN_PREFIX}${id}.${newSecret()}`;
      const now = clock.now();
      const record: StoredJoinToken = {
        id, spiffeId, createdBy, revoked: false,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        hash: secretDigest(token).toString('hex'),
      };
      await store.batch([{ type: 'put', key: `${JOIN_TOKENS_PREFIX}${id}`, value: JSON.stringify(record) }]);
      byId.set(id, record);
      log.info('join token created', { tokenId: id, identity: spiffeId, expiresAt: record.expiresAt });
      return { token, record: strip(record) };
    },
    check,
    verifyJoinToken(token) {
      const result = check(token);
      return result.ok ? result.spiffeId : undefined;
    },
    async revoke(id) {
      const record = byId.get(id);
      if (record === undefined) return false;
      const next = { ...record, revoked: true };
      await store.batch([{ type: 'put', key: `${JOIN_TOKENS_PREFIX}${id}`, value: JSON.stringify(next) }]);
      byId.set(id, next);
      log.info('join token revoked', { tokenId: id, identity: record.spiffeId });
      return true;
    },
    list: () => [...byId.values()].map(strip).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)),
  };
}
