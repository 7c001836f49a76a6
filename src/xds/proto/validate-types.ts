/** Shapes shared by the PGV rule compiler (validate-rules.ts) and the walker (validate.ts). */

/** One thing Envoy would reject or protobufjs would silently drop, at a field path. */
export interface ValidationProblem {
  /** e.g. `filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].domains[0]` */
  readonly path: string;
  /** PGV rule (`string.min_len`) or structural check (`unknown_field`, `type`, `oneof.required`). */
  readonly rule: string;
  readonly message: string;
}

export type Problems = ValidationProblem[];

export type ScalarKind =
  | 'double'
  | 'float'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'sint32'
  | 'sint64'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed32'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes';

/**
 * A scalar after reading: floats and 32-bit ints as number, 64-bit ints as bigint, bytes as
 * Uint8Array, enums as their number.
 */
export type ScalarValue = number | bigint | boolean | string | Uint8Array;

export type ScalarCheck = (value: ScalarValue, path: string, out: Problems) => void;
export type MessageCheck = (value: Readonly<Record<string, unknown>>, path: string, out: Problems) => void;

export interface CompiledRepeatedRules {
  /** min_items, max_items, unique on the raw array. */
  readonly check?: (items: readonly unknown[], path: string, out: Problems) => void;
  /** Rules for every element (`repeated.items`). */
  readonly items?: CompiledRules;
}

export interface CompiledMapRules {
  /** min_pairs, max_pairs on the number of entries. */
  readonly check?: (size: number, path: string, out: Problems) => void;
  readonly noSparse: boolean;
  readonly keys?: CompiledRules;
  readonly values?: CompiledRules;
}

/** One field's PGV rules, compiled once per field into closures. */
export interface CompiledRules {
  /** Rules on a scalar, an enum number, or a wrapper message's `.value`. */
  readonly scalar?: ScalarCheck;
  /** Rules on a present message value (Any type URL, Duration and Timestamp bounds). */
  readonly message?: MessageCheck;
  /** Rule name to report when the message is absent (`message.required`, `duration.required`, ...). */
  readonly required?: string;
  /** `message.skip`: the nested message's own rules are not applied (its structure still is). */
  readonly skip?: boolean;
  /** `enum.defined_only` is set: an unknown enum name is reported under that rule. */
  readonly enumDefinedOnly?: boolean;
  readonly repeated?: CompiledRepeatedRules;
  readonly map?: CompiledMapRules;
}

/** What a rule set applies to, so a rule for the wrong type is reported instead of ignored. */
export interface RuleTarget {
  readonly kind: ScalarKind | 'enum' | 'message';
  /** Full message name without a leading dot, when kind is 'message'. */
  readonly messageName?: string;
  /** Numbers the enum defines, when kind is 'enum'. */
  readonly enumValues?: ReadonlySet<number>;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyKind?: ScalarKind;
  /** `(udpa.annotations.sensitive)`: never echo the value in a message. */
  readonly sensitive: boolean;
}
