/**
 * The validation context and the typed field readers every document validator uses. Readers take
 * a raw YAML value and its path, report what is wrong (expected vs got, what is allowed) and
 * return the typed value, or undefined when the value is absent or invalid. Nothing throws.
 */
import { hint } from './did-you-mean.ts';
import { parseDuration } from './duration.ts';
import type { Path } from './paths.ts';

export interface Checker {
  /** Records a problem at `path` (relative to the document root). */
  fail(path: Path, message: string, severity?: 'error' | 'warning'): void;
}

export interface PathProblem {
  readonly path: Path;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** A checker that collects its problems in `problems`. */
export function collectingChecker(): Checker & { readonly problems: PathProblem[] } {
  const problems: PathProblem[] = [];
  return { problems, fail: (path, message, severity = 'error') => problems.push({ path, message, severity }) };
}

export const MAX_INT = 2_147_483_647;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** HTTP header names as Envoy stores them: lowercase RFC 7230 tokens. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const PSEUDO_HEADERS = new Set([':authority', ':method', ':path', ':scheme']);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) &&
    !(value instanceof Map) && !(value instanceof Set) && !(value instanceof Uint8Array);
}

/** `the string "x"`, `the number 5`, `a list`, `a mapping`, `null`: for "expected X, got Y". */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  if (isRecord(value)) return 'a mapping';
  return `a ${Object.prototype.toString.call(value).slice(8, -1).toLowerCase()}`;
}

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** True for `name.namespace` with both parts DNS labels. */
export function isServiceKey(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 2 && parts.every((part) => isDnsLabel(part));
}

export function isHeaderName(value: string, allowPseudo = false): boolean {
  return value.length <= 256 && (HEADER_NAME.test(value) || (allowPseudo && PSEUDO_HEADERS.has(value)));
}

/** Kubernetes label key rules (optional DNS-subdomain prefix and '/'), as the registry applies them. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !prefix.split('.').every(isDnsLabel))) {
    return 'label key prefix (before \'/\') must be a DNS subdomain';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return 'label keys are 1..63 letters, digits, \'-\', \'_\', \'.\' starting and ending with a letter or digit ' +
      '(optionally prefixed by a DNS subdomain and \'/\')';
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && LABEL_NAME.test(value))) return undefined;
  return 'label values are empty or at most 63 letters, digits, \'-\', \'_\', \'.\' starting and ending with a letter or digit';
}

/**
 * A mapping with only `allowed` keys. Unknown keys are reported with a did-you-mean hint; keys in
 * `forbidden` get their own message (known fields that this place does not take).
 */
