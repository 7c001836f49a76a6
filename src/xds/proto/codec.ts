/**
 * Envoy protobuf types from proto/envoy-bundle.json (assembled by `npm run proto`), loaded once
 * per process. Field names keep their proto spelling (snake_case), as in Envoy's docs and YAML.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { fastEncode } from './fast-encoders.ts';

const BUNDLE_PATH = fileURLToPath(new URL('../../../proto/envoy-bundle.json', import.meta.url));

let root: protobuf.Root | undefined;
const typeCache = new Map<string, protobuf.Type>();

/** The protobufjs root holding every Envoy type Trellis uses. */
export function envoyRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(JSON.parse(readFileSync(BUNDLE_PATH, 'utf8')) as protobuf.INamespace);
  return root;
}

/** Looks up a message type by its full name (no leading dot), e.g. `envoy.config.cluster.v3.Cluster`. */
export function messageType(fullName: string): protobuf.Type {
  let type = typeCache.get(fullName);
  if (!type) {
    type = envoyRoot().lookupType(fullName);
    typeCache.set(fullName, type);
  }
  return type;
}

/**
 * Encodes a plain object (proto field names; `google.protobuf.Any` as `{'@type': url, ...fields}`;
 * durations as `{seconds, nanos}`; enums by name) into protobuf bytes. Unknown fields are dropped
 * silently by protobufjs, so tests check every builder's output with `validateEnvoyMessage`.
 */
export function encodeMessage(fullName: string, value: object): Uint8Array {
  const fast = fastEncode(fullName, value);
  if (fast) return fast;
  const type = messageType(fullName);
  return type.encode(type.fromObject(value)).finish();
}

/** Decodes protobuf bytes into a plain object with the same conventions as `encodeMessage` accepts. */
export function decodeMessage(fullName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(fullName);
  return type.toObject(type.decode(bytes), {
    longs: Number,
    enums: String,
    bytes: Buffer,
    defaults: false,
    json: true,
  }) as Record<string, unknown>;
}

// The `type_url` field of an Any, encoded once per type URL (a handful exist).
const typeUrlFields = new Map<string, Buffer>();

function varintBytes(n: number): number[] {
  const out: number[] = [];
  for (let v = n >>> 0; ; v >>>= 7) {
    if (v < 0x80) {
      out.push(v);
      return out;
    }
    out.push((v & 0x7f) | 0x80);
  }
}

/** Encodes `google.protobuf.Any { type_url, value }` around already-encoded message bytes. */
export function encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
  let head = typeUrlFields.get(typeUrl);
  if (!head) {
    const url = Buffer.from(typeUrl, 'utf8');
    head = Buffer.concat([Buffer.from([(1 << 3) | 2, ...varintBytes(url.length)]), url]);
    typeUrlFields.set(typeUrl, head);
  }
  // One allocation and two copies: [type_url field][tag, length][value].
  const length = varintBytes(value.length);
  const out = Buffer.allocUnsafe(head.length + 1 + length.length + value.length);
  head.copy(out, 0);
  let at = head.length;
  out[at++] = (2 << 3) | 2;
  for (const byte of length) out[at++] = byte;
  out.set(value, at);
  return out;
}
