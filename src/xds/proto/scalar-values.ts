/**
 * Reading plain-object scalars the way the codec encodes them, refusing what protobufjs would
 * coerce silently (`'false'` → true, 1.5 → 1 for int32, 2^32 → 0 for uint32, unknown enum name → 0).
 */
import type protobuf from 'protobufjs';
import type { ScalarKind, ScalarValue } from './validate-types.ts';

const SCALARS: ReadonlySet<string> = new Set<ScalarKind>([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

/** True for protobuf scalar type names (not enums, not messages). */
export function isScalarKind(name: string): name is ScalarKind {
  return SCALARS.has(name);
}

/** True for the 64-bit integer kinds, whose values are read as bigint. */
export function is64Bit(kind: ScalarKind): boolean {
  return kind === 'int64' || kind === 'uint64' || kind === 'sint64' || kind === 'fixed64' || kind === 'sfixed64';
}

/** The proto3 default of a scalar kind, in the form `readScalar` returns. */
export function defaultScalar(kind: ScalarKind): ScalarValue {
  if (kind === 'string') return '';
  if (kind === 'bool') return false;
  if (kind === 'bytes') return EMPTY_BYTES;
  return is64Bit(kind) ? 0n : 0;
}

const EMPTY_BYTES = new Uint8Array(0);
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const JSON_FLOATS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

export type ReadResult = { readonly value: ScalarValue } | { readonly error: string };

/** Reads a scalar for `kind`, or explains why the codec would mangle it. */
export function readScalar(kind: ScalarKind, raw: unknown): ReadResult {
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? { value: raw } : { error: `expected a string, got ${describe(raw)}` };
    case 'bool':
      return typeof raw === 'boolean' ? { value: raw } : { error: `expected a boolean, got ${describe(raw)}` };
    case 'bytes':
      if (raw instanceof Uint8Array) return { value: raw };
      if (typeof raw === 'string' && BASE64.test(raw)) return { value: Buffer.from(raw, 'base64') };
      return { error: `expected bytes (Uint8Array or base64 string), got ${describe(raw)}` };
    case 'double':
    case 'float':
      return readFloat(kind, raw);
    default:
      return is64Bit(kind) ? readInt64(kind, raw) : readInt32(kind, raw);
  }
}

function readFloat(kind: 'double' | 'float', raw: unknown): ReadResult {
  const value = typeof raw === 'string' ? JSON_FLOATS[raw] : raw;
  if (typeof value !== 'number') return { error: `expected a number, got ${describe(raw)}` };
  if (kind === 'float' && Number.isFinite(value) && Math.abs(value) > FLOAT_MAX) {
    return { error: `${value} overflows a 32-bit float` };
  }
  return { value };
}

function readInt32(kind: ScalarKind, raw: unknown): ReadResult {
  if (typeof raw !== 'number' || !Number.isInteger(raw)) return { error: `expected an integer, got ${describe(raw)}` };
  const unsigned = kind === 'uint32' || kind === 'fixed32';
  const [min, max] = unsigned ? [0, UINT32_MAX] : [INT32_MIN, INT32_MAX];
  if (raw < min || raw > max) return { error: `${raw} is out of range for ${kind}` };
  return { value: raw };
}

function readInt64(kind: ScalarKind, raw: unknown): ReadResult {
  let value: bigint;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { error: `expected an integer, got ${raw}` };
    if (!Number.isSafeInteger(raw)) return { error: `${raw} is not exact in a JS number; pass a decimal string` };
    value = BigInt(raw);
  } else if (typeof raw === 'string' && /^-?\d+$/.test(raw)) {
    value = BigInt(raw);
  } else {
    return { error: `expected an integer (number or decimal string), got ${describe(raw)}` };
  }
  const unsigned = kind === 'uint64' || kind === 'fixed64';
  const [min, max] = unsigned ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
  if (value < min || value > max) return { error: `${value} is out of range for ${kind}` };
  return { value };
}

/** Reads an enum value given by name or number; unknown names are errors (the codec drops them). */
export function readEnum(type: protobuf.Enum, raw: unknown): { value: number } | { error: string; unknownName?: true } {
  if (typeof raw === 'string') {
    const value = type.values[raw];
    return value === undefined ? { error: `'${raw}' is not a value of ${type.name}`, unknownName: true } : { value };
  }
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= INT32_MIN && raw <= INT32_MAX) return { value: raw };
  return { error: `expected an enum name or integer, got ${describe(raw)}` };
}

/** A short, secret-free description of a value's JS type for error messages. */
export function describe(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  if (raw instanceof Uint8Array) return 'bytes';
  if (typeof raw === 'number') return `number ${raw}`;
  return typeof raw === 'object' ? 'an object' : typeof raw;
}
