/**
 * Turns translated plain objects into encoded, versioned resources, encoding each object once:
 * builders memoized by model identity hand back the same object, so its bytes are reused by
 * every view and every rebuild that still contains it. Objects a view builds afresh (its
 * listeners, its inbound cluster) are compared with the ones they replace, or looked up by a
 * digest of their content, and take existing bytes when equal. A set whose items are all
 * unchanged is the previous set itself. Arrays are treated as immutable: the same array always
 * gives the same set.
 */
import { encodeResource, resourceSet } from '../xds/cache/snapshot.ts';
import type { EncodedResource, ResourceSet } from '../xds/cache/types.ts';
import type { TypeUrl } from '../xds/type-urls.ts';
import { contentHash } from '../util/hash.ts';
import { sameTree } from '../util/same-tree.ts';

const MAX_CONTENT_ENTRIES = 50_000;

export interface NamedResource {
  readonly name: string;
  readonly value: object;
}

/** The encoder of a pipeline; caches die with the objects they are keyed by. */
export interface ResourceEncoder {
  /** `byContent`: look the object up by a digest of its content before encoding it (see the module comment). */
  encode(typeUrl: TypeUrl, resource: NamedResource, previous?: EncodedResource, byContent?: boolean): EncodedResource;
  /**
   * The set of `resources`; `previous` (the set they replace) is returned as is when nothing
   * changed. `findByContent` picks the resources worth looking up by content: objects built
   * afresh per view; never the products of memoized builders, which are new content.
   */
  encodeSet(
    typeUrl: TypeUrl,
    resources: ReadonlyArray<NamedResource>,
    previous?: ResourceSet,
    findByContent?: (resource: NamedResource) => boolean,
  ): ResourceSet;
  readonly stats: { encoded: number; reused: number };
}

/** Encodes resources with a cache keyed by object identity (entries die with their objects). */
export function createResourceEncoder(): ResourceEncoder {
  const byObject = new WeakMap<object, EncodedResource>();
  const sourceOf = new WeakMap<EncodedResource, object>();
  const setByList = new WeakMap<ReadonlyArray<NamedResource>, ResourceSet>();
  /** Encoded resources by content digest, bounded (a miss costs one encode, nothing else). */
  const byContent = new Map<string, EncodedResource>();
  const stats = { encoded: 0, reused: 0 };
  const encode = (typeUrl: TypeUrl, resource: NamedResource, previous?: EncodedResource, findByContent = false): EncodedResource => {
    const cached = byObject.get(resource.value);
    if (cached && cached.name === resource.name) {
      stats.reused += 1;
      return cached;
    }
    const before = previous && previous.name === resource.name ? sourceOf.get(previous) : undefined;
    if (previous && before && sameTree(before, resource.value)) {
      byObject.set(resource.value, previous);
      stats.reused += 1;
      return previous;
    }
    // Per-view objects (listeners, inbound clusters) are often equal across views: one encode.
    const contentKey = findByContent ? `${typeUrl}\0${resource.name}\0${contentHash(JSON.stringify(resource.value))}` : undefined;
    const equal = contentKey === undefined ? undefined : byContent.get(contentKey);
    if (equal) {
      byObject.set(resource.value, equal);
      stats.reused += 1;
      return equal;
    }
    const encoded = encodeResource(typeUrl, resource.name, resource.value);
    byObject.set(resource.value, encoded);
    sourceOf.set(encoded, resource.value);
    if (contentKey !== undefined) {
      if (byContent.size >= MAX_CONTENT_ENTRIES) byContent.clear();
      byContent.set(contentKey, encoded);
    }
    stats.encoded += 1;
    return encoded;
  };
  return {
    encode,
    encodeSet(typeUrl, resources, previous, findByContent) {
      // Views sharing an outbound part pass the same (never mutated) array: one set for all.
      const shared = setByList.get(resources);
      if (shared) return shared;
      const set = encodeList(typeUrl, resources, previous, findByContent);
      setByList.set(resources, set);
      return set;
    },
    stats,
  };

  function encodeList(
    typeUrl: TypeUrl,
    resources: ReadonlyArray<NamedResource>,
    previous: ResourceSet | undefined,
    findByContent: ((resource: NamedResource) => boolean) | undefined,
  ): ResourceSet {
    const items = resources.map((resource) => encode(typeUrl, resource, previous?.items.get(resource.name), findByContent?.(resource) ?? false));
    if (previous && previous.items.size === items.length && items.every((item) => previous.items.get(item.name) === item)) return previous;
    return resourceSet(items);
  }
}
