/**
 * Lean protobuf wire helpers for the hot paths: walking a message's top-level fields without
 * decoding it, and writing length-delimited fields around bytes that are already encoded.
 * Used by the ADS server (requests, responses, warming) and the ADS client (responses, references).
 */
import protobuf from 'protobufjs';

export const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const decoder = new TextDecoder();

/** UTF-8 text of `bytes[from, to)` (Buffer's native decoding when it is one: the fastest here). */
function textAt(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8', from, to) : decoder.decode(bytes.subarray(from, to));
}

/**
 * Walks the top-level fields of `bytes[start, limit)` one by one without allocating (no views, no
 * closures: the hot paths read thousands of names per message). After `next()` returns true,
 * `field` and `wire` describe the field; a varint's value is `value` (truncated to 32 bits); a
 * length-delimited field spans `bytes[from, to)` (`text()`, `view()`). Fixed-width fields are
 * skipped. Throws RangeError on malformed input (truncated data, groups, unknown wire types).
 */
export class FieldCursor {
  /** Offset of the current field's tag. */
  start = 0;
  field = 0;
  wire = 0;
  value = 0;
  from = 0;
  to = 0;
  private pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    private readonly limit = bytes.length,
  ) {
    this.pos = start;
  }

  next(): boolean {
    const limit = this.limit;
    while (this.pos < limit) {
      this.start = this.pos;
      const tag = this.varint();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === WIRE_LEN) {
        const length = this.varint();
        const from = this.pos;
        const to = from + length;
        if (to > limit) throw new RangeError(`field ${field} runs past the end of the message`);
        this.pos = to;
        this.field = field;
        this.wire = wire;
        this.from = from;
        this.to = to;
        return true;
      }
      if (wire === WIRE_VARINT) {
        this.value = this.varint();
        this.field = field;
        this.wire = wire;
        return true;
      }
      if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
        this.pos += wire === WIRE_FIXED64 ? 8 : 4;
        if (this.pos > limit) throw new RangeError(`field ${field} runs past the end of the message`);
        continue;
      }
      throw new RangeError(`unsupported wire type ${wire} (field ${field})`);
    }
    return false;
  }

  /**
   * Moves over every directly following field with the same one-byte tag as the current
   * length-delimited one (a repeated string written in a row), leaving the cursor on the last of
   * them. A SotW ACK repeats its subscription, thousands of names, and this tight loop walks them
   * about twice as fast as `next()` per name. Throws RangeError as `next()` does, and on a length
   * of 256 MiB or more.
   */
  skipRepeats(): void {
    const { bytes, limit } = this;
    const tag = bytes[this.start] ?? 0;
    if (this.wire !== WIRE_LEN || tag >= 0x80) return;
    let pos = this.pos;
    while (pos < limit && bytes[pos] === tag) {
      const start = pos;
      pos += 1;
      let length = 0;
      let shift = 0;
      for (;;) {
        if (pos >= limit) throw new RangeError('truncated varint');
        const byte = bytes[pos++] ?? 0;
        length |= (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
        shift += 7;
        // Four length bytes reach 256 MiB, four times any message a reader accepts.
        if (shift > 21) throw new RangeError(`field ${this.field} is longer than 256 MiB`);
      }
      const to = pos + length;
      if (to > limit) throw new RangeError(`field ${this.field} runs past the end of the message`);
      this.start = start;
      this.from = pos;
      this.to = to;
      pos = to;
    }
    this.pos = pos;
  }

  /** True when the current field is length-delimited. */
  get isLen(): boolean {
    return this.wire === WIRE_LEN;
  }

  /** UTF-8 text of the current length-delimited field. */
  text(): string {
    return textAt(this.bytes, this.from, this.to);
  }

  /** Zero-copy view of the current length-delimited field. */
  view(): Uint8Array {
    return this.bytes.subarray(this.from, this.to);
  }

  private varint(): number {
    const { bytes, limit } = this;
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= limit) throw new RangeError('truncated varint');
      const byte = bytes[this.pos++] ?? 0;
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
      if (shift > 63) throw new RangeError('varint longer than 10 bytes');
    }
  }
}

/**
 * Calls `visit` for each top-level varint (as a number, truncated to 32 bits) and
 * length-delimited field (as a zero-copy view) of `bytes`; other wire types are skipped.
 * Throws on malformed input.
 */
