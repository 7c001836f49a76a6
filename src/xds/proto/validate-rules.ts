/**
 * Compiles one field's `(validate.rules)` option (protoc-gen-validate FieldRules) into closures.
 * Every rule key is either compiled or reported as an issue: nothing is ignored silently.
 */
import { compileBool, compileBytes, compileEnum, compileNumeric, compileOrdered, compileString, checkKeys, SCALAR_RULE_KEYS } from './rules-scalar.ts';
import type { CompileContext, RuleObject } from './rules-scalar.ts';
import type { CompiledMapRules, CompiledRepeatedRules, CompiledRules, MessageCheck, Problems, RuleTarget, ScalarKind } from './validate-types.ts';

/** google.protobuf wrapper messages and the scalar their `.value` holds. */
export const WRAPPER_KINDS: Readonly<Record<string, ScalarKind>> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

const NUMERIC_FAMILIES: ReadonlySet<string> = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64',
]);

/** Every rule key this checker understands, by family: the bundle test compares against it. */
export const RULE_KEYS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries([...NUMERIC_FAMILIES].map((family) => [family, SCALAR_RULE_KEYS['numeric'] ?? []])),
  bool: SCALAR_RULE_KEYS['bool'] ?? [],
  string: SCALAR_RULE_KEYS['string'] ?? [],
  bytes: SCALAR_RULE_KEYS['bytes'] ?? [],
  enum: SCALAR_RULE_KEYS['enum'] ?? [],
  duration: SCALAR_RULE_KEYS['duration'] ?? [],
  timestamp: SCALAR_RULE_KEYS['timestamp'] ?? [],
  message: ['required', 'skip'],
  repeated: ['min_items', 'max_items', 'unique', 'items', 'ignore_empty'],
  map: ['min_pairs', 'max_pairs', 'no_sparse', 'keys', 'values', 'ignore_empty'],
  any: ['required', 'in', 'not_in'],
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isObject(value: unknown): value is RuleObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Compiles a FieldRules object for `target`. Unknown families or keys, and rules that don't fit
 * the field's type, go to `issues` (`Type.field: ...`); the returned rules omit them.
 */
export function compileFieldRules(raw: unknown, target: RuleTarget, where: string, issues: string[]): CompiledRules | undefined {
  if (!isObject(raw)) {
    issues.push(`${where}: (validate.rules) is not an object`);
    return undefined;
  }
  const ctx: CompileContext = {
    where,
    issues,
    sensitive: target.sensitive,
    ...(target.enumValues ? { enumValues: target.enumValues } : {}),
  };
  const result: Mutable<CompiledRules> = {};
  const collection = target.repeated || target.map;
  const mismatch = (family: string): void => {
    issues.push(`${where}: ${family} rules on a ${collection ? (target.map ? 'map' : 'repeated') + ' of ' : ''}${target.messageName ?? target.kind} field`);
  };
  for (const [family, body] of Object.entries(raw)) {
    if (!isObject(body)) {
      issues.push(`${where}: ${family} rules are not an object`);
      continue;
    }
    const wrapped = target.messageName === undefined ? undefined : WRAPPER_KINDS[target.messageName];
    const scalarFits = !collection && (target.kind === family || wrapped === family);
    if (NUMERIC_FAMILIES.has(family) || family === 'bool' || family === 'string' || family === 'bytes') {
      if (!scalarFits) mismatch(family);
      else if (family === 'bool') assign(result, 'scalar', compileBool(body, ctx));
      else if (family === 'string') assign(result, 'scalar', compileString(body, ctx));
      else if (family === 'bytes') assign(result, 'scalar', compileBytes(body, ctx));
      else assign(result, 'scalar', compileNumeric(family as ScalarKind, body, ctx));
    } else if (family === 'enum') {
      if (collection || target.kind !== 'enum') mismatch(family);
      else {
        assign(result, 'scalar', compileEnum(body, ctx));
        if (body['defined_only'] === true) result.enumDefinedOnly = true;
      }
    } else if (family === 'message') {
      checkKeys(family, body, RULE_KEYS['message'] ?? [], ctx);
      if (collection || target.kind !== 'message') mismatch(family);
      else {
        if (body['required'] === true) result.required = 'message.required';
        if (body['skip'] === true) result.skip = true;
      }
    } else if (family === 'repeated') {
      if (!target.repeated || target.map) mismatch(family);
      else result.repeated = compileRepeated(body, target, ctx);
    } else if (family === 'map') {
      if (!target.map) mismatch(family);
      else result.map = compileMap(body, target, ctx);
    } else if (family === 'any') {
      checkKeys(family, body, RULE_KEYS['any'] ?? [], ctx);
      // Envoy puts `any.required` on a plain message once (ExtensionConfigSource.config_source);
      // PGV's generator treats it as presence, so do we. in/not_in only make sense on Any.
      if (collection || target.kind !== 'message') mismatch(family);
      else {
        if (body['required'] === true) result.required = 'any.required';
        if (body['in'] !== undefined || body['not_in'] !== undefined) {
          if (target.messageName !== 'google.protobuf.Any') mismatch('any.in/not_in');
          else assign(result, 'message', compileAnyUrls(body));
        }
      }
    } else if (family === 'duration' || family === 'timestamp') {
      checkKeys(family, body, RULE_KEYS[family] ?? [], ctx);
      const wanted = family === 'duration' ? 'google.protobuf.Duration' : 'google.protobuf.Timestamp';
      if (collection || target.messageName !== wanted) mismatch(family);
      else {
        if (body['required'] === true) result.required = `${family}.required`;
        assign(result, 'message', compileTime(family, body, ctx));
      }
    } else {
      issues.push(`${where}: unknown rule family ${family}`);
    }
  }
  return Object.keys(result).length === 0 ? undefined : result;
}

