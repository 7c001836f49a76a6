/**
 * Building immutable snapshots from encoded resources.
 *
 * A resource set's version is an order-independent combination of its items: each (name,
 * version) pair hashes to four 32-bit lanes, the set sums them lane by lane (mod 2^32) and its
 * version is the content hash of the item count and the sums. Equal sets get equal versions in
 * every process, however they were built, and replacing one item of a set (`patchResourceSet`)
 * costs O(1) for the version instead of re-hashing every item.
 */
import { bytesHash, contentHash } from '../../util/hash.ts';
import { patchMap } from '../../util/patched-map.ts';
import { encodeAny, encodeMessage } from '../proto/codec.ts';
import { messageNameOf, TypeUrl } from '../type-urls.ts';
import type { EncodedResource, ResourceSet, Snapshot } from './types.ts';

/** Encodes one resource (a plain object in proto field names) and versions it by content. */
export function encodeResource(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
  const body = encodeMessage(messageNameOf(typeUrl), message);
  return { name, version: bytesHash(body), any: encodeAny(typeUrl, body) };
}

/** The lane sums of a set: [count, lane0..lane3]. */
type Digest = readonly [number, number, number, number, number];

const digests = new WeakMap<ResourceSet, Digest>();

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Items are shared by many sets (every view holding a resource), so their lanes are kept.
const lanesOf = new WeakMap<EncodedResource, readonly [number, number, number, number]>();

/** Four independent 32-bit hashes of `name\0version` (item versions are already content hashes). */
function itemLanes(item: EncodedResource): readonly [number, number, number, number] {
  let lanes = lanesOf.get(item);
  if (!lanes) lanesOf.set(item, (lanes = computeLanes(item)));
  return lanes;
}

function computeLanes(item: EncodedResource): [number, number, number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  let c = 0x1b873593;
  let d = 0xe6546b64;
  const text = `${item.name}\0${item.version}`;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b ^ ch, 0x5bd1e995);
    c = Math.imul(c ^ ch, 0xcc9e2d51);
    d = Math.imul(d ^ ch, 0x27d4eb2f);
  }
  return [fmix(a ^ text.length), fmix(b + a), fmix(c ^ b), fmix(d + c)];
}

function versionOf(digest: Digest): string {
  return contentHash(digest.join(':'));
}

/** `digest` with `removed` taken out and `added` put in. */
function adjust(digest: Digest, removed: readonly EncodedResource[], added: readonly EncodedResource[]): Digest {
  const sums = [...digest] as [number, number, number, number, number];
  sums[0] += added.length - removed.length;
  for (const item of removed) {
    const lanes = itemLanes(item);
    for (let i = 0; i < 4; i += 1) sums[i + 1] = ((sums[i + 1] ?? 0) - (lanes[i] ?? 0)) >>> 0;
  }
  for (const item of added) {
    const lanes = itemLanes(item);
    for (let i = 0; i < 4; i += 1) sums[i + 1] = ((sums[i + 1] ?? 0) + (lanes[i] ?? 0)) >>> 0;
  }
  return sums;
}

const ZERO: Digest = [0, 0, 0, 0, 0];

/**
 * The version of any collection of distinct-named resources, computed exactly as a ResourceSet's
 * version: a subset sent to a named subscription and a whole set with the same items get the same
 * version, so identical content is never pushed again under a new version.
 */
export function itemsVersion(items: readonly EncodedResource[]): string {
  return versionOf(adjust(ZERO, [], items));
}

/**
 * A resource set versioned by the names and versions it holds (order-independent: see the module
 * comment). Later duplicates replace earlier; `items` iterates in name order.
 */
export function resourceSet(items: Iterable<EncodedResource>): ResourceSet {
  const byName = new Map<string, EncodedResource>();
  for (const item of items) byName.set(item.name, item);
  const sorted = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const map = new Map(sorted.map((item) => [item.name, item] as const));
  const digest = adjust(ZERO, [], sorted);
  const set: ResourceSet = { version: versionOf(digest), items: map };
  digests.set(set, digest);
  return set;
}

/**
 * `set` with the given items replacing the items of the same names, in O(replacements) amortized:
 * the result is equal (items, iteration order and version) to `resourceSet` over the merged
 * items. A replacement whose name is not in `set` makes it fall back to a full rebuild. Returns
 * `set` itself when nothing changes.
 */
export function patchResourceSet(set: ResourceSet, replacements: Iterable<EncodedResource>): ResourceSet {
  const byName = new Map<string, EncodedResource>();
  for (const item of replacements) byName.set(item.name, item);
  const removed: EncodedResource[] = [];
  const added: EncodedResource[] = [];
  for (const item of byName.values()) {
    const old = set.items.get(item.name);
    if (old === undefined) return resourceSet([...set.items.values(), ...byName.values()]);
    if (old.version === item.version) continue;
    removed.push(old);
    added.push(item);
  }
  if (added.length === 0) return set;
  const digest = digests.get(set);
  const items = patchMap(set.items, added.map((item) => [item.name, item] as const));
  if (digest === undefined || items === undefined) return resourceSet([...set.items.values(), ...added]);
  const next = adjust(digest, removed, added);
  const patched: ResourceSet = { version: versionOf(next), items };
  digests.set(patched, next);
  return patched;
}

const EMPTY_SET: ResourceSet = resourceSet([]);
const TYPE_URLS: readonly TypeUrl[] = Object.values(TypeUrl);

/**
 * A snapshot whose version is hashed when first read. An endpoint change makes a new snapshot
 * for every view that sees the service (thousands), and streams compare sets, not snapshot
 * versions: only status and CSDS read it.
 */
class VersionedSnapshot implements Snapshot {
  #version: string | undefined;
  constructor(readonly resources: Readonly<Record<TypeUrl, ResourceSet>>) {}

  get version(): string {
    return (this.#version ??= contentHash(...TYPE_URLS.map((url) => this.resources[url].version)));
  }
}

/** A snapshot from per-type resource sets; missing types are empty. */
export function buildSnapshot(sets: Partial<Record<TypeUrl, ResourceSet>>): Snapshot {
  const resources = {} as Record<TypeUrl, ResourceSet>;
  for (const url of TYPE_URLS) resources[url] = sets[url] ?? EMPTY_SET;
  return new VersionedSnapshot(resources);
}

/** Whether two snapshots hold sets of equal versions for every type (without hashing them). */
export function sameContent(a: Snapshot, b: Snapshot): boolean {
  for (const url of TYPE_URLS) {
    const x = a.resources[url];
    const y = b.resources[url];
    if (x !== y && x.version !== y.version) return false;
  }
  return true;
}

/** `previous` with the set of one type replaced; `previous` itself when that set is the same. */
export function withResourceSet(previous: Snapshot, typeUrl: TypeUrl, set: ResourceSet): Snapshot {
  if (previous.resources[typeUrl] === set) return previous;
  const resources = {} as Record<TypeUrl, ResourceSet>;
  for (const url of TYPE_URLS) resources[url] = url === typeUrl ? set : previous.resources[url];
  return new VersionedSnapshot(resources);
}
