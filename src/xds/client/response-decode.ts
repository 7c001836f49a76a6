/**
 * Lean decoding of ADS responses on the client side: top-level fields only, each resource kept
 * as its encoded Any (decode on demand). Field numbers: see src/xds/server/response-wire.ts.
 */
import { resourceNameOfAny, scanFields, utf8 } from '../server/proto-scan.ts';

/** One resource in a response. `version` is the delta Resource.version ('' in SotW). */
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

const text = (v: number | Uint8Array): string => (typeof v === 'number' ? '' : utf8(v));

function controlPlaneId(bytes: Uint8Array): string {
  let id = '';
  scanFields(bytes, (field, v) => {
    if (field === 1) id = text(v);
  });
  return id;
}

/** Decodes a DiscoveryResponse. Throws on malformed bytes. */
export function decodeSotwResponse(bytes: Uint8Array): ReceivedResponse {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  let controlPlane = '';
  const resources: ReceivedResource[] = [];
  scanFields(bytes, (field, v) => {
    if (typeof v === 'number') return;
    if (field === 1) versionInfo = utf8(v);
    else if (field === 2) resources.push({ name: resourceNameOfAny(v), version: '', any: v });
    else if (field === 4) typeUrl = utf8(v);
    else if (field === 5) nonce = utf8(v);
    else if (field === 6) controlPlane = controlPlaneId(v);
  });
  return { kind: 'sotw', versionInfo, typeUrl, nonce, resources, removed: [], controlPlane, bytes: bytes.length };
}

function decodeResource(bytes: Uint8Array): ReceivedResource {
  let name = '';
  let version = '';
  let any: Uint8Array = new Uint8Array(0);
  scanFields(bytes, (field, v) => {
    if (typeof v === 'number') return;
    if (field === 1) version = utf8(v);
    else if (field === 2) any = v;
    else if (field === 3) name = utf8(v);
  });
  return { name, version, any };
}

/** Decodes a DeltaDiscoveryResponse. Throws on malformed bytes. */
export function decodeDeltaResponse(bytes: Uint8Array): ReceivedResponse {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  let controlPlane = '';
  const resources: ReceivedResource[] = [];
  const removed: string[] = [];
  scanFields(bytes, (field, v) => {
    if (typeof v === 'number') return;
    if (field === 1) versionInfo = utf8(v);
    else if (field === 2) resources.push(decodeResource(v));
    else if (field === 4) typeUrl = utf8(v);
    else if (field === 5) nonce = utf8(v);
    else if (field === 6) removed.push(utf8(v));
    else if (field === 7) controlPlane = controlPlaneId(v);
  });
  return { kind: 'delta', versionInfo, typeUrl, nonce, resources, removed, controlPlane, bytes: bytes.length };
}
