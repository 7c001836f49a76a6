/**
 * The string formats protoc-gen-validate knows (`email`, `hostname`, `ip`, `uri`, ...) and its
 * well-known header regexes, as plain predicates. They follow PGV's Go implementation closely
 * enough that anything PGV (and so Envoy) rejects is rejected here too.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** RFC 1123 hostname as PGV checks it: labels of 1–63 letters, digits or inner hyphens, ≤ 253 bytes. */
export function isHostname(value: string): boolean {
  if (value.length > 253) return false;
  const host = value.endsWith('.') ? value.slice(0, -1) : value;
  if (host.length === 0) return false;
  for (const label of host.split('.')) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) return false;
  }
  return true;
}

/** An IP literal (v4 or v6) without a zone, as Go's net.ParseIP accepts. */
export function isIp(value: string): boolean {
  return isIpv4(value) || isIpv6(value);
}

/** A dotted-quad IPv4 literal. */
export function isIpv4(value: string): boolean {
  return isIPv4(value);
}

/** An IPv6 literal; zones (`%eth0`) are refused because net.ParseIP refuses them. */
export function isIpv6(value: string): boolean {
  return !value.includes('%') && isIPv6(value);
}

/** A hostname or an IP literal (PGV `address`). */
export function isAddress(value: string): boolean {
  return isIp(value) || isHostname(value);
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** RFC 4122 textual UUID, any version, either case. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const QUOTED_LOCAL = /^"(?:[^"\\\r\n]|\\.)*"$/;

/**
 * RFC 5322 address as PGV checks it: an optional display name with `<addr>`, a local part of at
 * most 64 bytes, a hostname domain, at most 254 bytes in all.
 */
export function isEmail(value: string): boolean {
  let addr = value.trim();
  const angled = /^[^<>]*<([^<>]+)>$/.exec(addr);
  if (angled?.[1] !== undefined) addr = angled[1];
  if (utf8Length(addr) > 254) return false;
  const at = addr.lastIndexOf('@');
  if (at <= 0) return false;
  const local = addr.slice(0, at);
  if (utf8Length(local) > 64) return false;
  if (!DOT_ATOM.test(local) && !QUOTED_LOCAL.test(local)) return false;
  return isHostname(addr.slice(at + 1));
}

// Characters Go's url.Parse refuses anywhere, and a percent sign not followed by two hex digits.
const URI_BAD_CHARS = /[\u0000-\u0020\u007f]|%(?![0-9A-Fa-f]{2})/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** An absolute URI: a scheme followed by anything url.Parse accepts. */
export function isUri(value: string): boolean {
  return URI_SCHEME.test(value) && !URI_BAD_CHARS.test(value);
}

/** A URI reference: absolute or relative (a relative one may not have a colon in its first segment). */
export function isUriRef(value: string): boolean {
  if (URI_BAD_CHARS.test(value)) return false;
  if (URI_SCHEME.test(value)) return true;
  const firstSegment = value.split(/[/?#]/, 1)[0] ?? '';
  return !firstSegment.includes(':');
}

/**
 * PGV's well-known regexes; `strict: false` only refuses NUL, CR and LF (for both kinds). The
 * name class keeps PGV's `+-.` range (which also admits `,`) so we match Envoy, not the RFC.
 */
const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

/** Well-known regex names as PGV's `KnownRegex` enum spells them, with their numbers. */
export const KNOWN_REGEX_NAMES: Readonly<Record<number, string>> = { 1: 'HTTP_HEADER_NAME', 2: 'HTTP_HEADER_VALUE' };

/**
 * The RegExp PGV applies for `well_known_regex` (by enum name or number), honouring `strict`
 * (default true); undefined for UNKNOWN or an unrecognized kind.
 */
export function wellKnownRegex(kind: string | number, strict: boolean): RegExp | undefined {
  const name = typeof kind === 'number' ? KNOWN_REGEX_NAMES[kind] : kind;
  if (name === 'HTTP_HEADER_NAME') return strict ? HEADER_NAME_STRICT : HEADER_LOOSE;
  if (name === 'HTTP_HEADER_VALUE') return strict ? HEADER_VALUE_STRICT : HEADER_LOOSE;
  return undefined;
}

/** Byte length of a string once UTF-8 encoded (what PGV's `*_bytes` rules count). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** Length in code points ("runes"), what PGV's `len`, `min_len`, `max_len` count for strings. */
export function runeLength(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