function assign<K extends 'scalar' | 'message'>(result: Mutable<CompiledRules>, key: K, value: CompiledRules[K] | undefined): void {
  if (value !== undefined) result[key] = value;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' || typeof value === 'string' ? Number(value) : undefined;
}

function compileRepeated(body: RuleObject, target: RuleTarget, ctx: CompileContext): CompiledRepeatedRules {
  checkKeys('repeated', body, RULE_KEYS['repeated'] ?? [], ctx);
  const min = count(body['min_items']);
  const max = count(body['max_items']);
  const unique = body['unique'] === true;
  const ignoreEmpty = body['ignore_empty'] === true;
  const element: RuleTarget = { ...target, repeated: false, map: false };
  const items = body['items'] === undefined ? undefined : compileFieldRules(body['items'], element, `${ctx.where}[]`, ctx.issues);
  const check = (list: readonly unknown[], path: string, out: Problems): void => {
    if (ignoreEmpty && list.length === 0) return;
    if (min !== undefined && list.length < min) {
      out.push({ path, rule: 'repeated.min_items', message: `must have at least ${min} item(s), has ${list.length}` });
    }
    if (max !== undefined && list.length > max) {
      out.push({ path, rule: 'repeated.max_items', message: `must have at most ${max} item(s), has ${list.length}` });
    }
    if (unique) {
      const seen = new Set<string>();
      list.forEach((item, index) => {
        const key = item instanceof Uint8Array ? Buffer.from(item).toString('base64') : typeof item === 'object' ? JSON.stringify(item) : String(item);
        if (seen.has(key)) out.push({ path: `${path}[${index}]`, rule: 'repeated.unique', message: 'items must be unique; this one repeats an earlier item' });
        seen.add(key);
      });
    }
  };
  return { check, ...(items ? { items } : {}) };
}

function compileMap(body: RuleObject, target: RuleTarget, ctx: CompileContext): CompiledMapRules {
  checkKeys('map', body, RULE_KEYS['map'] ?? [], ctx);
  const min = count(body['min_pairs']);
  const max = count(body['max_pairs']);
  const ignoreEmpty = body['ignore_empty'] === true;
  const keyTarget: RuleTarget = { kind: target.keyKind ?? 'string', repeated: false, map: false, sensitive: target.sensitive };
  const valueTarget: RuleTarget = { ...target, repeated: false, map: false };
  const keys = body['keys'] === undefined ? undefined : compileFieldRules(body['keys'], keyTarget, `${ctx.where}{key}`, ctx.issues);
  const values = body['values'] === undefined ? undefined : compileFieldRules(body['values'], valueTarget, `${ctx.where}{value}`, ctx.issues);
  const check = (size: number, path: string, out: Problems): void => {
    if (ignoreEmpty && size === 0) return;
    if (min !== undefined && size < min) out.push({ path, rule: 'map.min_pairs', message: `must have at least ${min} entries, has ${size}` });
    if (max !== undefined && size > max) out.push({ path, rule: 'map.max_pairs', message: `must have at most ${max} entries, has ${size}` });
  };
  return { check, noSparse: body['no_sparse'] === true, ...(keys ? { keys } : {}), ...(values ? { values } : {}) };
}

function compileAnyUrls(body: RuleObject): MessageCheck {
  const list = (value: unknown): ReadonlySet<string> => new Set((Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String));
  const allowed = body['in'] === undefined ? undefined : list(body['in']);
  const banned = list(body['not_in']);
  return (value, path, out) => {
    const url = value['@type'] ?? value['type_url'];
    if (typeof url !== 'string') return;
    if (allowed && !allowed.has(url)) out.push({ path, rule: 'any.in', message: `type ${url} must be one of ${[...allowed].join(', ')}` });
    if (banned.has(url)) out.push({ path, rule: 'any.not_in', message: `type ${url} is not allowed here` });
  };
}

const NANOS_PER_SECOND = 1_000_000_000n;

/** `{seconds, nanos}` (numbers or decimal strings, either absent) as total nanoseconds. */
export function toNanos(value: unknown): bigint | undefined {
  if (!isObject(value)) return undefined;
  const part = (x: unknown): bigint | undefined =>
    x === undefined || x === null ? 0n : (typeof x === 'number' && Number.isInteger(x)) || (typeof x === 'string' && /^-?\d+$/.test(x)) ? BigInt(x) : undefined;
  const seconds = part(value['seconds']);
  const nanos = part(value['nanos']);
  return seconds === undefined || nanos === undefined ? undefined : seconds * NANOS_PER_SECOND + nanos;
}

function showDuration(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const fraction = (abs % NANOS_PER_SECOND).toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}${abs / NANOS_PER_SECOND}${fraction ? `.${fraction}` : ''}s`;
}

function showTimestamp(nanos: bigint): string {
  const millis = Number(nanos / 1_000_000n);
  return Number.isFinite(millis) && Math.abs(millis) < 8.64e15 ? new Date(millis).toISOString() : `${showDuration(nanos)} since epoch`;
}

// lt_now, gt_now and within depend on the clock; builders are pure, so they are skipped.
function compileTime(family: 'duration' | 'timestamp', body: RuleObject, ctx: CompileContext): MessageCheck | undefined {
  const ordered = Object.fromEntries(Object.entries(body).filter(([key]) => !['required', 'lt_now', 'gt_now', 'within'].includes(key)));
  const show = family === 'duration' ? showDuration : showTimestamp;
  const check = compileOrdered<bigint>({ family, read: toNanos, show }, ordered, ctx);
  if (check === undefined) return undefined;
  return (value, path, out) => {
    const nanos = toNanos(value);
    if (nanos !== undefined) check(nanos, path, out);
  };
}
