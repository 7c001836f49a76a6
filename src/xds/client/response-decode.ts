/**
 * Lean decoding of ADS responses on the client side: top-level fields only, each resource kept
 * as its encoded Any (decode on demand). Field numbers: see src/xds/server/response-wire.ts.
 */
import { FieldCursor, resourceNameOfAny } from '../server/proto-scan.ts';
import { canonicalTypeUrl } from '../type-urls.ts';
import { internName, nameAt } from './names.ts';

/** One resource in a response. `version`: the delta Resource.version, or the SotW response's version_info. */
export interface ReceivedResource {
  readonly name: string;
  readonly version: string;
  readonly any: Uint8Array;
}

/** A decoded DiscoveryResponse or DeltaDiscoveryResponse. */
export interface ReceivedResponse {
  readonly kind: 'sotw' | 'delta';
  /** version_info (SotW) or system_version_info (delta). */
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: readonly ReceivedResource[];
  /** Delta only. */
  readonly removed: readonly string[];
  readonly controlPlane: string;
  /** Size of the message on the wire (without gRPC framing). */
  readonly bytes: number;
}

/**
 * A resource as received. Its Any stays in the response's bytes and `any` makes a view on each
 * read: a load generator holds hundreds of thousands of these, and a view object each (about
 * 100 bytes) was a sixth of its heap, which its major GCs then marked while every stream waited.
 */
class WireResource implements ReceivedResource {
  constructor(
    readonly name: string,
    public version: string,
    private readonly bytes: Uint8Array,
    private readonly from: number,
    private readonly to: number,
  ) {}

  get any(): Uint8Array {
    return this.bytes.subarray(this.from, this.to);
  }
}

function controlPlaneId(bytes: Uint8Array, from: number, to: number): string {
  const cursor = new FieldCursor(bytes, from, to);
  let id = '';
  while (cursor.next()) if (cursor.field === 1 && cursor.isLen) id = cursor.text();
  return id;
}

// Field by field with a cursor (no views or closures per field): a load generator decodes
// thousands of responses a second, and SotW ones carry up to thousands of resources.

/** Decodes a DiscoveryResponse. Throws on malformed bytes. */
export function decodeSotwResponse(bytes: Uint8Array): ReceivedResponse {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  let controlPlane = '';
  const resources: WireResource[] = [];
  const cursor = new FieldCursor(bytes);
  while (cursor.next()) {
    if (!cursor.isLen) continue;
    const field = cursor.field;
    if (field === 1) versionInfo = cursor.text();
    else if (field === 2) resources.push(new WireResource(resourceNameOfAny(bytes, cursor.from, cursor.to, nameAt), '', bytes, cursor.from, cursor.to));
    else if (field === 4) typeUrl = canonicalTypeUrl(cursor.text());
    else if (field === 5) nonce = cursor.text();
    else if (field === 6) controlPlane = controlPlaneId(bytes, cursor.from, cursor.to);
  }
  // Known only once the message is read (fields may come in any order); a client holds these objects as they are.
  for (const resource of resources) resource.version = versionInfo;
  return { kind: 'sotw', versionInfo, typeUrl, nonce, resources, removed: [], controlPlane, bytes: bytes.length };
}

function decodeResource(bytes: Uint8Array, from: number, to: number): ReceivedResource {
  let name = '';
  let version = '';
  let anyFrom = 0;
  let anyTo = 0;
  const cursor = new FieldCursor(bytes, from, to);
  while (cursor.next()) {
    if (!cursor.isLen) continue;
    if (cursor.field === 1) version = cursor.text();
    else if (cursor.field === 2) [anyFrom, anyTo] = [cursor.from, cursor.to];
    else if (cursor.field === 3) name = nameAt(bytes, cursor.from, cursor.to);
  }
  return new WireResource(name, version, bytes, anyFrom, anyTo);
}

/** Decodes a DeltaDiscoveryResponse. Throws on malformed bytes. */
export function decodeDeltaResponse(bytes: Uint8Array): ReceivedResponse {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  let controlPlane = '';
  const resources: ReceivedResource[] = [];
  const removed: string[] = [];
  const cursor = new FieldCursor(bytes);
  while (cursor.next()) {
    if (!cursor.isLen) continue;
    const field = cursor.field;
    if (field === 1) versionInfo = cursor.text();
    else if (field === 2) resources.push(decodeResource(bytes, cursor.from, cursor.to));
    else if (field === 4) typeUrl = canonicalTypeUrl(cursor.text());
    else if (field === 5) nonce = cursor.text();
    else if (field === 6) removed.push(internName(cursor.text()));
    else if (field === 7) controlPlane = controlPlaneId(bytes, cursor.from, cursor.to);
  }
  return { kind: 'delta', versionInfo, typeUrl, nonce, resources, removed, controlPlane, bytes: bytes.length };
}
