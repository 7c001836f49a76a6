/**
 * A minimal DER writer and reader: just what X.509 certificates and PKCS#10 requests need.
 * Writing builds TLVs from byte arrays; reading splits a buffer into TLVs without interpreting
 * them, so callers keep the exact bytes (a signature covers the raw encoding).
 */

/** Universal and context tags used by certificates and requests. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One TLV: `tag` byte, `value` (the contents) and `raw` (the whole encoding). */
export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
  readonly raw: Buffer;
}

/** Thrown for malformed DER; callers turn it into a user-facing refusal. */
export class DerError extends Error {
  override readonly name = 'DerError';
  readonly kind = 'der';
}

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with the given tag around the concatenated contents. */
export function tlv(tag: number, ...contents: readonly Buffer[]): Buffer {
  const value = contents.length === 1 ? (contents[0] as Buffer) : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(value.length), value]);
}

export const sequence = (...items: readonly Buffer[]): Buffer => tlv(Tag.SEQUENCE, ...items);
export const set = (...items: readonly Buffer[]): Buffer => tlv(Tag.SET, ...items);
export const octetString = (bytes: Buffer): Buffer => tlv(Tag.OCTET_STRING, bytes);
export const utf8String = (text: string): Buffer => tlv(Tag.UTF8_STRING, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean): Buffer => tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
export const derNull = (): Buffer => Buffer.from([Tag.NULL, 0x00]);
/** Explicit context tag `[n]` (constructed). */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);

/** A BIT STRING with `unusedBits` padding bits in the last byte. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(Tag.BIT_STRING, Buffer.from([unusedBits]), bytes);
}

/** A non-negative INTEGER from big-endian bytes, minimally encoded. */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  const needsPad = ((trimmed[0] ?? 0) & 0x80) !== 0;
  return tlv(Tag.INTEGER, needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

const oidCache = new Map<string, Buffer>();

/** An OBJECT IDENTIFIER from dotted form; cached, since the same few OIDs recur. */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached !== undefined) return cached;
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    bytes.push(...chunk);
  }
  const encoded = tlv(Tag.OID, Buffer.from(bytes));
  oidCache.set(dotted, encoded);
  return encoded;
}

/** Decodes OID contents (the TLV's value) to dotted form. */
export function oidToString(value: Buffer): string {
  if (value.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const first = value[0] as number;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let n = 0;
  for (let i = 1; i < value.length; i += 1) {
    const byte = value[i] as number;
    n = n * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(n);
      n = 0;
    }
  }
  return arcs.join('.');
}

/** UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 4.1.2.5); whole seconds, UTC. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050 ? tlv(Tag.UTC_TIME, Buffer.from(digits.slice(2), 'ascii')) : tlv(Tag.GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

/** Reads the TLV at `offset` of `buffer`; throws DerError when it does not fit. */
export function readTlv(buffer: Buffer, offset = 0): Tlv {
  if (offset + 2 > buffer.length) throw new DerError('truncated DER');
  const tag = buffer[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let length = buffer[offset + 1] as number;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > buffer.length) throw new DerError('bad DER length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + (buffer[offset + 2 + i] as number);
    header += count;
  }
  const end = offset + header + length;
  if (end > buffer.length) throw new DerError('truncated DER');
  return { tag, value: buffer.subarray(offset + header, end), raw: buffer.subarray(offset, end) };
}

/** The TLVs inside a constructed value, in order. */
export function children(value: Buffer): Tlv[] {
  const items: Tlv[] = [];
  for (let offset = 0; offset < value.length;) {
    const item = readTlv(value, offset);
    items.push(item);
    offset += item.raw.length;
  }
  return items;
}

/** Reads exactly one TLV spanning `buffer`, checking its tag. */
export function readExactly(buffer: Buffer, tag: number, what: string): Tlv {
  const item = readTlv(buffer);
  if (item.raw.length !== buffer.length) throw new DerError(`${what}: trailing bytes after the DER value`);
  if (item.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${item.tag.toString(16)}`);
  return item;
}

/** Child `index` of a constructed TLV, checking the tag when given. */
export function child(parent: Tlv | readonly Tlv[], index: number, what: string, tag?: number): Tlv {
  const list = Array.isArray(parent) ? (parent as readonly Tlv[]) : children((parent as Tlv).value);
  const item = list[index];
  if (item === undefined) throw new DerError(`${what}: missing`);
  if (tag !== undefined && item.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${item.tag.toString(16)}`);
  return item;
}

/** PEM armor for DER bytes. */
export function toPem(label: string, der: Buffer): string {
  const base64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every PEM block with `label` in `text`, decoded, in order. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}
