/**
 * Decoding ADS requests into small plain records. A request that cannot be decoded becomes a
 * `MalformedRequest` value so the stream can end with a clear status instead of a thrown error.
 */
import type { NodeInfo } from '../cache/types.ts';
import { messageType } from '../proto/codec.ts';

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

/** A state-of-the-world DiscoveryRequest. */
export interface SotwRequest {
  readonly kind: 'sotw';
  readonly versionInfo: string;
  readonly node: RequestNode | undefined;
  readonly resourceNames: readonly string[];
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

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
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

function toError(raw: unknown): ErrorDetail | undefined {
  if (!isRecord(raw)) return undefined;
  return { code: typeof raw['code'] === 'number' ? raw['code'] : 0, message: str(raw['message']) };
}

function decodePlain(typeName: string, bytes: Uint8Array): Record<string, unknown> | MalformedRequest {
  try {
    const type = messageType(typeName);
    return type.toObject(type.decode(bytes), TO_OBJECT) as Record<string, unknown>;
  } catch (error) {
    return { kind: 'malformed', message: `cannot decode ${typeName}: ${(error as Error).message}` };
  }
}

function isMalformed(value: Record<string, unknown> | MalformedRequest): value is MalformedRequest {
  return value['kind'] === 'malformed';
}

/** Decodes a DiscoveryRequest; never throws. */
export function decodeSotwRequest(bytes: Uint8Array): SotwRequest | MalformedRequest {
  const obj = decodePlain('envoy.service.discovery.v3.DiscoveryRequest', bytes);
  if (isMalformed(obj)) return obj;
  return {
    kind: 'sotw',
    versionInfo: str(obj['version_info']),
    node: toNode(obj['node']),
    resourceNames: strings(obj['resource_names']),
    typeUrl: str(obj['type_url']),
    responseNonce: str(obj['response_nonce']),
    errorDetail: toError(obj['error_detail']),
  };
}

/** Decodes a DeltaDiscoveryRequest; never throws. */
export function decodeDeltaRequest(bytes: Uint8Array): DeltaRequest | MalformedRequest {
  const obj = decodePlain('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes);
  if (isMalformed(obj)) return obj;
  const initial = new Map<string, string>();
  const raw = obj['initial_resource_versions'];
  if (isRecord(raw)) for (const [name, version] of Object.entries(raw)) initial.set(name, str(version));
  return {
    kind: 'delta',
    node: toNode(obj['node']),
    typeUrl: str(obj['type_url']),
    subscribe: strings(obj['resource_names_subscribe']),
    unsubscribe: strings(obj['resource_names_unsubscribe']),
    initialVersions: initial,
    responseNonce: str(obj['response_nonce']),
    errorDetail: toError(obj['error_detail']),
  };
}
