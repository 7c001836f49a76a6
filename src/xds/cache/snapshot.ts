/** Building immutable snapshots from encoded resources. */
import { contentHash } from '../../util/hash.ts';
import { encodeAny, encodeMessage } from '../proto/codec.ts';
import { messageNameOf, TypeUrl } from '../type-urls.ts';
import type { EncodedResource, ResourceSet, Snapshot } from './types.ts';

/** Encodes one resource (a plain object in proto field names) and versions it by content. */
export function encodeResource(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
  const body = encodeMessage(messageNameOf(typeUrl), message);
  return { name, version: contentHash(body), any: encodeAny(typeUrl, body) };
}

/** A resource set versioned by the names and versions it holds. Later duplicates replace earlier. */
export function resourceSet(items: Iterable<EncodedResource>): ResourceSet {
  const byName = new Map<string, EncodedResource>();
  for (const item of items) byName.set(item.name, item);
  const sorted = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const map = new Map(sorted.map((item) => [item.name, item] as const));
  return { version: contentHash(...sorted.map((item) => `${item.name}=${item.version}`)), items: map };
}

const EMPTY_SET: ResourceSet = resourceSet([]);

/** A snapshot from per-type resource sets; missing types are empty. */
export function buildSnapshot(sets: Partial<Record<TypeUrl, ResourceSet>>): Snapshot {
  const resources = {} as Record<TypeUrl, ResourceSet>;
  for (const url of Object.values(TypeUrl)) resources[url] = sets[url] ?? EMPTY_SET;
  const version = contentHash(...Object.values(TypeUrl).map((url) => resources[url].version));
  return { version, resources };
}