export function scanFields(bytes: Uint8Array, visit: (field: number, value: number | Uint8Array) => void): void {
  const cursor = new FieldCursor(bytes);
  while (cursor.next()) visit(cursor.field, cursor.isLen ? cursor.view() : cursor.value);
}

/** UTF-8 text of a length-delimited string field. */
export function utf8(bytes: Uint8Array): string {
  return textAt(bytes, 0, bytes.length);
}

/** The `type_url` and `value` of an encoded `google.protobuf.Any`. */
export function splitAny(any: Uint8Array): { typeUrl: string; value: Uint8Array } {
  let typeUrl = '';
  let value: Uint8Array | undefined;
  const cursor = new FieldCursor(any);
  while (cursor.next()) {
    if (!cursor.isLen) continue;
    if (cursor.field === 1) typeUrl = cursor.text();
    else if (cursor.field === 2) value = cursor.view();
  }
  return { typeUrl, value: value ?? new Uint8Array(0) };
}

/** The `value` of an encoded `google.protobuf.Any` (a view), its type URL not read. */
export function anyValueOf(any: Uint8Array): Uint8Array {
  const cursor = new FieldCursor(any);
  while (cursor.next()) if (cursor.field === 2 && cursor.isLen) return cursor.view();
  return any.subarray(0, 0);
}

/** Turns `bytes[from, to)` into a string (UTF-8 text by default; the ADS client interns). */
type ReadText = (bytes: Uint8Array, from: number, to: number) => string;

/** The first string field numbered `field` in `bytes[start, end)`, read by `read`, or undefined. */
function stringFieldIn(bytes: Uint8Array, start: number, end: number, field: number, read: ReadText = textAt): string | undefined {
  const cursor = new FieldCursor(bytes, start, end);
  while (cursor.next()) if (cursor.field === field && cursor.isLen) return read(bytes, cursor.from, cursor.to);
  return undefined;
}

/** The first string field numbered `field` in `bytes`, or undefined. */
export function stringFieldOf(bytes: Uint8Array, field: number): string | undefined {
  return stringFieldIn(bytes, 0, bytes.length, field);
}

/**
 * Every xDS resource Trellis serves (Cluster, ClusterLoadAssignment, Listener,
 * RouteConfiguration, ScopedRouteConfiguration, Secret) keeps its name in field 1, so a SotW
 * resource's name can be read from its Any without decoding it (or copying anything). `read`
 * turns the name's bytes into the string (the ADS client's interns them).
 */
export function resourceNameOfAny(any: Uint8Array, start = 0, end = any.length, read: ReadText = textAt): string {
  const cursor = new FieldCursor(any, start, end);
  while (cursor.next()) if (cursor.field === 2 && cursor.isLen) return stringFieldIn(any, cursor.from, cursor.to, 1, read) ?? '';
  return '';
}

const CLUSTER_TYPE_EDS = 3;

/**
 * The ClusterLoadAssignment name an encoded Cluster (the message, not its Any) waits for:
 * `eds_cluster_config.service_name`, else the cluster name; undefined unless `type: EDS`.
 */
export function edsNameOfCluster(cluster: Uint8Array): string | undefined {
  let name = '';
  let serviceName = '';
  let isEds = false;
  const cursor = new FieldCursor(cluster);
  while (cursor.next()) {
    if (cursor.field === 1 && cursor.isLen) name = cursor.text();
    else if (cursor.field === 2 && !cursor.isLen) isEds = cursor.value === CLUSTER_TYPE_EDS;
    else if (cursor.field === 3 && cursor.isLen) serviceName = stringFieldIn(cluster, cursor.from, cursor.to, 2) ?? '';
  }
  return isEds ? serviceName || name : undefined;
}

/** A small builder of concatenated fields; `finish` returns one buffer. */
export function fieldWriter(): {
  bytes(field: number, value: Uint8Array): void;
  string(field: number, value: string): void;
  finish(): Uint8Array;
} {
  const writer = protobuf.Writer.create();
  return {
    bytes(field, value) {
      writer.uint32((field << 3) | WIRE_LEN).bytes(value);
    },
    string(field, value) {
      if (value !== '') writer.uint32((field << 3) | WIRE_LEN).string(value);
    },
    finish: () => writer.finish(),
  };
}
