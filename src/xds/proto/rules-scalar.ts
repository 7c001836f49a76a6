/**
 * Compiles PGV rules for scalar-like values (numbers, bool, string, bytes, enum) and ordered
 * message values (Duration, Timestamp) into closures, checked once per field at plan time:
 * a rule key this file does not know is reported as an issue, never silently ignored.
 */
import { compileRe2 } from './re2.ts';
import { is64Bit } from './scalar-values.ts';
import {
  isAddress, isEmail, isHostname, isIp, isIpv4, isIpv6, isUri, isUriRef, isUuid,
  runeLength, utf8Length, wellKnownRegex,
} from './string-formats.ts';
import type { Problems, ScalarCheck, ScalarKind, ScalarValue } from './validate-types.ts';

export type RuleObject = Readonly<Record<string, unknown>>;

/** Where compile issues go, and what the rules are attached to. */
export interface CompileContext {
  /** `Type.field` the rules belong to, for issue messages. */
  readonly where: string;
  /** Unknown rule keys or rules that don't fit the field type; must stay empty for the bundle. */
  readonly issues: string[];
  /** Don't echo values of sensitive fields. */
  readonly sensitive: boolean;
  /** Enum numbers for `enum.defined_only`. */
  readonly enumValues?: ReadonlySet<number>;
}

/** Rule keys each scalar family accepts (upstream PGV, including the newer `ignore_empty`). */
export const SCALAR_RULE_KEYS: Readonly<Record<string, readonly string[]>> = {
  numeric: ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'ignore_empty'],
  bool: ['const'],
  string: [
    'const', 'len', 'min_len', 'max_len', 'len_bytes', 'min_bytes', 'max_bytes', 'pattern', 'prefix',
    'suffix', 'contains', 'not_contains', 'in', 'not_in', 'email', 'hostname', 'ip', 'ipv4', 'ipv6',
    'uri', 'uri_ref', 'address', 'uuid', 'well_known_regex', 'strict', 'ignore_empty',
  ],
  bytes: [
    'const', 'len', 'min_len', 'max_len', 'pattern', 'prefix', 'suffix', 'contains', 'in', 'not_in',
    'ip', 'ipv4', 'ipv6', 'ignore_empty',
  ],
  enum: ['const', 'defined_only', 'in', 'not_in'],
  duration: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in'],
  timestamp: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'lt_now', 'gt_now', 'within'],
};

/** Reports rule keys outside `allowed` as issues. */
export function checkKeys(family: string, rules: RuleObject, allowed: readonly string[], ctx: CompileContext): void {
  for (const key of Object.keys(rules)) {
    if (!allowed.includes(key)) ctx.issues.push(`${ctx.where}: unknown rule ${family}.${key}`);
  }
}

