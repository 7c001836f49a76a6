/**
 * Proves a plain message survives the codec: encode, decode, and compare with the input after
 * normalizing what legitimately changes (proto3 defaults dropped, 64-bit ints as numbers or
 * strings, enums by name or number, bytes as base64 or buffers, float32 precision). Any other
 * difference is something protobufjs silently lost or coerced.
 */
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import { decodeMessage, encodeMessage } from './codec.ts';
import { is64Bit, isScalarKind } from './scalar-values.ts';
import { nameOf, resolveType } from './validate-plan.ts';

const JSON_FLOATS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * Differences between `value` and its encode→decode round trip as `fullName` (type URL prefix
 * and leading dot tolerated), one line each with the field path; empty when lossless.
 */
export function roundTripProblems(fullName: string, value: unknown): string[] {
  const name = fullName.slice(fullName.lastIndexOf('/') + 1);
  const type = resolveType(name);
  if (type === undefined) return [`unknown message type ${fullName}`];
  if (!isRecord(value)) return ['value is not a plain object'];
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeMessage(nameOf(type), encodeMessage(nameOf(type), value));
  } catch (error) {
    return [`encoding failed: ${error instanceof Error ? error.message : String(error)}`];
  }
  const diffs: string[] = [];
  compare(normalizeMessage(type, value, false), normalizeMessage(type, decoded, false), '', diffs);
  return diffs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** `secret`: inside a `(udpa.annotations.sensitive)` field, where strings and bytes become digests. */
function normalizeMessage(type: protobuf.Type, value: Record<string, unknown>, secret: boolean): Record<string, unknown> {
  if (type.fullName === '.google.protobuf.Any') return normalizeAny(value, secret);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (raw === undefined || raw === null) continue;
    const field = type.fields[key];
    if (field === undefined) {
      out[key] = raw; // unknown: kept so the comparison reports it lost
      continue;
    }
    field.resolve();
    const inner = secret || field.options?.['(udpa.annotations.sensitive)'] === true;
    if (field.map) {
      if (!isRecord(raw)) out[key] = raw;
      else if (Object.keys(raw).length > 0) {
        out[key] = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, normalizeValue(field, v, inner)]));
      }
    } else if (field.repeated) {
      if (!Array.isArray(raw)) out[key] = raw;
      else if (raw.length > 0) out[key] = raw.map((item: unknown) => normalizeValue(field, item, inner));
    } else {
      const normalized = normalizeValue(field, raw, inner);
      const hasPresence = field.partOf !== null || field.resolvedType instanceof protobuf.Type;
      if (hasPresence || normalized !== defaultOf(field)) out[key] = normalized;
    }
  }
  return out;
}

function normalizeAny(value: Record<string, unknown>, secret: boolean): Record<string, unknown> {
  const url = value['@type'];
  if (typeof url === 'string') {
    const inner = resolveType(url.slice(url.lastIndexOf('/') + 1));
    const { ['@type']: _url, ...fields } = value;
    return inner ? { '@type': url, ...normalizeMessage(inner, fields, secret) } : { ...value };
  }
  const typeUrl = value['type_url'];
  const bytes = value['value'];
  const inner = typeof typeUrl === 'string' ? resolveType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1)) : undefined;
  // The codec decodes a packed Any into the `@type` form, so compare in that form.
  if (inner && typeof typeUrl === 'string' && bytes instanceof Uint8Array) {
    return { '@type': typeUrl, ...normalizeMessage(inner, decodeMessage(nameOf(inner), bytes), secret) };
  }
  return { ...value };
}

function normalizeValue(field: protobuf.Field, raw: unknown, secret: boolean): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return isRecord(raw) ? normalizeMessage(resolved, raw, secret) : raw;
  if (resolved instanceof protobuf.Enum) return typeof raw === 'number' ? (resolved.valuesById[raw] ?? raw) : raw;
  if (!isScalarKind(field.type)) return raw;
  const kind = field.type;
  if (is64Bit(kind)) {
    return (typeof raw === 'number' && Number.isInteger(raw)) || (typeof raw === 'string' && /^-?\d+$/.test(raw)) ? String(BigInt(raw)) : raw;
  }
  if (kind === 'float' || kind === 'double') {
    const n = typeof raw === 'string' ? JSON_FLOATS[raw] : raw;
    if (typeof n !== 'number') return raw;
    return kind === 'float' ? Math.fround(n) : n;
  }
  let text = raw;
  if (kind === 'bytes') {
    if (raw instanceof Uint8Array) text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
    else if (typeof raw === 'string') text = Buffer.from(raw, 'base64').toString('base64');
  }
  // Secrets are compared by digest so a failure message never prints key material.
  if (secret && typeof text === 'string' && text !== '') return `(sensitive sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)})`;
  return text;
}

function defaultOf(field: protobuf.Field): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[0] ?? 0;
  if (field.type === 'string' || field.type === 'bytes') return '';
  if (field.type === 'bool') return false;
  return isScalarKind(field.type) && is64Bit(field.type) ? '0' : 0;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function compare(sent: unknown, got: unknown, path: string, diffs: string[]): void {
  const at = path === '' ? '(root)' : path;
  if (sent === undefined && got === undefined) return;
  if (got === undefined) {
    diffs.push(`${at}: lost in encoding (sent ${show(sent)})`);
  } else if (sent === undefined) {
    diffs.push(`${at}: appeared after decoding (${show(got)})`);
  } else if (isRecord(sent) && isRecord(got)) {
    for (const key of new Set([...Object.keys(sent), ...Object.keys(got)])) compare(sent[key], got[key], join(path, key), diffs);
  } else if (Array.isArray(sent) && Array.isArray(got)) {
    if (sent.length !== got.length) diffs.push(`${at}: sent ${sent.length} items, decoded ${got.length}`);
    else sent.forEach((item: unknown, index) => compare(item, got[index], `${path}[${index}]`, diffs));
  } else if (!(sent === got || Object.is(sent, got))) {
    diffs.push(`${at}: sent ${show(sent)}, decoded ${show(got)}`);
  }
}
