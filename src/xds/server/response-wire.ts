/**
 * DiscoveryResponse / DeltaDiscoveryResponse bytes assembled from pre-encoded resources, so a
 * resource's `any` bytes are copied onto the wire, never re-encoded per stream. Field numbers
 * follow proto/envoy/service/discovery/v3/discovery.proto:
 *   DiscoveryResponse: version_info=1, resources=2 (Any), type_url=4, nonce=5, control_plane=6.
 *   DeltaDiscoveryResponse: system_version_info=1, resources=2 (Resource), type_url=4, nonce=5,
 *     removed_resources=6, control_plane=7.
 *   Resource: version=1, resource=2 (Any), name=3.
 */
import { itemsVersion } from '../cache/snapshot.ts';
import type { EncodedResource, ResourceSet } from '../cache/types.ts';
import type { TypeUrl } from '../type-urls.ts';
import { nextNonce } from './nonce.ts';
import { fieldWriter } from './proto-scan.ts';

/** The content of one SotW response for one (ResourceSet, subscription), shared by streams. */
export interface PreparedSotw {
  readonly typeUrl: TypeUrl;
  /** Hash over the (name, version) pairs sent; equals `ResourceSet.version` for a full set. */
  readonly version: string;
  readonly items: readonly EncodedResource[];
  /** Encoded version_info + resources + type_url, built once on first use. */
  body(): Uint8Array;
  /**
   * The complete response with this content's own nonce (unique to this object in the process),
   * built once and written as is to every stream that is sent this content: no per-stream copy.
   * `controlPlane` is expected to be the same object on every call (one per server); another one
   * rebuilds the bytes.
   */
  shared(controlPlane?: Uint8Array): { readonly nonce: string; readonly bytes: Uint8Array };
}

/** Same formula as `resourceSet`: items sorted by name, hashed as `name=version`. */
export function versionOf(items: readonly EncodedResource[]): string {
  return itemsVersion(items);
}

// Bounded per set: keys are subscriptions, and proxies sharing a set mostly share subscriptions.
const MAX_PREPARED_PER_SET = 256;
const preparedCache = new WeakMap<ResourceSet, Map<string, PreparedSotw>>();

/**
 * The SotW response content for `set` as seen by a subscription: every item when `wildcard`,
 * else the `names` (sorted, unique) that exist. `key` identifies the subscription (`*` for
 * wildcard); results are cached per set object so equal streams share one buffer.
 */
export function prepareSotw(
  typeUrl: TypeUrl,
  set: ResourceSet,
  wildcard: boolean,
  names: readonly string[],
  key: string,
): PreparedSotw {
  let perSet = preparedCache.get(set);
  if (!perSet) {
    perSet = new Map();
    preparedCache.set(set, perSet);
  }
  const cached = perSet.get(key);
  if (cached) return cached;
  let items: EncodedResource[];
  let version: string;
  if (wildcard) {
    items = [...set.items.values()];
    version = set.version;
  } else {
    items = [];
    for (const name of names) {
      const item = set.items.get(name);
      if (item) items.push(item);
    }
    version = items.length === set.items.size ? set.version : versionOf(items);
  }
  const prepared = preparedOf(typeUrl, version, items);
  if (perSet.size >= MAX_PREPARED_PER_SET) perSet.clear();
  perSet.set(key, prepared);
  return prepared;
}

