/**
 * Copy-on-write maps for large, mostly unchanged collections (the mesh model's services, a
 * view's resource sets): replacing k values of an n-entry map costs O(k) amortized instead of
 * the O(n) of `new Map(base)`, so a one-endpoint change does not pay for the size of the mesh.
 */

interface Patch<K, V> {
  /** A plain map that is never mutated after it is shared. */
  readonly root: ReadonlyMap<K, V>;
  /** Values that replace root's (keys are all in root). */
  readonly overrides: ReadonlyMap<K, V>;
}

const patches = new WeakMap<object, Patch<unknown, unknown>>();

/** Overrides grow until this, then the map is flattened (amortized O(1) per replaced value). */
function flattenAt(size: number): number {
  return 64 + (size >> 5);
}

/**
 * A map equal to `base` with the values of `replacements` set. Every replaced key must already
 * be in `base` (returns undefined otherwise, so the caller rebuilds): then the keys and their
 * iteration order are base's, and `get`/`has`/`size` are O(1) without copying base. Neither
 * argument is mutated; the result must be treated as read-only.
 */
export function patchMap<K, V>(base: ReadonlyMap<K, V>, replacements: Iterable<readonly [K, V]>): ReadonlyMap<K, V> | undefined {
  const previous = patches.get(base) as Patch<K, V> | undefined;
  const root = previous?.root ?? base;
  const overrides = new Map(previous?.overrides);
  for (const [key, value] of replacements) {
    if (!root.has(key)) return undefined;
    overrides.set(key, value);
  }
  if (overrides.size > flattenAt(root.size)) {
    const flat = new Map<K, V>();
    for (const [key, value] of root) flat.set(key, overrides.has(key) ? (overrides.get(key) as V) : value);
    return flat;
  }
  return overlay(root, overrides);
}

/** A read-only map view of `root` with `overrides`; iteration materializes one flat Map, once. */
function overlay<K, V>(root: ReadonlyMap<K, V>, overrides: ReadonlyMap<K, V>): ReadonlyMap<K, V> {
  let flat: Map<K, V> | undefined;
  const materialized = (): Map<K, V> => {
    if (!flat) {
      flat = new Map<K, V>();
      for (const [key, value] of root) flat.set(key, overrides.has(key) ? (overrides.get(key) as V) : value);
    }
    return flat;
  };
  const map: ReadonlyMap<K, V> = {
    get size() {
      return root.size;
    },
    get: (key) => (overrides.has(key) ? overrides.get(key) : root.get(key)),
    has: (key) => root.has(key),
    forEach: (callback, thisArg?: unknown) => materialized().forEach((value, key) => callback.call(thisArg, value, key, map)),
    entries: () => materialized().entries(),
    keys: () => materialized().keys(),
    values: () => materialized().values(),
    [Symbol.iterator]: () => materialized()[Symbol.iterator](),
  };
  patches.set(map, { root, overrides } as Patch<unknown, unknown>);
  return map;
}
