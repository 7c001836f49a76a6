/**
 * Checks a plain Envoy message (the codec's conventions: snake_case proto names, Any as
 * `{'@type': url, ...fields}`, Duration `{seconds, nanos}`, enums by name or number, maps as
 * objects, wrappers as `{value}`) against its protobuf schema and the protoc-gen-validate rules
 * Envoy enforces. Reports what Envoy would NACK and, above all, what protobufjs would silently
 * drop (unknown fields, unknown enum names, unresolvable Any types, coerced scalars).
 */
import protobuf from 'protobufjs';
import { decodeMessage, messageType } from './codec.ts';
import { defaultScalar, describe, readEnum, readScalar } from './scalar-values.ts';
import { nameOf, planOf, resolveType } from './validate-plan.ts';
import type { ElementPlan, FieldPlan, TypePlan } from './validate-plan.ts';
import type { CompiledRules, Problems, ValidationProblem } from './validate-types.ts';

export type { ValidationProblem } from './validate-types.ts';
export { unsupportedPatterns } from './re2.ts';
export { roundTripProblems } from './round-trip.ts';

const ANY = 'google.protobuf.Any';
const STRUCT = 'google.protobuf.Struct';
const TYPE_PREFIX = 'type.googleapis.com/';
// Deeper than any real Envoy config; stops a cyclic object from overflowing the stack.
const MAX_DEPTH = 100;

/**
 * Every problem in `value` as a message of type `fullName` (e.g. `envoy.config.cluster.v3.Cluster`,
 * a leading dot or a type URL prefix is tolerated). An empty array means Envoy's validation and
 * the codec both accept it as written.
 */
export function validateEnvoyMessage(fullName: string, value: unknown): ValidationProblem[] {
  const type = resolveType(fullName.slice(fullName.lastIndexOf('/') + 1));
  if (type === undefined) return [{ path: '', rule: 'type', message: `unknown message type ${fullName}` }];
  return validateMessageOfType(type, value);
}

/** `validateEnvoyMessage` for a protobufjs Type already in hand (any root; Any URLs resolve in Envoy's). */
export function validateMessageOfType(type: protobuf.Type, value: unknown): ValidationProblem[] {
  const out: Problems = [];
  walkMessage(type, value, '', out, true, 0);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walkMessage(type: protobuf.Type, value: unknown, path: string, out: Problems, rulesOn: boolean, depth: number): void {
  if (!isPlainObject(value)) {
    out.push({ path, rule: 'type', message: `expected an object (${nameOf(type)}), got ${describe(value)}` });
    return;
  }
  if (depth > MAX_DEPTH) {
    out.push({ path, rule: 'depth', message: `nested more than ${MAX_DEPTH} levels (cyclic object?)` });
    return;
  }
  if (type.fullName === `.${ANY}`) {
    walkAny(value, path, out, rulesOn, depth);
    return;
  }
  walkFields(planOf(type), value, path, out, rulesOn, depth);
  const limits = TIME_LIMITS[type.fullName];
  if (limits) checkTimeRange(limits, value, path, out);
}

function walkFields(plan: TypePlan, value: Record<string, unknown>, path: string, out: Problems, rulesOn: boolean, depth: number): void {
  const applyRules = rulesOn && !plan.rulesDisabled;
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (field === undefined || field === null) continue; // the codec treats both as absent
    const fieldPlan = plan.fields.get(key);
    if (fieldPlan === undefined) out.push(unknownField(plan, key, path));
    else walkField(fieldPlan, field, join(path, key), out, applyRules, depth);
  }
  for (const oneof of plan.oneofs) {
    const set = oneof.members.filter((member) => value[member] !== undefined && value[member] !== null);
    if (set.length > 1) {
      out.push({ path: join(path, oneof.name), rule: 'oneof.multiple', message: `only one of ${oneof.members.join(', ')} may be set; got ${set.join(', ')}` });
    } else if (set.length === 0 && oneof.required && applyRules) {
      out.push({ path: join(path, oneof.name), rule: 'oneof.required', message: `one of ${oneof.members.join(', ')} must be set` });
    }
  }
  if (!applyRules) return;
  for (const fieldPlan of plan.ruled) {
    const field = value[fieldPlan.name];
    if ((field === undefined || field === null) && fieldPlan.oneof === undefined) checkAbsent(fieldPlan, join(path, fieldPlan.name), out);
  }
}

interface TimeLimits {
  readonly family: string;
  readonly seconds: readonly [number, number];
  readonly nanos: readonly [number, number];
  readonly sameSign: boolean;
}

