/**
 * Turns translated plain objects into encoded, versioned resources, encoding each object once:
 * builders memoized by model identity hand back the same object, so its bytes are reused by
 * every view and every rebuild that still contains it.
 */
import { encodeResource, resourceSet } from '../xds/cache/snapshot.ts';
import type { EncodedResource, ResourceSet } from '../xds/cache/types.ts';
import type { TypeUrl } from '../xds/type-urls.ts';

export interface NamedResource {
  readonly name: string;
  readonly value: object;
}

/** Encodes resources with a cache keyed by object identity (entries die with their objects). */
export function createResourceEncoder(): {
  encode(typeUrl: TypeUrl, resource: NamedResource): EncodedResource;
  encodeSet(typeUrl: TypeUrl, resources: ReadonlyArray<NamedResource>): ResourceSet;
  readonly stats: { encoded: number; reused: number };
} {
  const byObject = new WeakMap<object, EncodedResource>();
  const stats = { encoded: 0, reused: 0 };
  const encode = (typeUrl: TypeUrl, resource: NamedResource): EncodedResource => {
    const cached = byObject.get(resource.value);
    if (cached && cached.name === resource.name) {
      stats.reused += 1;
      return cached;
    }
    const encoded = encodeResource(typeUrl, resource.name, resource.value);
    byObject.set(resource.value, encoded);
    stats.encoded += 1;
    return encoded;
  };
  return {
    encode,
    encodeSet: (typeUrl, resources) => resourceSet(resources.map((resource) => encode(typeUrl, resource))),
    stats,
  };
}