export function readObject(
  c: Checker, value: unknown, path: Path, allowed: readonly string[], what: string,
  forbidden: Readonly<Record<string, string>> = {},
): Record<string, unknown> | undefined {
  if (!isRecord(value)) {
    c.fail(path, `expected ${what} (a mapping with fields ${allowed.join(', ')}), got ${describeValue(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const reason = Object.hasOwn(forbidden, key) ? forbidden[key] : undefined;
    if (reason !== undefined) c.fail([...path, key], reason);
    else c.fail([...path, key], `unknown field "${key}"${hint(key, allowed)}; allowed fields: ${allowed.join(', ')}`);
  }
  return value;
}

/** A mapping with arbitrary keys (label selectors, header maps). */
export function readMap(c: Checker, value: unknown, path: Path, what: string): Record<string, unknown> | undefined {
  if (isRecord(value)) return value;
  c.fail(path, `expected ${what} (a mapping), got ${describeValue(value)}`);
  return undefined;
}

export function readList(c: Checker, value: unknown, path: Path, what: string): readonly unknown[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  c.fail(path, `expected ${what} (a list), got ${describeValue(value)}`);
  return undefined;
}

export function readString(c: Checker, value: unknown, path: Path, what = 'a string'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  const quote = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: "${String(value)}")` : '';
  c.fail(path, `expected ${what}, got ${describeValue(value)}${quote}`);
  return undefined;
}

export function readBoolean(c: Checker, value: unknown, path: Path): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  c.fail(path, `expected true or false, got ${describeValue(value)}`);
  return undefined;
}

/** A number in [min, max]; `integer` also requires a whole number. */
export function readNumber(
  c: Checker, value: unknown, path: Path, min: number, max: number, integer: boolean, what?: string,
): number | undefined {
  if (value === undefined) return undefined;
  const kind = what ?? (integer ? `an integer ${min}..${max}` : `a number ${min}..${max}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    c.fail(path, `expected ${kind}, got ${describeValue(value)}`);
    return undefined;
  }
  if (integer && !Number.isInteger(value)) {
    c.fail(path, `expected ${kind}, got ${value} (not a whole number)`);
    return undefined;
  }
  if (value < min || value > max) {
    c.fail(path, `expected ${kind}, got ${value} (out of range)`);
    return undefined;
  }
  return value;
}

export function readPercent(c: Checker, value: unknown, path: Path): number | undefined {
  return readNumber(c, value, path, 0, 100, false, 'a percentage 0..100 (decimals allowed)');
}

/** A positive integer (≥ 1). */
export function readCount(c: Checker, value: unknown, path: Path): number | undefined {
  return readNumber(c, value, path, 1, MAX_INT, true, `a positive integer (1..${MAX_INT})`);
}

/** A duration in milliseconds; `positive` rejects 0. */
export function readDuration(c: Checker, value: unknown, path: Path, positive = false): number | undefined {
  if (value === undefined) return undefined;
  const result = parseDuration(value);
  if (!result.ok) {
    c.fail(path, result.problem);
    return undefined;
  }
  if (positive && result.ms === 0) {
    c.fail(path, 'must be longer than 0 (e.g. 10s)');
    return undefined;
  }
  return result.ms;
}

/** One of `values` (exact spelling); the message lists them and suggests the closest. */
export function readEnum<T extends string>(c: Checker, value: unknown, path: Path, values: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const found = values.find((candidate) => candidate === value);
  if (found !== undefined) return found;
  const text = typeof value === 'string' ? value : '';
  c.fail(path, `expected one of ${values.join(', ')}, got ${describeValue(value)}${text === '' ? '' : hint(text, values)}`);
  return undefined;
}

export function readDnsLabel(c: Checker, value: unknown, path: Path, what: string): string | undefined {
  const text = readString(c, value, path, what);
  if (text === undefined) return undefined;
  if (isDnsLabel(text)) return text;
  c.fail(path, `${what} must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter ` +
    `or digit, at most 63 characters), got ${describeValue(text)}`);
  return undefined;
}

export function readServiceKey(c: Checker, value: unknown, path: Path): string | undefined {
  const text = readString(c, value, path, 'a service as name.namespace');
  if (text === undefined) return undefined;
  if (isServiceKey(text)) return text;
  c.fail(path, `expected a service as name.namespace (two DNS labels, e.g. ratings.bookinfo), got ${describeValue(text)}`);
  return undefined;
}

export function readHeaderName(c: Checker, value: string, path: Path, allowPseudo = false): string | undefined {
  if (isHeaderName(value, allowPseudo)) return value;
  const lower = value.toLowerCase() !== value && isHeaderName(value.toLowerCase(), allowPseudo) ? ` (write it lowercase: "${value.toLowerCase()}")` : '';
  c.fail(path, `header names are lowercase HTTP tokens (letters, digits and !#$%&'*+.^_\`|~-)${allowPseudo ? ' or :authority, :method, :path, :scheme' : ''}, got "${value}"${lower}`);
  return undefined;
}

/** A list of strings checked one by one by `item`; repeats are errors. Undefined when any entry is bad. */
export function readStringList(
  c: Checker, value: unknown, path: Path, what: string, item: (text: unknown, itemPath: Path) => string | undefined,
): string[] | undefined {
  const list = readList(c, value, path, what);
  if (list === undefined) return undefined;
  const out: string[] = [];
  let ok = true;
  list.forEach((entry, i) => {
    const text = item(entry, [...path, i]);
    if (text === undefined) ok = false;
    else if (out.includes(text)) {
      c.fail([...path, i], `"${text}" is listed twice`);
      ok = false;
    } else out.push(text);
  });
  return ok ? out : undefined;
}

type Loose<T> = { [K in keyof T]?: T[K] | undefined };

/** Drops undefined fields so optional properties are absent, as exactOptionalPropertyTypes wants. */
export function compact<T extends object>(value: Loose<T>): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as T;
}
