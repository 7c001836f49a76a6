/**
 * Decoding ADS requests into small plain records. A request that cannot be decoded becomes a
 * `MalformedRequest` value so the stream can end with a clear status instead of a thrown error.
 */
import type { NodeInfo } from '../cache/types.ts';
import { messageType } from '../proto/codec.ts';
import { canonicalTypeUrl } from '../type-urls.ts';
import { FieldCursor } from './proto-scan.ts';

/** `google.rpc.Status` as carried by a NACK. */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** The node of a request: the typed view, and the plain proto object for CSDS echoes. */
export interface RequestNode {
  readonly info: NodeInfo;
  readonly raw: Record<string, unknown>;
}

/**
 * A state-of-the-world DiscoveryRequest. `resourceNames` and `namesWire` may read the message's
 * bytes, which the transport reuses once the request is handled: copy what is kept.
 */
export interface SotwRequest {
  readonly kind: 'sotw';
  readonly versionInfo: string;
  readonly node: RequestNode | undefined;
  readonly resourceNames: readonly string[];
  /**
   * The encoded resource_names fields when they are contiguous in the message (empty when there
   * are none), else undefined. Equal bytes mean equal lists, so a stream can tell an ACK that
   * repeats its subscription without decoding it (a SotW ACK repeats every name).
   */
  readonly namesWire?: Uint8Array | undefined;
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

/** An incremental DeltaDiscoveryRequest. */
export interface DeltaRequest {
  readonly kind: 'delta';
  readonly node: RequestNode | undefined;
  readonly typeUrl: string;
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

/** Bytes that are not a valid request. */
export interface MalformedRequest {
  readonly kind: 'malformed';
  readonly message: string;
}

const TO_OBJECT = { longs: Number, enums: String, defaults: false, arrays: true, objects: true } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A field of a protobufjs plain object; the bundle spells well-known types in camelCase. */
function pick(obj: Record<string, unknown>, snake: string, camel: string): unknown {
  return snake in obj ? obj[snake] : obj[camel];
}

/** google.protobuf.Value (as protobufjs plain object) → JSON value. */
function valueToPlain(value: unknown): unknown {
  if (!isRecord(value)) return null;
  const text = pick(value, 'string_value', 'stringValue');
  if (text !== undefined) return text;
  const num = pick(value, 'number_value', 'numberValue');
  if (num !== undefined) return num;
  const bool = pick(value, 'bool_value', 'boolValue');
  if (bool !== undefined) return bool;
  const struct = pick(value, 'struct_value', 'structValue');
  if (struct !== undefined) return structToPlain(struct);
  const list = pick(value, 'list_value', 'listValue');
  if (list !== undefined) return isRecord(list) && Array.isArray(list['values']) ? list['values'].map(valueToPlain) : [];
  return null;
}

/** google.protobuf.Struct (as protobufjs plain object) → JSON object. */
export function structToPlain(struct: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = isRecord(struct) ? struct['fields'] : undefined;
  if (isRecord(fields)) for (const [key, value] of Object.entries(fields)) out[key] = valueToPlain(value);
  return out;
}

function toNode(raw: unknown): RequestNode | undefined {
  if (!isRecord(raw)) return undefined;
  const locality = isRecord(raw['locality']) ? raw['locality'] : {};
  const loc: { region?: string; zone?: string; sub_zone?: string } = {};
  if (str(locality['region'])) loc.region = str(locality['region']);
  if (str(locality['zone'])) loc.zone = str(locality['zone']);
  if (str(locality['sub_zone'])) loc.sub_zone = str(locality['sub_zone']);
  const build = isRecord(raw['user_agent_build_version']) ? raw['user_agent_build_version'] : undefined;
  const info: NodeInfo = {
    id: str(raw['id']),
    cluster: str(raw['cluster']),
    metadata: structToPlain(raw['metadata']),
    locality: loc,
    user_agent_name: str(raw['user_agent_name']),
    user_agent_version: str(raw['user_agent_version']) || (build ? JSON.stringify(build['version'] ?? '') : ''),
  };
  return { info, raw };
}

/** A request that is not valid protobuf, or carries a known field with the wrong wire type. */
class WireError extends Error {
  readonly kind = 'wire';
}

/** The current field's text; throws a WireError naming `field` when it is not length-delimited. */
function text(cursor: FieldCursor, field: string): string {
  if (!cursor.isLen) throw new WireError(`${field} is not length-delimited`);
  return cursor.text();
}

/** The current field's bytes (a view); throws a WireError naming `field` when it is not length-delimited. */
function message(cursor: FieldCursor, field: string): Uint8Array {
  if (!cursor.isLen) throw new WireError(`${field} is not length-delimited`);
  return cursor.view();
}

/** The node sub-message, decoded fully (it is sent once per stream, and CSDS echoes it). */
function decodeNode(bytes: Uint8Array): RequestNode | undefined {
  const type = messageType('envoy.config.core.v3.Node');
  return toNode(type.toObject(type.decode(bytes), TO_OBJECT));
}

/** google.rpc.Status { code = 1 (int32), message = 2 }. */
function decodeStatus(bytes: Uint8Array): ErrorDetail {
  let code = 0;
  let detail = '';
  const cursor = new FieldCursor(bytes);
  while (cursor.next()) {
    if (cursor.field === 1 && !cursor.isLen) code = cursor.value | 0;
    else if (cursor.field === 2) detail = text(cursor, 'error_detail.message');
  }
  return { code, message: detail };
}

/**
 * Runs `decode` and turns any failure into a MalformedRequest naming `typeName`. Requests are
 * walked field by field (proto-scan) rather than decoded into protobufjs objects: ACKs are most
 * of the traffic, and only the node (first request) needs a full decode.
 */
function guardedDecode<T>(typeName: string, decode: () => T): T | MalformedRequest {
  try {
    return decode();
  } catch (error) {
    return { kind: 'malformed', message: `cannot decode ${typeName}: ${(error as Error).message}` };
  }
}

/** A decoded DiscoveryRequest whose resource names are decoded only when first read. */
class LazySotwRequest implements SotwRequest {
  readonly kind = 'sotw';
  private names: string[] | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    readonly versionInfo: string,
    readonly node: RequestNode | undefined,
    readonly namesWire: Uint8Array | undefined,
    readonly typeUrl: string,
    readonly responseNonce: string,
    readonly errorDetail: ErrorDetail | undefined,
  ) {}