/** Ranges protobuf's time utilities (and so Envoy) accept; anything outside is rejected. */
const TIME_LIMITS: Readonly<Record<string, TimeLimits>> = {
  '.google.protobuf.Duration': { family: 'duration', seconds: [-315_576_000_000, 315_576_000_000], nanos: [-999_999_999, 999_999_999], sameSign: true },
  '.google.protobuf.Timestamp': { family: 'timestamp', seconds: [-62_135_596_800, 253_402_300_799], nanos: [0, 999_999_999], sameSign: false },
};

function checkTimeRange(limits: TimeLimits, value: Record<string, unknown>, path: string, out: Problems): void {
  const seconds = Number(value['seconds'] ?? 0);
  const nanos = Number(value['nanos'] ?? 0);
  if (!Number.isInteger(seconds) || !Number.isInteger(nanos)) return; // already a type problem
  const [minS, maxS] = limits.seconds;
  const [minN, maxN] = limits.nanos;
  const signsDisagree = limits.sameSign && ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0));
  if (seconds < minS || seconds > maxS || nanos < minN || nanos > maxN || signsDisagree) {
    out.push({ path, rule: `${limits.family}.range`, message: `{seconds: ${seconds}, nanos: ${nanos}} is not a valid ${limits.family}` });
  }
}

/** Rules that bite on an absent field: proto3 scalar defaults, empty collections, required messages. */
function checkAbsent(field: FieldPlan, path: string, out: Problems): void {
  const rules = field.rules;
  if (rules === undefined) return;
  if (field.map) rules.map?.check?.(0, path, out);
  else if (field.repeated) rules.repeated?.check?.([], path, out);
  else if (field.element.kind === 'message') {
    if (rules.required) out.push({ path, rule: rules.required, message: 'value is required' });
  } else if (field.element.kind === 'enum') rules.scalar?.(0, path, out);
  else rules.scalar?.(defaultScalar(field.element.kind), path, out);
}

// Structural findings name fields, not values, so they keep their message under a secret.
const SAFE_UNDER_SECRET = /^(unknown_field|oneof\.|any\.type_url|depth$)|\.required$/;

function walkField(field: FieldPlan, value: unknown, path: string, out: Problems, rulesOn: boolean, depth: number): void {
  if (!field.sensitive) {
    walkFieldValue(field, value, path, out, rulesOn, depth);
    return;
  }
  const found: Problems = [];
  walkFieldValue(field, value, path, found, rulesOn, depth);
  for (const problem of found) {
    out.push(SAFE_UNDER_SECRET.test(problem.rule) ? problem : { ...problem, message: `${problem.rule} failed (value of a sensitive field not shown)` });
  }
}

function walkFieldValue(field: FieldPlan, value: unknown, path: string, out: Problems, rulesOn: boolean, depth: number): void {
  const rules = rulesOn ? field.rules : undefined;
  if (field.map) {
    if (!isPlainObject(value)) {
      out.push({ path, rule: 'type', message: `expected an object (map), got ${describe(value)}` });
      return;
    }
    const entries = Object.entries(value);
    rules?.map?.check?.(entries.length, path, out);
    for (const [key, entry] of entries) {
      const entryPath = `${path}[${JSON.stringify(key)}]`;
      const keyValue = readMapKey(field, key);
      if (typeof keyValue === 'string' && field.keyKind !== 'string') {
        out.push({ path: entryPath, rule: 'type', message: keyValue });
      } else if (keyValue !== undefined) {
        rules?.map?.keys?.scalar?.(keyValue, entryPath, out);
      }
      if (entry === undefined || entry === null) {
        out.push({ path: entryPath, rule: rules?.map?.noSparse ? 'map.no_sparse' : 'type', message: 'map values may not be null' });
      } else {
        walkElement(field.element, entry, rules?.map?.values, entryPath, out, rulesOn, depth);
      }
    }
  } else if (field.repeated) {
    if (!Array.isArray(value)) {
      out.push({ path, rule: 'type', message: `expected an array, got ${describe(value)}` });
      return;
    }
    rules?.repeated?.check?.(value, path, out);
    const items = rules?.repeated?.items;
    value.forEach((item: unknown, index) => {
      const itemPath = `${path}[${index}]`;
      if (item === undefined || item === null) out.push({ path: itemPath, rule: 'type', message: 'array items may not be null' });
      else walkElement(field.element, item, items, itemPath, out, rulesOn, depth);
    });
  } else {
    walkElement(field.element, value, rules, path, out, rulesOn, depth);
  }
}

/** Map keys arrive as object keys (strings): the typed key, or an error message. */
function readMapKey(field: FieldPlan, key: string): string | number | bigint | boolean | undefined {
  const kind = field.keyKind ?? 'string';
  if (kind === 'string') return key;
  if (kind === 'bool') return key === 'true' ? true : key === 'false' ? false : `map key ${JSON.stringify(key)} is not a bool`;
  if (!/^-?\d+$/.test(key)) return `map key ${JSON.stringify(key)} is not an integer`;
  const read = readScalar(kind, kind.endsWith('64') ? key : Number(key));
  return 'error' in read ? `map key ${read.error}` : typeof read.value === 'object' ? undefined : read.value;
}

