/**
 * Converts a plain object in the codec's conventions into proto3 JSON, the form Envoy reads from
 * YAML/JSON files: durations as "1.5s", wrapper types as bare values, 64-bit integers as strings.
 * Struct as plain JSON. Any values keep `@type` and are converted by their own type.
 */
import protobuf from 'protobufjs';
import { envoyRoot, messageType } from './codec.ts';
import { fromStruct, fromValue } from './struct.ts';

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue', '.google.protobuf.FloatValue', '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value', '.google.protobuf.Int32Value', '.google.protobuf.UInt32Value',
  '.google.protobuf.BoolValue', '.google.protobuf.StringValue', '.google.protobuf.BytesValue',
]);

/** Proto3 JSON for `value`, a message of type `fullName`. */
export function toProto3Json(fullName: string, value: unknown): unknown {
  return convertMessage(messageType(fullName), value);
}

function convertMessage(type: protobuf.Type, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const full = type.fullName;
  const record = value as Record<string, unknown>;
  if (full === '.google.protobuf.Duration') return formatDuration(record);
  if (WRAPPERS.has(full)) return record['value'];
  if (full === '.google.protobuf.Struct') return fromStruct(value);
  if (full === '.google.protobuf.Value') return fromValue(value);
  if (full === '.google.protobuf.Any') {
    const url = record['@type'];
    if (typeof url !== 'string') return value;
    const inner = envoyRoot().lookupType(url.slice(url.lastIndexOf('/') + 1));
    const { '@type': _dropped, ...fields } = record;
    return { '@type': url, ...(convertMessage(inner, fields) as Record<string, unknown>) };
  }
  const out: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(record)) {
    const field = type.fields[name];
    out[name] = field ? convertField(field, fieldValue) : fieldValue;
  }
  return out;
}

function convertField(field: protobuf.Field, value: unknown): unknown {
  field.resolve();
  const one = (item: unknown): unknown => {
    if (field.resolvedType instanceof protobuf.Type) return convertMessage(field.resolvedType, item);
    if (INT64_TYPES.has(field.type) && (typeof item === 'number' || typeof item === 'bigint')) return String(item);
    return item;
  };
  if (field.map && value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, one(v)]));
  }
  if (field.repeated && Array.isArray(value)) return value.map(one);
  return one(value);
}

function formatDuration(record: Record<string, unknown>): string {
  const seconds = Number(record['seconds'] ?? 0);
  const nanos = Number(record['nanos'] ?? 0);
  if (nanos === 0) return `${seconds}s`;
  const fraction = (Math.abs(nanos) / 1e9).toFixed(9).slice(1).replace(/0+$/, '');
  return `${seconds}${fraction}s`;
}
