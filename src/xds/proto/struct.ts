/**
 * google.protobuf.Struct in the codec's form. protobufjs' bundled struct.proto names the Value
 * fields in camelCase (`stringValue`, `structValue`, ...) and has no JSON mapping for Struct, so
 * plain JSON must be converted before encoding, and back for proto3 JSON output.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Plain JSON object → Struct `{fields: {k: Value}}`. */
export function toStruct(json: Readonly<Record<string, unknown>>): { fields: Record<string, object> } {
  const fields: Record<string, object> = {};
  for (const [key, value] of Object.entries(json)) if (value !== undefined) fields[key] = toValue(value);
  return { fields };
}

/** Plain JSON value → Value. Non-JSON values (functions, symbols) become null. */
export function toValue(value: unknown): object {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  if (typeof value === 'object') return { structValue: toStruct(value as Record<string, unknown>) };
  return { nullValue: 'NULL_VALUE' };
}

/** Struct `{fields}` → plain JSON object. */
export function fromStruct(struct: unknown): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const fields = struct && typeof struct === 'object' ? (struct as { fields?: unknown }).fields : undefined;
  if (!fields || typeof fields !== 'object') return out;
  for (const [key, value] of Object.entries(fields as Record<string, unknown>)) out[key] = fromValue(value);
  return out;
}

/** Value → plain JSON value. */
export function fromValue(value: unknown): JsonValue {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v['stringValue'] === 'string') return v['stringValue'];
  if (typeof v['numberValue'] === 'number') return v['numberValue'];
  if (typeof v['boolValue'] === 'boolean') return v['boolValue'];
  if (v['structValue'] !== undefined) return fromStruct(v['structValue']);
  if (v['listValue'] !== undefined) {
    const values = (v['listValue'] as { values?: unknown }).values;
    return Array.isArray(values) ? values.map(fromValue) : [];
  }
  return null;
}