/** A PreparedSotw over `items` announcing `version`, its bytes built lazily and once. */
function preparedOf(typeUrl: TypeUrl, version: string, items: readonly EncodedResource[]): PreparedSotw {
  let body: Uint8Array | undefined;
  let shared: { nonce: string; bytes: Uint8Array; controlPlane: Uint8Array | undefined } | undefined;
  const writeBody = (w: ReturnType<typeof fieldWriter>): void => {
    w.string(1, version);
    for (const item of items) w.bytes(2, item.any);
    w.string(4, typeUrl);
  };
  return {
    typeUrl,
    version,
    items,
    body() {
      if (!body) {
        const w = fieldWriter();
        writeBody(w);
        body = w.finish();
      }
      return body;
    },
    shared(controlPlane) {
      if (!shared || shared.controlPlane !== controlPlane) {
        const nonce = shared?.nonce ?? nextNonce();
        const w = fieldWriter();
        writeBody(w);
        w.string(5, nonce);
        if (controlPlane) w.bytes(6, controlPlane);
        shared = { nonce, bytes: w.finish(), controlPlane };
      }
      return shared;
    },
  };
}

// Partial responses per (full content, what the stream acknowledged): streams of one view mostly
// acknowledged the same content, so they share one partial response and its bytes.
const partials = new WeakMap<PreparedSotw, WeakMap<PreparedSotw, PreparedSotw>>();

/**
 * The SotW response that takes a client holding `held` to `next` for a type whose responses
 * need not be full state (EDS, RDS: the xDS spec lets a server send only what changed, and
 * Envoy and gRPC keep resources a response does not name). Carries `next`'s version and only
 * the items `held` lacks or holds at another version; undefined when there is none (the change
 * was only names leaving the subscription, which needs no response).
 */
export function partialSotw(held: PreparedSotw, next: PreparedSotw): PreparedSotw | undefined {
  let perHeld = partials.get(next);
  const cached = perHeld?.get(held);
  if (cached) return cached.items.length > 0 ? cached : undefined;
  const before = new Map(held.items.map((item) => [item.name, item.version] as const));
  const changed = next.items.filter((item) => before.get(item.name) !== item.version);
  const partial = preparedOf(next.typeUrl, next.version, changed);
  if (!perHeld) {
    perHeld = new WeakMap();
    partials.set(next, perHeld);
  }
  perHeld.set(held, partial);
  return changed.length > 0 ? partial : undefined;
}

/** Encoded `config.core.v3.ControlPlane { identifier }`, for responses' control_plane field. */
export function encodeControlPlane(identifier: string): Uint8Array {
  const w = fieldWriter();
  w.string(1, identifier);
  return w.finish();
}

/** A complete DiscoveryResponse: the shared body plus this stream's nonce. */
export function sotwResponse(prepared: PreparedSotw, nonce: string, controlPlane?: Uint8Array): Uint8Array {
  const tail = fieldWriter();
  tail.string(5, nonce);
  if (controlPlane) tail.bytes(6, controlPlane);
  return Buffer.concat([prepared.body(), tail.finish()]);
}

// One encoded `resources` entry (tag, length, Resource) per resource version, shared by streams.
const deltaEntries = new WeakMap<EncodedResource, Uint8Array>();

function deltaEntry(item: EncodedResource): Uint8Array {
  let entry = deltaEntries.get(item);
  if (!entry) {
    const inner = fieldWriter();
    inner.string(1, item.version);
    inner.bytes(2, item.any);
    inner.string(3, item.name);
    const outer = fieldWriter();
    outer.bytes(2, inner.finish());
    entry = outer.finish();
    deltaEntries.set(item, entry);
  }
  return entry;
}

/** A complete DeltaDiscoveryResponse carrying `upserts` and `removed` names. */
export function deltaResponse(
  typeUrl: TypeUrl,
  systemVersion: string,
  upserts: readonly EncodedResource[],
  removed: readonly string[],
  nonce: string,
  controlPlane?: Uint8Array,
): Uint8Array {
  const head = fieldWriter();
  head.string(1, systemVersion);
  const tail = fieldWriter();
  tail.string(4, typeUrl);
  tail.string(5, nonce);
  for (const name of removed) tail.bytes(6, Buffer.from(name, 'utf8'));
  if (controlPlane) tail.bytes(7, controlPlane);
  return Buffer.concat([head.finish(), ...upserts.map(deltaEntry), tail.finish()]);
}
