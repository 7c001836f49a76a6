/**
 * Lean protobuf wire helpers for the hot paths: walking a message's top-level fields without
 * decoding it, and writing length-delimited fields around bytes that are already encoded.
 * Used by the ADS server (responses, warming) and the ADS client (responses, references).
 */
import protobuf from 'protobufjs';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/**
 * Visits the top-level fields of `bytes[start, end)` without allocating: a varint comes as
 * `(field, WIRE_VARINT, value)` (truncated to 32 bits), a length-delimited field as
 * `(field, WIRE_LEN, from, to)`; fixed-width fields are skipped. `visit` returns true to stop.
 * Throws on malformed input (truncated data, groups, unknown wire types).
 */
function forEachField(
  bytes: Uint8Array,
  start: number,
  end: number,
  visit: (field: number, wire: number, a: number, b: number) => boolean | void,
): void {
  let pos = start;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) throw new RangeError('truncated varint');
      const byte = bytes[pos++] ?? 0;
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
      if (shift > 63) throw new RangeError('varint longer than 10 bytes');
    }
  };
  while (pos < end) {
    const tag = varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === WIRE_LEN) {
      const length = varint();
      const from = pos;
      pos += length;
      if (pos > end) throw new RangeError(`field ${field} runs past the end of the message`);
      if (visit(field, WIRE_LEN, from, pos) === true) return;
    } else if (wire === WIRE_VARINT) {
      if (visit(field, WIRE_VARINT, varint(), 0) === true) return;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      pos += wire === WIRE_FIXED64 ? 8 : 4;
      if (pos > end) throw new RangeError(`field ${field} runs past the end of the message`);
    } else {
      throw new RangeError(`unsupported wire type ${wire} (field ${field})`);
    }
  }
}

/**
 * Calls `visit` for each top-level varint (as a number, truncated to 32 bits) and
 * length-delimited field (as a zero-copy view) of `bytes`; other wire types are skipped.
 * Throws on malformed input.
 */
export function scanFields(bytes: Uint8Array, visit: (field: number, value: number | Uint8Array) => void): void {
  forEachField(bytes, 0, bytes.length, (field, wire, a, b) => {
    visit(field, wire === WIRE_LEN ? bytes.subarray(a, b) : a);
  });
}

const decoder = new TextDecoder();

/** UTF-8 text of `bytes[from, to)` (Buffer's native decoding when it is one: the fastest here). */
function textAt(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8', from, to) : decoder.decode(bytes.subarray(from, to));
}

/** UTF-8 text of a length-delimited string field. */
export function utf8(bytes: Uint8Array): string {
  return textAt(bytes, 0, bytes.length);
}

/** The `type_url` and `value` of an encoded `google.protobuf.Any`. */
export function splitAny(any: Uint8Array): { typeUrl: string; value: Uint8Array } {
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array(0);
  forEachField(any, 0, any.length, (field, wire, a, b) => {
    if (wire !== WIRE_LEN) return;
    if (field === 1) typeUrl = textAt(any, a, b);
    else if (field === 2) value = any.subarray(a, b);
  });
  return { typeUrl, value };
}

/** The first string field numbered `field` in `bytes[start, end)`, or undefined. */
function stringFieldIn(bytes: Uint8Array, start: number, end: number, field: number): string | undefined {
  let found: string | undefined;
  forEachField(bytes, start, end, (f, wire, a, b) => {
    if (f !== field || wire !== WIRE_LEN) return false;
    found = textAt(bytes, a, b);
    return true;
  });
  return found;
}

/** The first string field numbered `field` in `bytes`, or undefined. */
export function stringFieldOf(bytes: Uint8Array, field: number): string | undefined {
  return stringFieldIn(bytes, 0, bytes.length, field);
}

/**
 * Every xDS resource Trellis serves (Cluster, ClusterLoadAssignment, Listener,
 * RouteConfiguration, ScopedRouteConfiguration, Secret) keeps its name in field 1, so a SotW
 * resource's name can be read from its Any without decoding it (or copying anything).
 */
export function resourceNameOfAny(any: Uint8Array): string {
  let name = '';
  forEachField(any, 0, any.length, (field, wire, a, b) => {
    if (field !== 2 || wire !== WIRE_LEN) return false;
    name = stringFieldIn(any, a, b, 1) ?? '';
    return true;
  });
  return name;
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
  scanFields(cluster, (field, v) => {
    if (field === 1 && typeof v !== 'number') name = utf8(v);
    else if (field === 2 && typeof v === 'number') isEds = v === CLUSTER_TYPE_EDS;
    else if (field === 3 && typeof v !== 'number') serviceName = stringFieldOf(v, 2) ?? '';
  });
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