  get resourceNames(): readonly string[] {
    if (this.names === undefined) {
      const names: string[] = [];
      const cursor = new FieldCursor(this.bytes);
      // Already walked once: every field 3 is known to be length-delimited.
      while (cursor.next()) if (cursor.field === 3) names.push(cursor.text());
      this.names = names;
    }
    return this.names;
  }
}

/**
 * Decodes a DiscoveryRequest (version_info=1, node=2, resource_names=3, type_url=4,
 * response_nonce=5, error_detail=6); never throws. Resource names are checked here but decoded
 * on first use (see `namesWire`).
 */
export function decodeSotwRequest(bytes: Uint8Array): SotwRequest | MalformedRequest {
  return guardedDecode('envoy.service.discovery.v3.DiscoveryRequest', () => {
    let versionInfo = '';
    let nodeBytes: Uint8Array | undefined;
    let typeUrl = '';
    let responseNonce = '';
    let errorDetail: ErrorDetail | undefined;
    // The span of the resource_names fields, and whether another field interrupts it.
    let namesFrom = -1;
    let namesTo = -1;
    let contiguous = true;
    const cursor = new FieldCursor(bytes);
    while (cursor.next()) {
      const field = cursor.field;
      if (field === 3) {
        if (!cursor.isLen) throw new WireError('resource_names is not length-delimited');
        if (namesFrom < 0) namesFrom = cursor.start;
        else if (namesTo !== cursor.start) contiguous = false;
        cursor.skipRepeats();
        namesTo = cursor.to;
      } else if (field === 1) versionInfo = text(cursor, 'version_info');
      else if (field === 2) nodeBytes = message(cursor, 'node');
      else if (field === 4) typeUrl = canonicalTypeUrl(text(cursor, 'type_url'));
      else if (field === 5) responseNonce = text(cursor, 'response_nonce');
      else if (field === 6) errorDetail = decodeStatus(message(cursor, 'error_detail'));
    }
    const namesWire = !contiguous ? undefined : namesFrom < 0 ? bytes.subarray(0, 0) : bytes.subarray(namesFrom, namesTo);
    return new LazySotwRequest(bytes, versionInfo, nodeBytes ? decodeNode(nodeBytes) : undefined, namesWire, typeUrl, responseNonce, errorDetail);
  });
}

/** map<string, string> entry: key = 1, value = 2. */
function mapEntry(bytes: Uint8Array): [string, string] {
  let key = '';
  let value = '';
  const cursor = new FieldCursor(bytes);
  while (cursor.next()) {
    if (cursor.field === 1) key = text(cursor, 'initial_resource_versions key');
    else if (cursor.field === 2) value = text(cursor, 'initial_resource_versions value');
  }
  return [key, value];
}

/**
 * Decodes a DeltaDiscoveryRequest (node=1, type_url=2, resource_names_subscribe=3,
 * resource_names_unsubscribe=4, initial_resource_versions=5, response_nonce=6, error_detail=7);
 * never throws.
 */
export function decodeDeltaRequest(bytes: Uint8Array): DeltaRequest | MalformedRequest {
  return guardedDecode('envoy.service.discovery.v3.DeltaDiscoveryRequest', () => {
    let nodeBytes: Uint8Array | undefined;
    let typeUrl = '';
    const subscribe: string[] = [];
    const unsubscribe: string[] = [];
    const initialVersions = new Map<string, string>();
    let responseNonce = '';
    let errorDetail: ErrorDetail | undefined;
    const cursor = new FieldCursor(bytes);
    while (cursor.next()) {
      const field = cursor.field;
      if (field === 1) nodeBytes = message(cursor, 'node');
      else if (field === 2) typeUrl = canonicalTypeUrl(text(cursor, 'type_url'));
      else if (field === 3) subscribe.push(text(cursor, 'resource_names_subscribe'));
      else if (field === 4) unsubscribe.push(text(cursor, 'resource_names_unsubscribe'));
      else if (field === 5) initialVersions.set(...mapEntry(message(cursor, 'initial_resource_versions')));
      else if (field === 6) responseNonce = text(cursor, 'response_nonce');
      else if (field === 7) errorDetail = decodeStatus(message(cursor, 'error_detail'));
    }
    const request: DeltaRequest = {
      kind: 'delta',
      node: nodeBytes ? decodeNode(nodeBytes) : undefined,
      typeUrl,
      subscribe,
      unsubscribe,
      initialVersions,
      responseNonce,
      errorDetail,
    };
    return request;
  });
}

/**
 * Loads the protobuf types request decoding needs, so the first stream after start does not pay
 * for loading the Envoy descriptor bundle (hundreds of ms) inside its admission.
 */
export function warmRequestDecoding(): void {
  messageType('envoy.config.core.v3.Node');
}
