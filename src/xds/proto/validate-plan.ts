/**
 * Per-message validation plans: for each protobufjs Type, its fields (element kind, collection
 * shape, oneof, compiled PGV rules) and oneofs, built once and cached, so validating thousands
 * of resources only walks values.
 */
import protobuf from 'protobufjs';
import { envoyRoot } from './codec.ts';
import { isScalarKind } from './scalar-values.ts';
import { compileFieldRules, WRAPPER_KINDS } from './validate-rules.ts';
import type { CompiledRules, RuleTarget, ScalarKind } from './validate-types.ts';

export interface ElementPlan {
  readonly kind: ScalarKind | 'enum' | 'message';
  readonly enumType?: protobuf.Enum;
  readonly messageType?: protobuf.Type;
  /** Set for google.protobuf wrapper messages (UInt32Value, ...). */
  readonly wrapperKind?: ScalarKind;
}

export interface FieldPlan {
  readonly name: string;
  readonly element: ElementPlan;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyKind?: ScalarKind;
  /** The oneof (real or proto3 `optional`) this field belongs to: rules apply only when set. */
  readonly oneof?: string;
  readonly rules?: CompiledRules;
  /** `(udpa.annotations.sensitive)`: nothing under this field may be echoed in a message. */
  readonly sensitive: boolean;
}

export interface OneofPlan {
  readonly name: string;
  readonly members: readonly string[];
  /** `option (validate.required) = true`. */
  readonly required: boolean;
}

export interface TypePlan {
  readonly fullName: string;
  readonly fields: ReadonlyMap<string, FieldPlan>;
  /** Fields carrying rules, checked even when absent (proto3 defaults, required messages). */
  readonly ruled: readonly FieldPlan[];
  readonly oneofs: readonly OneofPlan[];
  /** `(validate.disabled)` or `(validate.ignored)` on the message. */
  readonly rulesDisabled: boolean;
  /** Rules this checker could not compile (unknown keys, wrong types); empty for a sound bundle. */
  readonly issues: readonly string[];
}

const plans = new WeakMap<protobuf.Type, TypePlan>();

/** Name without the leading dot protobufjs puts on `fullName`. */
export function nameOf(type: protobuf.ReflectionObject): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

const resolved = new Map<string, protobuf.Type | null>();

/** The message type named by a full name (leading dot optional), or undefined; cached. */
export function resolveType(name: string): protobuf.Type | undefined {
  let type = resolved.get(name);
  if (type === undefined) {
    const found = name === '' || name === '.' ? null : envoyRoot().lookup(name.startsWith('.') ? name : `.${name}`);
    type = found instanceof protobuf.Type ? found : null;
    resolved.set(name, type);
  }
  return type ?? undefined;
}

const KNOWN_ONEOF_OPTIONS = new Set(['(validate.required)']);
const KNOWN_MESSAGE_OPTIONS = new Set(['(validate.disabled)', '(validate.ignored)']);

/** The cached plan of a message type (built on first use). */
export function planOf(type: protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (plan === undefined) {
    plan = buildPlan(type);
    plans.set(type, plan);
  }
  return plan;
}

function buildPlan(type: protobuf.Type): TypePlan {
  const fullName = nameOf(type);
  const issues: string[] = [];
  const fields = new Map<string, FieldPlan>();
  const ruled: FieldPlan[] = [];
  for (const field of type.fieldsArray) {
    const plan = planField(field, `${fullName}.${field.name}`, issues);
    fields.set(field.name, plan);
    if (plan.rules) ruled.push(plan);
  }
  const oneofs = type.oneofsArray.map((oneof): OneofPlan => {
    for (const key of Object.keys(oneof.options ?? {})) {
      if (key.startsWith('(validate.') && !KNOWN_ONEOF_OPTIONS.has(key)) issues.push(`${fullName}.${oneof.name}: unknown oneof option ${key}`);
    }
    return { name: oneof.name, members: oneof.oneof, required: oneof.options?.['(validate.required)'] === true };
  });
  const options = type.options ?? {};
  for (const key of Object.keys(options)) {
    if (key.startsWith('(validate.') && !KNOWN_MESSAGE_OPTIONS.has(key)) issues.push(`${fullName}: unknown message option ${key}`);
  }
  const rulesDisabled = options['(validate.disabled)'] === true || options['(validate.ignored)'] === true;
  return { fullName, fields, ruled, oneofs, rulesDisabled, issues };
}

function planField(field: protobuf.Field, where: string, issues: string[]): FieldPlan {
  try {
    field.resolve();
  } catch (error) {
    issues.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const element = elementOf(field, where, issues);
  const map = field instanceof protobuf.MapField;
  const keyKind = map && isScalarKind(field.keyType) ? field.keyType : undefined;
  const options = field.options ?? {};
  for (const key of Object.keys(options)) {
    if (key.startsWith('(validate.') && key !== '(validate.rules)') issues.push(`${where}: unknown field option ${key}`);
  }
  const sensitive = options['(udpa.annotations.sensitive)'] === true;
  const target: RuleTarget = {
    kind: element.kind,
    repeated: field.repeated,
    map,
    sensitive,
    ...(element.messageType ? { messageName: nameOf(element.messageType) } : {}),
    ...(element.enumType ? { enumValues: new Set(Object.values(element.enumType.values)) } : {}),
    ...(keyKind ? { keyKind } : {}),
  };
  const raw = options['(validate.rules)'];
  const rules = raw === undefined ? undefined : compileFieldRules(raw, target, where, issues);
  return {
    name: field.name,
    element,
    repeated: field.repeated,
    map,
    sensitive,
    ...(keyKind ? { keyKind } : {}),
    ...(field.partOf ? { oneof: field.partOf.name } : {}),
    ...(rules ? { rules } : {}),
  };
}

function elementOf(field: protobuf.Field, where: string, issues: string[]): ElementPlan {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    const wrapperKind = WRAPPER_KINDS[nameOf(resolved)];
    return { kind: 'message', messageType: resolved, ...(wrapperKind ? { wrapperKind } : {}) };
  }
  if (resolved instanceof protobuf.Enum) return { kind: 'enum', enumType: resolved };
  if (isScalarKind(field.type)) return { kind: field.type };
  issues.push(`${where}: unresolved type ${field.type}`);
  return { kind: 'string' };
}
