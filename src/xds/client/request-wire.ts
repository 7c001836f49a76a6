/**
 * Hand-written encoders for the requests the ADS client sends: DiscoveryRequest and
 * DeltaDiscoveryRequest, fields in number order, written straight into one buffer (FastWriter).
 * ACKs are the client's most frequent message and a SotW ACK repeats every subscribed name; the
 * protobufjs path (plain object → message → writer) cost the load generator more than the
 * server's own handling of the same ACK. The node is passed pre-encoded (`encodeNode`: once per
 * stream, but a storm opens thousands).
 * Decoding these bytes with protobufjs gives back the fields (property-tested).
 */
import { writeWith, type FastWriter } from '../proto/fast-writer.ts';

/** google.rpc.Status of a NACK. */
export interface RequestErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** A DiscoveryRequest (version_info=1, node=2, resource_names=3, type_url=4, response_nonce=5, error_detail=6). */
export interface SotwRequestFields {
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly resourceNames: readonly string[];
  /** `resourceNames` already encoded (`encodeNames(3, …)`): a SotW ACK repeats the same list each time. */
  readonly resourceNamesWire?: Uint8Array | undefined;
  readonly responseNonce: string;
  readonly errorDetail?: RequestErrorDetail | undefined;
  /** An encoded envoy.config.core.v3.Node. */
  readonly node?: Uint8Array | undefined;
}

/**
 * A DeltaDiscoveryRequest (node=1, type_url=2, resource_names_subscribe=3,
 * resource_names_unsubscribe=4, initial_resource_versions=5, response_nonce=6, error_detail=7).
 */
export interface DeltaRequestFields {
  readonly typeUrl: string;
  readonly subscribe?: readonly string[];
  readonly unsubscribe?: readonly string[];
  readonly initialVersions?: ReadonlyMap<string, string>;
  readonly responseNonce?: string;
  readonly errorDetail?: RequestErrorDetail | undefined;
  readonly node?: Uint8Array | undefined;
}

const LEN = 2;
const FIXED64 = 1;

/** A singular string field: left out when empty (the proto3 default). */
function stringField(w: FastWriter, field: number, value: string): void {
  if (value !== '') w.uint32((field << 3) | LEN).string(value);
}

function writeNames(w: FastWriter, field: number, names: readonly string[] | undefined): void {
  // Elements of a repeated field are written even when empty.
  for (const name of names ?? []) w.uint32((field << 3) | LEN).string(name);
}

function writeStatus(w: FastWriter, field: number, detail: RequestErrorDetail): void {
  w.uint32((field << 3) | LEN).fork();
  const code = detail.code | 0;
  if (code !== 0) w.uint32(1 << 3).int32(code);
  stringField(w, 2, detail.message);
  w.ldelim();
}

/** The repeated string field `field` holding `names`, encoded (for `resourceNamesWire`). */
export function encodeNames(field: number, names: readonly string[]): Buffer {
  return writeWith((w) => writeNames(w, field, names));
}

/** Encodes a DiscoveryRequest. */
export function encodeSotwRequest(fields: SotwRequestFields): Buffer {
  return writeWith((w) => {
    stringField(w, 1, fields.versionInfo);
    if (fields.node) w.uint32((2 << 3) | LEN).bytes(fields.node);
    if (fields.resourceNamesWire) w.raw(fields.resourceNamesWire);
    else writeNames(w, 3, fields.resourceNames);
    stringField(w, 4, fields.typeUrl);
    stringField(w, 5, fields.responseNonce);
    if (fields.errorDetail) writeStatus(w, 6, fields.errorDetail);
  });
}

/** Encodes a DeltaDiscoveryRequest. */
export function encodeDeltaRequest(fields: DeltaRequestFields): Buffer {
  return writeWith((w) => {
    if (fields.node) w.uint32((1 << 3) | LEN).bytes(fields.node);
    stringField(w, 2, fields.typeUrl);
    writeNames(w, 3, fields.subscribe);
    writeNames(w, 4, fields.unsubscribe);
    for (const [key, value] of fields.initialVersions ?? []) {
      // A map entry writes its key and value even when empty.
      w.uint32((5 << 3) | LEN).fork();
      w.uint32((1 << 3) | LEN).string(key);
      w.uint32((2 << 3) | LEN).string(value);
      w.ldelim();
    }
    stringField(w, 6, fields.responseNonce ?? '');
    if (fields.errorDetail) writeStatus(w, 7, fields.errorDetail);
  });
}

/** What `encodeNode` writes: envoy.config.core.v3.Node's fields a client announces; metadata is plain JSON. */
export interface NodeFields {
  readonly id: string;
  readonly cluster?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly locality?: { readonly region?: string; readonly zone?: string; readonly sub_zone?: string };
  readonly user_agent_name?: string;
  readonly user_agent_version?: string;
}

/**
 * google.protobuf.Value (null_value=1, number_value=2, string_value=3, bool_value=4,
 * struct_value=5, list_value=6), written as src/xds/proto/struct.ts's `toValue` maps plain JSON.
 */
function writeValue(w: FastWriter, value: unknown): void {
  if (typeof value === 'number') w.uint32((2 << 3) | FIXED64).double(value);
  else if (typeof value === 'string') w.uint32((3 << 3) | LEN).string(value);
  else if (typeof value === 'boolean') w.uint32(4 << 3).uint32(value ? 1 : 0);
  else if (Array.isArray(value)) {
    w.uint32((6 << 3) | LEN).fork();
    for (const item of value) {
      w.uint32((1 << 3) | LEN).fork();
      writeValue(w, item);
      w.ldelim();
    }
    w.ldelim();
  } else if (typeof value === 'object' && value !== null) {
    w.uint32((5 << 3) | LEN).fork();
    writeStruct(w, value as Readonly<Record<string, unknown>>);
    w.ldelim();
  } else w.uint32(1 << 3).uint32(0);
}

/** google.protobuf.Struct's body: fields=1, a map of key=1 to Value=2 (undefined values left out, as `toStruct`). */
function writeStruct(w: FastWriter, struct: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(struct)) {
    if (value === undefined) continue;
    w.uint32((1 << 3) | LEN).fork();
    w.uint32((1 << 3) | LEN).string(key);
    w.uint32((2 << 3) | LEN).fork();
    writeValue(w, value);
    w.ldelim();
    w.ldelim();
  }
}

/** Encodes a Node (id=1, cluster=2, metadata=3, locality=4 {region=1, zone=2, sub_zone=3}, user_agent_name=6, user_agent_version=7). */
export function encodeNode(node: NodeFields): Buffer {
  return writeWith((w) => {
    stringField(w, 1, node.id);
    stringField(w, 2, node.cluster ?? '');
    if (node.metadata) {
      w.uint32((3 << 3) | LEN).fork();
      writeStruct(w, node.metadata);
      w.ldelim();
    }
    if (node.locality) {
      w.uint32((4 << 3) | LEN).fork();
      stringField(w, 1, node.locality.region ?? '');
      stringField(w, 2, node.locality.zone ?? '');
      stringField(w, 3, node.locality.sub_zone ?? '');
      w.ldelim();
    }
    stringField(w, 6, node.user_agent_name ?? '');
    // user_agent_version is in a oneof: written when given, even empty.
    if (node.user_agent_version !== undefined) w.uint32((7 << 3) | LEN).string(node.user_agent_version);
  });
}
