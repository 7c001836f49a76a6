/**
 * Lean protobuf wire helpers for the hot paths: walking a message's top-level fields without
 * decoding it, and writing length-delimited fields around bytes that are already encoded.
 * Used by the ADS server (responses, warming) and the ADS client (responses, references).
 */
import protobuf from 'protobufjs';

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/**
 * Calls `visit` for each top-level varint (as a number, truncated to 32 bits) and
 * length-delimited field (as a zero-copy view) of `bytes`; other wire types are skipped.
 * Throws on malformed input.
 */
export function scanFields(bytes: Uint8Array, visit: (field: number, value: number | Uint8Array) => void): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === WIRE_LEN) visit(field, reader.bytes());
    else if (wire === WIRE_VARINT) visit(field, reader.uint32());
    else reader.skipType(wire);
  }
}

const decoder = new TextDecoder();

/** UTF-8 text of a length-delimited string field. */
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** The `type_url` and `value` of an encoded `google.protobuf.Any`. */
export function splitAny(any: Uint8Array): { typeUrl: string; value: Uint8Array } {
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array(0);
  scanFields(any, (field, v) => {
    if (field === 1 && typeof v !== 'number') typeUrl = utf8(v);
    else if (field === 2 && typeof v !== 'number') value = v;
  });
  return { typeUrl, value };
}

/** The first string field numbered `field` in `bytes`, or undefined. */
export function stringFieldOf(bytes: Uint8Array, field: number): string | undefined {
  let found: string | undefined;
  scanFields(bytes, (f, v) => {
    if (found === undefined && f === field && typeof v !== 'number') found = utf8(v);
  });
  return found;
}

/**
 * Every xDS resource Trellis serves (Cluster, ClusterLoadAssignment, Listener,
 * RouteConfiguration, ScopedRouteConfiguration, Secret) keeps its name in field 1, so a SotW resource's name can be read
 * from its Any without decoding it.
 */
export function resourceNameOfAny(any: Uint8Array): string {
  return stringFieldOf(splitAny(any).value, 1) ?? '';
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
