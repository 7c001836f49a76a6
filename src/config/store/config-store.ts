/**
 * The config store: documents under `config/docs/<id>` and one revision record per change under
 * `config/revisions/<n>`. A commit writes its documents and its revision record in ONE store
 * batch, so a crash or failure leaves either all of it or none; memory changes and listeners fire
 * only after the batch succeeded. Commits run one at a time.
 */
import { createSerialQueue } from '../../registry/serial-queue.ts';
import type { KeyValueStore, StoreOperation } from '../../store/types.ts';
import { TrellisError } from '../../util/errors.ts';
import type { ConfigDocument, ConfigSnapshot } from '../types.ts';
import {
  applyToSnapshot,
  computeChanges,
  DOCS_PREFIX,
  documentKey,
  REVISIONS_PREFIX,
  revisionKey,
  type Actor,
  type ConfigAction,
  type RevisionRecord,
} from './records.ts';

export interface CommitInput {
  readonly actor: Actor;
  readonly action: ConfigAction;
  readonly upserts: readonly ConfigDocument[];
  readonly deletes: readonly string[];
  /**
   * Checked against the snapshot the commit would replace, inside the commit queue: a commit
   * based on a snapshot that has moved on is refused (TrellisError kind 'conflict').
   */
  readonly expectedRevision?: number;
}

export type ConfigListener = (snapshot: ConfigSnapshot, record: RevisionRecord) => void;

export interface ConfigStore {
  /** The current immutable snapshot (revision 0 and no documents when nothing was ever stored). */
  snapshot(): ConfigSnapshot;
  /**
   * Writes the documents and one revision record atomically; resolves to the record, or
   * undefined when nothing changes (no revision is written). Store failures reject with
   * TrellisError kind 'store' and change nothing.
   */
  commit(input: CommitInput): Promise<RevisionRecord | undefined>;
  /** The newest `limit` revision records, newest first. */
  history(limit: number): Promise<RevisionRecord[]>;
  /** Every revision record up to and including `revision`, oldest first. */
  revisionsUpTo(revision: number): Promise<RevisionRecord[]>;
  /** Subscribes to committed changes; returns the unsubscribe function. */
  onChange(listener: ConfigListener): () => void;
}

/** Loads every stored document and the latest revision number, then serves from memory. */
export async function openConfigStore(store: KeyValueStore, now: () => Date = () => new Date()): Promise<ConfigStore> {
  const documents = new Map<string, ConfigDocument>();
  for (const [key, value] of await store.list(DOCS_PREFIX)) {
    const doc = parseJson(key, value) as ConfigDocument;
    documents.set(key.slice(DOCS_PREFIX.length), doc);
  }
  const revisions = await store.list(REVISIONS_PREFIX);
  const last = revisions[revisions.length - 1];
  const revision = last === undefined ? 0 : (parseJson(last[0], last[1]) as RevisionRecord).revision;
  let current: ConfigSnapshot = applyToSnapshot({ revision, documents }, [], [], revision);
  const listeners = new Set<ConfigListener>();
  const queue = createSerialQueue();

  const readRecords = async (): Promise<RevisionRecord[]> =>
    (await store.list(REVISIONS_PREFIX)).map(([key, value]) => parseJson(key, value) as RevisionRecord);

  return {
    snapshot: () => current,
    commit: (input) =>
      queue.run(async () => {
        if (input.expectedRevision !== undefined && input.expectedRevision !== current.revision) {
          throw new TrellisError('conflict', `config changed meanwhile (revision ${current.revision}, expected ${input.expectedRevision}); retry`);
        }
        const changes = computeChanges(current, input.upserts, input.deletes);
        if (changes.length === 0) return undefined;
        const next = current.revision + 1;
        const record: RevisionRecord = { revision: next, at: now().toISOString(), actor: input.actor, action: input.action, changes };
        const changed = new Set(changes.map((c) => c.id));
        const operations: StoreOperation[] = [];
        for (const doc of input.upserts) {
          if (changed.has(doc.id)) operations.push({ type: 'put', key: documentKey(doc.id), value: JSON.stringify(doc) });
        }
        for (const change of changes) if (change.op === 'delete') operations.push({ type: 'del', key: documentKey(change.id) });
        operations.push({ type: 'put', key: revisionKey(next), value: JSON.stringify(record) });
        await store.batch(operations);
        current = applyToSnapshot(
          current,
          input.upserts.filter((d) => changed.has(d.id)),
          changes.filter((c) => c.op === 'delete').map((c) => c.id),
          next,
        );
        for (const listener of listeners) {
          try {
            listener(current, record);
          } catch {
            // A listener's bug must not turn a committed change into a failed one.
          }
        }
        return record;
      }),
    history: async (limit) => (await readRecords()).reverse().slice(0, Math.max(0, limit)),
    revisionsUpTo: async (revision) => (await readRecords()).filter((r) => r.revision <= revision),
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new TrellisError('store', `config store entry ${key} is not valid JSON`, { cause: error });
  }
}
