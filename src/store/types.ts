/**
 * The store behind registry, config, CA and tokens. LevelDB is the embedded default; etcd is the
 * distributed backend for several replicas. Values are strings (JSON); keys are `/`-separated.
 */
export type StoreOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'del'; readonly key: string };

export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  /** Every entry whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<Array<[string, string]>>;
  /** Applies every operation or none: a crash never leaves half a write. */
  batch(operations: readonly StoreOperation[]): Promise<void>;
  close(): Promise<void>;
}