function list(value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function combine<T>(checks: Array<(value: T, path: string, out: Problems) => void>) {
  if (checks.length === 0) return undefined;
  return (value: T, path: string, out: Problems): void => {
    for (const check of checks) check(value, path, out);
  };
}

/** How an ordered domain (numbers, bigints, durations as nanoseconds) reads and prints rule values. */
export interface OrderedDomain<T extends number | bigint> {
  readonly family: string;
  readonly read: (ruleValue: unknown) => T | undefined;
  readonly show: (value: T) => string;
}

/**
 * const, lt, lte, gt, gte, in, not_in over an ordered domain, with PGV's reversed (exclusive)
 * range when the upper bound is not above the lower one: then the value must lie outside.
 */
export function compileOrdered<T extends number | bigint>(
  domain: OrderedDomain<T>,
  rules: RuleObject,
  ctx: CompileContext,
): ((value: T, path: string, out: Problems) => void) | undefined {
  const { family, show } = domain;
  const read = (key: string): T | undefined => {
    if (rules[key] === undefined) return undefined;
    const value = domain.read(rules[key]);
    if (value === undefined) ctx.issues.push(`${ctx.where}: unreadable ${family}.${key}`);
    return value;
  };
  const checks: Array<(value: T, path: string, out: Problems) => void> = [];
  const exact = read('const');
  if (exact !== undefined) {
    checks.push((v, path, out) => {
      if (v !== exact) out.push({ path, rule: `${family}.const`, message: `value ${show(v)} must equal ${show(exact)}` });
    });
  }
  const gt = read('gt');
  const gte = read('gte');
  const lt = read('lt');
  const lte = read('lte');
  const lower = gt !== undefined ? { bound: gt, inclusive: false, key: 'gt' } : gte !== undefined ? { bound: gte, inclusive: true, key: 'gte' } : undefined;
  const upper = lt !== undefined ? { bound: lt, inclusive: false, key: 'lt' } : lte !== undefined ? { bound: lte, inclusive: true, key: 'lte' } : undefined;
  const above = (v: T): boolean => lower === undefined || (lower.inclusive ? v >= lower.bound : v > lower.bound);
  const below = (v: T): boolean => upper === undefined || (upper.inclusive ? v <= upper.bound : v < upper.bound);
  const low = lower ? `${lower.inclusive ? '[' : '('}${show(lower.bound)}` : '';
  const high = upper ? `${show(upper.bound)}${upper.inclusive ? ']' : ')'}` : '';
  if (lower && upper && upper.bound <= lower.bound) {
    const outside = `must be outside ${upper.inclusive ? '(' : '['}${show(upper.bound)}, ${show(lower.bound)}${lower.inclusive ? ')' : ']'}`;
    checks.push((v, path, out) => {
      if (!above(v) && !below(v)) out.push({ path, rule: `${family}.${lower.key}`, message: `value ${show(v)} ${outside}` });
    });
  } else if (lower || upper) {
    const range = lower && upper ? `in ${low}, ${high}` : lower ? `${lower.inclusive ? '>=' : '>'} ${show(lower.bound)}` : `${upper?.inclusive ? '<=' : '<'} ${high.slice(0, -1)}`;
    checks.push((v, path, out) => {
      const failed = !above(v) ? lower : !below(v) ? upper : undefined;
      if (failed) out.push({ path, rule: `${family}.${failed.key}`, message: `value ${show(v)} must be ${range}` });
    });
  }
  const members = (key: string): ReadonlySet<string> =>
    new Set(list(rules[key]).map((x) => {
      const value = domain.read(x);
      if (value === undefined) ctx.issues.push(`${ctx.where}: unreadable ${family}.${key}`);
      return String(value);
    }));
  if (rules['in'] !== undefined) {
    const allowed = members('in');
    checks.push((v, path, out) => {
      if (!allowed.has(String(v))) out.push({ path, rule: `${family}.in`, message: `value ${show(v)} must be one of ${[...allowed].join(', ')}` });
    });
  }
  if (rules['not_in'] !== undefined) {
    const banned = members('not_in');
    checks.push((v, path, out) => {
      if (banned.has(String(v))) out.push({ path, rule: `${family}.not_in`, message: `value ${show(v)} must not be one of ${[...banned].join(', ')}` });
    });
  }
  const check = combine(checks);
  if (check === undefined || rules['ignore_empty'] !== true) return check;
  const zero = domain.read(0);
  return (v, path, out) => {
    if (v !== zero) check(v, path, out);
  };
}

/** Rules for one numeric family (`uint32`, `double`, ...) applied to values of that kind. */
export function compileNumeric(family: ScalarKind, rules: RuleObject, ctx: CompileContext): ScalarCheck | undefined {
  checkKeys(family, rules, SCALAR_RULE_KEYS['numeric'] ?? [], ctx);
  if (is64Bit(family)) {
    const read = (x: unknown): bigint | undefined =>
      (typeof x === 'number' && Number.isInteger(x)) || (typeof x === 'string' && /^-?\d+$/.test(x)) ? BigInt(x) : undefined;
    const check = compileOrdered<bigint>({ family, read, show: String }, rules, ctx);
    return check && ((v, path, out) => check(v as bigint, path, out));
  }
  const float = family === 'float';
  const read = (x: unknown): number | undefined => {
    const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : Number.NaN;
    return Number.isNaN(n) ? undefined : float ? Math.fround(n) : n;
  };
  const check = compileOrdered<number>({ family, read, show: String }, rules, ctx);
  return check && ((v, path, out) => check(float ? Math.fround(v as number) : (v as number), path, out));
}

/** `bool.const`. */
export function compileBool(rules: RuleObject, ctx: CompileContext): ScalarCheck | undefined {
  checkKeys('bool', rules, SCALAR_RULE_KEYS['bool'] ?? [], ctx);
  const exact = rules['const'];
  if (typeof exact !== 'boolean') return undefined;
  return (v, path, out) => {
    if (v !== exact) out.push({ path, rule: 'bool.const', message: `value must be ${exact}` });
  };
}

/** `enum.const`, `defined_only`, `in`, `not_in` on the enum number. */
export function compileEnum(rules: RuleObject, ctx: CompileContext): ScalarCheck | undefined {
  checkKeys('enum', rules, SCALAR_RULE_KEYS['enum'] ?? [], ctx);
  const read = (x: unknown): number | undefined => (typeof x === 'number' && Number.isInteger(x) ? x : undefined);
  const ordered = compileOrdered<number>({ family: 'enum', read, show: String }, rules, ctx);
  const defined = rules['defined_only'] === true ? ctx.enumValues : undefined;
  if (rules['defined_only'] === true && defined === undefined) ctx.issues.push(`${ctx.where}: enum.defined_only on a non-enum field`);
  if (!ordered && !defined) return undefined;
  return (v, path, out) => {
    if (defined && !defined.has(v as number)) {
      out.push({ path, rule: 'enum.defined_only', message: `value ${String(v)} is not a defined enum value` });
    }
    ordered?.(v as number, path, out);
  };
}

function quote(value: string, ctx: CompileContext): string {
  if (ctx.sensitive) return '(sensitive value)';
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

const STRING_FORMATS: ReadonlyArray<readonly [string, (value: string) => boolean, string]> = [
  ['email', isEmail, 'a valid email address'],
  ['hostname', isHostname, 'a valid hostname'],
  ['ip', isIp, 'a valid IP address'],
  ['ipv4', isIpv4, 'a valid IPv4 address'],
  ['ipv6', isIpv6, 'a valid IPv6 address'],
  ['uri', isUri, 'an absolute URI'],
  ['uri_ref', isUriRef, 'a URI reference'],
  ['address', isAddress, 'a valid hostname or IP address'],
  ['uuid', isUuid, 'a UUID'],
];

/** All StringRules. `pattern` is RE2; untranslatable patterns are skipped (see `unsupportedPatterns`). */
export function compileString(rules: RuleObject, ctx: CompileContext): ScalarCheck | undefined {
  checkKeys('string', rules, SCALAR_RULE_KEYS['string'] ?? [], ctx);
  type StringCheck = (value: string, path: string, out: Problems) => void;
  const checks: StringCheck[] = [];
  const add = (key: string, fails: (s: string) => boolean, wants: string): void => {
    checks.push((s, path, out) => {
      if (fails(s)) out.push({ path, rule: `string.${key}`, message: `value ${quote(s, ctx)} must ${wants}` });
    });
  };
  const num = (key: string): number | undefined => {
    const value = rules[key];
    return typeof value === 'number' || typeof value === 'string' ? Number(value) : undefined;
  };
  const str = (key: string): string | undefined => {
    const value = rules[key];
    return typeof value === 'string' ? value : undefined;
  };
  const exact = str('const');
  if (exact !== undefined) add('const', (s) => s !== exact, `equal ${quote(exact, ctx)}`);
  const lengths: ReadonlyArray<readonly [string, (s: string) => number, (n: number, l: number) => boolean, string, string]> = [
    ['len', runeLength, (n, l) => n !== l, 'exactly', 'characters'],
    ['min_len', runeLength, (n, l) => n < l, 'at least', 'characters'],
    ['max_len', runeLength, (n, l) => n > l, 'at most', 'characters'],
    ['len_bytes', utf8Length, (n, l) => n !== l, 'exactly', 'bytes'],
    ['min_bytes', utf8Length, (n, l) => n < l, 'at least', 'bytes'],
    ['max_bytes', utf8Length, (n, l) => n > l, 'at most', 'bytes'],
  ];
  for (const [key, measure, fails, bound, unit] of lengths) {
    const limit = num(key);
    if (limit !== undefined) add(key, (s) => fails(measure(s), limit), `be ${bound} ${limit} ${unit} long`);
  }
  const pattern = str('pattern');
  const regex = pattern === undefined ? undefined : compileRe2(pattern);
  if (regex) add('pattern', (s) => !regex.test(s), `match /${pattern ?? ''}/`);
  const prefix = str('prefix');
  if (prefix !== undefined) add('prefix', (s) => !s.startsWith(prefix), `start with ${quote(prefix, ctx)}`);
  const suffix = str('suffix');
  if (suffix !== undefined) add('suffix', (s) => !s.endsWith(suffix), `end with ${quote(suffix, ctx)}`);
  const contains = str('contains');
  if (contains !== undefined) add('contains', (s) => !s.includes(contains), `contain ${quote(contains, ctx)}`);
  const notContains = str('not_contains');
  if (notContains !== undefined) add('not_contains', (s) => s.includes(notContains), `not contain ${quote(notContains, ctx)}`);
  if (rules['in'] !== undefined) {
    const allowed = new Set(list(rules['in']).map(String));
    add('in', (s) => !allowed.has(s), `be one of ${[...allowed].join(', ')}`);
  }
  if (rules['not_in'] !== undefined) {
    const banned = new Set(list(rules['not_in']).map(String));
    add('not_in', (s) => banned.has(s), `not be one of ${[...banned].join(', ')}`);
  }
  for (const [key, valid, wants] of STRING_FORMATS) {
    if (rules[key] === true) add(key, (s) => !valid(s), `be ${wants}`);
  }
  const known = rules['well_known_regex'];
  if (known !== undefined && known !== 'UNKNOWN' && known !== 0) {
    const strict = rules['strict'] !== false;
    const kind = typeof known === 'number' || typeof known === 'string' ? known : '';
    const wkr = wellKnownRegex(kind, strict);
    if (wkr === undefined) ctx.issues.push(`${ctx.where}: unknown string.well_known_regex ${String(known)}`);
    else add('well_known_regex', (s) => !wkr.test(s), `be a valid ${String(kind)}${strict ? '' : ' (no NUL, CR or LF)'}`);
  }
  const check = combine(checks);
  if (check === undefined) return undefined;
  const ignoreEmpty = rules['ignore_empty'] === true;
  return (v, path, out) => {
    if (!(ignoreEmpty && v === '')) check(v as string, path, out);
  };
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : undefined;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** All BytesRules; `pattern` matches the bytes read as UTF-8. */
export function compileBytes(rules: RuleObject, ctx: CompileContext): ScalarCheck | undefined {
  checkKeys('bytes', rules, SCALAR_RULE_KEYS['bytes'] ?? [], ctx);
  type BytesCheck = (value: Uint8Array, path: string, out: Problems) => void;
  const checks: BytesCheck[] = [];
  const add = (key: string, fails: (b: Uint8Array) => boolean, wants: string): void => {
    checks.push((b, path, out) => {
      if (fails(b)) out.push({ path, rule: `bytes.${key}`, message: `value (${b.length} bytes) must ${wants}` });
    });
  };
  const num = (key: string): number | undefined => {
    const value = rules[key];
    return typeof value === 'number' || typeof value === 'string' ? Number(value) : undefined;
  };
  const exact = toBytes(rules['const']);
  if (exact) add('const', (b) => hexOf(b) !== hexOf(exact), `equal the constant`);
  const len = num('len');
  if (len !== undefined) add('len', (b) => b.length !== len, `be ${len} bytes long`);
  const min = num('min_len');
  if (min !== undefined) add('min_len', (b) => b.length < min, `be at least ${min} bytes long`);
  const max = num('max_len');
  if (max !== undefined) add('max_len', (b) => b.length > max, `be at most ${max} bytes long`);
  const pattern = typeof rules['pattern'] === 'string' ? rules['pattern'] : undefined;
  const regex = pattern === undefined ? undefined : compileRe2(pattern);
  if (regex) add('pattern', (b) => !regex.test(Buffer.from(b).toString('utf8')), `match /${pattern ?? ''}/`);
  const prefix = toBytes(rules['prefix']);
  if (prefix) add('prefix', (b) => !hexOf(b).startsWith(hexOf(prefix)), 'start with the prefix');
  const suffix = toBytes(rules['suffix']);
  if (suffix) add('suffix', (b) => !hexOf(b).endsWith(hexOf(suffix)), 'end with the suffix');
  const contains = toBytes(rules['contains']);
  if (contains) add('contains', (b) => !Buffer.from(b).includes(Buffer.from(contains)), 'contain the given bytes');
  if (rules['in'] !== undefined) {
    const allowed = new Set(list(rules['in']).map((x) => hexOf(toBytes(x) ?? new Uint8Array())));
    add('in', (b) => !allowed.has(hexOf(b)), 'be one of the allowed values');
  }
  if (rules['not_in'] !== undefined) {
    const banned = new Set(list(rules['not_in']).map((x) => hexOf(toBytes(x) ?? new Uint8Array())));
    add('not_in', (b) => banned.has(hexOf(b)), 'not be one of the banned values');
  }
  if (rules['ip'] === true) add('ip', (b) => b.length !== 4 && b.length !== 16, 'be an IP address (4 or 16 bytes)');
  if (rules['ipv4'] === true) add('ipv4', (b) => b.length !== 4, 'be an IPv4 address (4 bytes)');
  if (rules['ipv6'] === true) add('ipv6', (b) => b.length !== 16, 'be an IPv6 address (16 bytes)');
  const check = combine(checks);
  if (check === undefined) return undefined;
  const ignoreEmpty = rules['ignore_empty'] === true;
  return (v: ScalarValue, path, out) => {
    const bytes = v as Uint8Array;
    if (!(ignoreEmpty && bytes.length === 0)) check(bytes, path, out);
  };
}