function walkElement(
  element: ElementPlan,
  value: unknown,
  rules: CompiledRules | undefined,
  path: string,
  out: Problems,
  rulesOn: boolean,
  depth: number,
): void {
  if (element.kind === 'message') {
    const type = element.messageType;
    if (type === undefined) return;
    if (!isPlainObject(value)) {
      out.push({ path, rule: 'type', message: `expected an object (${nameOf(type)}), got ${describe(value)}` });
      return;
    }
    rules?.message?.(value, path, out);
    if (rules?.scalar && element.wrapperKind) {
      const inner = value['value'];
      const read = inner === undefined || inner === null ? { value: defaultScalar(element.wrapperKind) } : readScalar(element.wrapperKind, inner);
      if ('value' in read) rules.scalar(read.value, path, out);
    }
    walkMessage(type, value, path, out, rulesOn && rules?.skip !== true, depth + 1);
  } else if (element.kind === 'enum') {
    if (element.enumType === undefined) return;
    const read = readEnum(element.enumType, value);
    if ('error' in read) {
      out.push({ path, rule: 'unknownName' in read && rules?.enumDefinedOnly ? 'enum.defined_only' : 'type', message: read.error });
    } else {
      rules?.scalar?.(read.value, path, out);
    }
  } else {
    const read = readScalar(element.kind, value);
    if ('error' in read) out.push({ path, rule: 'type', message: read.error });
    else rules?.scalar?.(read.value, path, out);
  }
}

function walkAny(value: Record<string, unknown>, path: string, out: Problems, rulesOn: boolean, depth: number): void {
  const url = value['@type'];
  if (url === undefined) {
    const anyType = messageType(ANY);
    if (value['type_url'] === undefined) {
      out.push({ path, rule: 'any.type_url', message: 'Any without @type: the codec would encode an empty Any' });
      return;
    }
    // Raw `{type_url, value}`: check the shape, then the packed message if we know its type.
    const before = out.length;
    walkFields(planOf(anyType), value, path, out, rulesOn, depth);
    const typeUrl = value['type_url'];
    const bytes = value['value'];
    if (out.length > before || typeof typeUrl !== 'string') return;
    const inner = checkTypeUrl(typeUrl, path, out);
    if (inner && bytes instanceof Uint8Array) walkMessage(inner, decodeMessage(nameOf(inner), bytes), path, out, rulesOn, depth + 1);
    return;
  }
  if (typeof url !== 'string') {
    out.push({ path: join(path, '@type'), rule: 'type', message: `expected a type URL string, got ${describe(url)}` });
    return;
  }
  const inner = checkTypeUrl(url, path, out);
  if (inner === undefined) return;
  const { ['@type']: _url, ...fields } = value;
  walkMessage(inner, fields, path, out, rulesOn, depth + 1);
}

function checkTypeUrl(url: string, path: string, out: Problems): protobuf.Type | undefined {
  const slash = url.lastIndexOf('/');
  const inner = slash < 0 ? undefined : resolveType(url.slice(slash + 1));
  if (inner === undefined) {
    out.push({ path: join(path, '@type'), rule: 'any.type_url', message: `cannot resolve type ${JSON.stringify(url)}: the codec would drop the whole Any` });
    return undefined;
  }
  // grpc-js-xds compares typed_config URLs literally; Envoy accepts any prefix.
  if (!url.startsWith(TYPE_PREFIX) || slash !== TYPE_PREFIX.length - 1) {
    out.push({ path: join(path, '@type'), rule: 'any.type_url', message: `type URL must be ${TYPE_PREFIX}${url.slice(slash + 1)}` });
  }
  return inner;
}

function unknownField(plan: TypePlan, key: string, path: string): ValidationProblem {
  const at = join(path, key);
  if (plan.fullName === STRUCT) {
    return { path: at, rule: 'unknown_field', message: `plain JSON in a google.protobuf.Struct is dropped by the codec; write {fields: {${JSON.stringify(key)}: {stringValue: ...}}}` };
  }
  const hint = suggest(plan, key);
  return { path: at, rule: 'unknown_field', message: `${plan.fullName} has no field ${JSON.stringify(key)}${hint ? ` (did you mean ${hint}?)` : ''}; protobufjs would drop it silently` };
}

/** A likely intended field: the other case convention, or a name within edit distance 2. */
function suggest(plan: TypePlan, key: string): string | undefined {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const camel = key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  for (const candidate of [snake, camel]) if (candidate !== key && plan.fields.has(candidate)) return candidate;
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of plan.fields.keys()) {
    const distance = editDistance(key, name, bestDistance);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? limit;
}
