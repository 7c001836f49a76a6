/**
 * Issued API tokens: stored under `tokens/<id>` with only the SHA-256 of the secret, kept in
 * memory for synchronous lookups. The secret is returned once, by `create`, and never stored,
 * listed or logged.
 */
import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../store/types.ts';
import { TrellisError, type Diagnostic } from '../util/errors.ts';
import { ROLES, type Principal, type Role, type TokenLookup } from './auth.ts';
import { newSecret } from '../util/secrets.ts';
import { hashToken } from './tokens.ts';

export const TOKENS_PREFIX = 'tokens/';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A token as listed: everything but the secret (and its hash). */
export interface TokenRecord extends Principal {
  /** ISO 8601. */
  readonly createdAt: string;
  /** The name of the token that created it. */
  readonly createdBy: string;
}

interface StoredToken extends TokenRecord {
  readonly hash: string;
}

export type CreateTokenResult =
  | { readonly ok: true; readonly token: string; readonly record: TokenRecord }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface TokenStore extends TokenLookup {
  /** Validates `{role, namespaces?, name?}` (plain JSON) and issues a token. */
  create(input: unknown, createdBy: string): Promise<CreateTokenResult>;
  /** Every issued token without secrets, sorted by name. */
  list(): TokenRecord[];
  /** Resolves false when there was no such token. */
  revoke(id: string): Promise<boolean>;
}

export async function openTokenStore(store: KeyValueStore, now: () => Date = () => new Date()): Promise<TokenStore> {
  const byId = new Map<string, StoredToken>();
  for (const [key, value] of await store.list(TOKENS_PREFIX)) {
    try {
      const record = JSON.parse(value) as StoredToken;
      byId.set(record.id, record);
    } catch (error) {
      throw new TrellisError('store', `token entry ${key} is not valid JSON`, { cause: error });
    }
  }
  let byHash = indexByHash(byId);
  const strip = ({ hash: _hash, ...record }: StoredToken): TokenRecord => record;

  return {
    lookup: (hash) => {
      const found = byHash.get(hash);
      return found === undefined ? undefined : { id: found.id, name: found.name, role: found.role, namespaces: found.namespaces };
    },
    async create(input, createdBy) {
      const checked = validateInput(input, [...byId.values()]);
      if (!checked.ok) return checked;
      const id = `tok-${randomBytes(6).toString('hex')}`;
      const token = `trellis_${newSecret()}`;
      const record: StoredToken = {
        id,
        name: checked.name ?? `${checked.role}-${id.slice(4)}`,
        role: checked.role,
        namespaces: checked.namespaces,
        createdAt: now().toISOString(),
        createdBy,
        hash: hashToken(token),
      };
      await store.batch([{ type: 'put', key: `${TOKENS_PREFIX}${id}`, value: JSON.stringify(record) }]);
      byId.set(id, record);
      byHash = indexByHash(byId);
      return { ok: true, token, record: strip(record) };
    },
    list: () => [...byId.values()].map(strip).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    async revoke(id) {
      if (!byId.has(id)) return false;
      await store.batch([{ type: 'del', key: `${TOKENS_PREFIX}${id}` }]);
      byId.delete(id);
      byHash = indexByHash(byId);
      return true;
    },
  };
}

function indexByHash(byId: ReadonlyMap<string, StoredToken>): Map<string, StoredToken> {
  return new Map([...byId.values()].map((t) => [t.hash, t]));
}

function validateInput(
  input: unknown,
  existing: readonly StoredToken[],
): { ok: true; role: Role; namespaces: string[]; name: string | undefined } | { ok: false; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fail = (field: string, message: string): void => {
    diagnostics.push({ severity: 'error', field, message, source: 'request body' });
  };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, diagnostics: [{ severity: 'error', field: '', message: 'expected a JSON object {role, namespaces?, name?}', source: 'request body' }] };
  }
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body)) if (!['role', 'namespaces', 'name'].includes(key)) fail(key, 'unknown field; allowed: role, namespaces, name');
  const role = body['role'];
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) fail('role', `must be one of ${ROLES.join(', ')}`);
  const rawNamespaces = body['namespaces'] ?? [];
  const namespaces: string[] = [];
  if (!Array.isArray(rawNamespaces)) fail('namespaces', 'must be a list of namespaces');
  else {
    rawNamespaces.forEach((ns: unknown, i) => {
      if (typeof ns !== 'string' || !DNS_LABEL.test(ns)) fail(`namespaces[${i}]`, 'must be a namespace name (a DNS label)');
      else if (!namespaces.includes(ns)) namespaces.push(ns);
    });
  }
  if (role === 'team' && Array.isArray(rawNamespaces) && rawNamespaces.length === 0) fail('namespaces', 'a team token needs at least one namespace');
  if ((role === 'admin' || role === 'viewer') && namespaces.length > 0) fail('namespaces', `only team tokens have namespaces (${role} tokens are not limited to namespaces)`);
  const name = body['name'];
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) fail('name', 'must be 1..63 letters, digits, ".", "_" or "-"');
  else if (typeof name === 'string' && existing.some((t) => t.name === name)) fail('name', `a token named "${name}" already exists`);
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  return { ok: true, role: role as Role, namespaces, name: typeof name === 'string' ? name : undefined };
}
