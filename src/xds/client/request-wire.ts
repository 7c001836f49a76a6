/**
 * Hand-written encoders for the requests the ADS client sends: DiscoveryRequest and
 * DeltaDiscoveryRequest, fields in number order, written straight into one buffer sized up front.
 * ACKs are the client's most frequent message and a SotW ACK repeats every subscribed name; the
 * protobufjs path (plain object → message → writer) cost the load generator more than the
 * server's own handling of the same ACK. The node is passed pre-encoded (it is sent once).
 * Decoding these bytes with protobufjs gives back the fields (property-tested).
 */

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

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

/** Size of a length-delimited field (tag < 128, as every field here) whose body is `body` bytes. */
function lenFieldSize(body: number): number {
  return 1 + varintSize(body) + body;
}

function stringSize(value: string): number {
  return value === '' ? 0 : lenFieldSize(Buffer.byteLength(value));
}

/** Size of google.rpc.Status {code=1 (int32), message=2}; an int32 below zero takes 10 bytes. */
function statusBodySize(detail: RequestErrorDetail): number {
  const code = detail.code | 0;
  return (code === 0 ? 0 : 1 + (code < 0 ? 10 : varintSize(code))) + stringSize(detail.message);
}

/** Writes fields into a buffer of known size. */
class Writer {
  readonly buffer: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  varint(value: number): void {
    while (value > 0x7f) {
      this.buffer[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.pos++] = value;
  }

  /** An int32 as protobuf writes it: negative values sign-extended to ten bytes. */
  int32(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    let low = value >>> 0;
    for (let i = 0; i < 4; i += 1) {
      this.buffer[this.pos++] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    // Bits 28-31 of the value, then the sign extension: 0xff-filled groups and a final 0x01.
    this.buffer[this.pos++] = (low & 0x0f) | 0x70 | 0x80;
    for (let i = 0; i < 4; i += 1) this.buffer[this.pos++] = 0xff;
    this.buffer[this.pos++] = 0x01;
  }

  tag(field: number, wire: number): void {
    this.buffer[this.pos++] = (field << 3) | wire;
  }

  /** A singular string field: left out when empty (the proto3 default). */
  string(field: number, value: string): void {
    if (value !== '') this.element(field, value);
  }

  /** A string written even when empty (an element of a repeated field, a map key or value). */
  element(field: number, value: string): void {
    this.tag(field, LEN);
    this.varint(Buffer.byteLength(value));
    this.pos += this.buffer.write(value, this.pos, 'utf8');
  }

  /** Bytes that are already encoded fields. */
  raw(value: Uint8Array): void {
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  status(field: number, detail: RequestErrorDetail): void {
    this.tag(field, LEN);
    this.varint(statusBodySize(detail));
    const code = detail.code | 0;
    if (code !== 0) {
      this.tag(1, 0);
      this.int32(code);
    }
    this.string(2, detail.message);
  }

  finish(): Buffer {
    if (this.pos !== this.buffer.length) throw new Error(`request encoder wrote ${this.pos} of ${this.buffer.length} bytes`);
    return this.buffer;
  }
}

function namesSize(names: readonly string[] | undefined): number {
  let size = 0;
  for (const name of names ?? []) size += lenFieldSize(Buffer.byteLength(name));
  return size;
}

function writeNames(writer: Writer, field: number, names: readonly string[] | undefined): void {
  for (const name of names ?? []) writer.element(field, name);
}

/** The repeated string field `field` holding `names`, encoded (for `resourceNamesWire`). */
export function encodeNames(field: number, names: readonly string[]): Buffer {
  const writer = new Writer(namesSize(names));
  writeNames(writer, field, names);
  return writer.finish();
}

/** Encodes a DiscoveryRequest. */
export function encodeSotwRequest(fields: SotwRequestFields): Buffer {
  const size =
    stringSize(fields.versionInfo) +
    (fields.node ? lenFieldSize(fields.node.length) : 0) +
    (fields.resourceNamesWire?.length ?? namesSize(fields.resourceNames)) +
    stringSize(fields.typeUrl) +
    stringSize(fields.responseNonce) +
    (fields.errorDetail ? lenFieldSize(statusBodySize(fields.errorDetail)) : 0);
  const writer = new Writer(size);
  writer.string(1, fields.versionInfo);
  if (fields.node) writer.bytes(2, fields.node);
  if (fields.resourceNamesWire) writer.raw(fields.resourceNamesWire);
  else writeNames(writer, 3, fields.resourceNames);
  writer.string(4, fields.typeUrl);
  writer.string(5, fields.responseNonce);
  if (fields.errorDetail) writer.status(6, fields.errorDetail);
  return writer.finish();
}

function mapEntrySize(key: string, value: string): number {
  return lenFieldSize(Buffer.byteLength(key)) + lenFieldSize(Buffer.byteLength(value));
}

/** Encodes a DeltaDiscoveryRequest. */
export function encodeDeltaRequest(fields: DeltaRequestFields): Buffer {
  let versionsSize = 0;
  for (const [key, value] of fields.initialVersions ?? []) versionsSize += lenFieldSize(mapEntrySize(key, value));
  const size =
    (fields.node ? lenFieldSize(fields.node.length) : 0) +
    stringSize(fields.typeUrl) +
    namesSize(fields.subscribe) +
    namesSize(fields.unsubscribe) +
    versionsSize +
    stringSize(fields.responseNonce ?? '') +
    (fields.errorDetail ? lenFieldSize(statusBodySize(fields.errorDetail)) : 0);
  const writer = new Writer(size);
  if (fields.node) writer.bytes(1, fields.node);
  writer.string(2, fields.typeUrl);
  writeNames(writer, 3, fields.subscribe);
  writeNames(writer, 4, fields.unsubscribe);
  for (const [key, value] of fields.initialVersions ?? []) {
    writer.tag(5, LEN);
    writer.varint(mapEntrySize(key, value));
    writer.element(1, key);
    writer.element(2, value);
  }
  writer.string(6, fields.responseNonce ?? '');
  if (fields.errorDetail) writer.status(7, fields.errorDetail);
  return writer.finish();
}
