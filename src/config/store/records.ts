/**
 * The config store's records: revision records (who changed which documents, when) and the pure
 * change computation shared by the store (commit) and the service (dry run, diff).
 */
import type { ConfigDocument, ConfigSnapshot } from '../types.ts';

export const DOCS_PREFIX = 'config/docs/';
export const REVISIONS_PREFIX = 'config/revisions/';
/** Revision keys are zero-padded so the store's key order is revision order. */
export const REVISION_DIGITS = 12;

export type ConfigAction = 'apply' | 'delete' | 'restore' | 'gitops';

/** Who made a change: a token's name and role (`admin`, `team`, `viewer`), or `gitops`. */
export interface Actor {
  readonly name: string;
  readonly role: string;
}

/** One document's change in a revision; `before`/`after` are the documents' raw YAML values. */
export interface ConfigChange {
  readonly id: string;
  readonly op: 'create' | 'update' | 'delete';
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface RevisionRecord {
  readonly revision: number;
  /** ISO 8601. */
  readonly at: string;
  readonly actor: Actor;
  readonly action: ConfigAction;
  readonly changes: readonly ConfigChange[];
}

export function revisionKey(revision: number): string {
  return `${REVISIONS_PREFIX}${String(revision).padStart(REVISION_DIGITS, '0')}`;
}

export function documentKey(id: string): string {
  return `${DOCS_PREFIX}${id}`;
}

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/**
 * The changes that writing `upserts` and removing `deletes` would make to `current`, in id order.
 * A document whose raw value equals the stored one is no change; deleting an absent id is none.
 */
export function computeChanges(
  current: ConfigSnapshot,
  upserts: readonly ConfigDocument[],
  deletes: readonly string[],
): ConfigChange[] {
  const changes = new Map<string, ConfigChange>();
  for (const doc of upserts) {
    const before = current.documents.get(doc.id);
    if (before === undefined) changes.set(doc.id, { id: doc.id, op: 'create', after: doc.raw });
    else if (stableJson(before.raw) !== stableJson(doc.raw)) changes.set(doc.id, { id: doc.id, op: 'update', before: before.raw, after: doc.raw });
  }
  for (const id of deletes) {
    const before = current.documents.get(id);
    if (before !== undefined && !changes.has(id)) changes.set(id, { id, op: 'delete', before: before.raw });
  }
  return [...changes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The snapshot after `changes`: upserted documents replace, deleted ids go. Pure. */
export function applyToSnapshot(
  current: ConfigSnapshot,
  upserts: readonly ConfigDocument[],
  deletes: readonly string[],
  revision: number,
): ConfigSnapshot {
  const documents = new Map(current.documents);
  for (const id of deletes) documents.delete(id);
  for (const doc of upserts) documents.set(doc.id, doc);
  return { revision, documents: new Map([...documents.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}
