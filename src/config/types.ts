/**
 * Layered configuration: the documents service teams and platform teams write, and the effective
 * per-service settings merged from them with provenance. Plain readonly data.
 *
 * Field names are the YAML names (so provenance paths and bounds read like the YAML), with values
 * normalized: durations in milliseconds (numbers), percentages 0..100 (numbers).
 */
import type { Protocol, ServiceKey } from '../registry/types.ts';

export const API_VERSION = 'trellis.dev/v1alpha1';

export type ConfigKind = 'ServiceConfig' | 'PlatformPolicy' | 'AuthorizationPolicy';
export const CONFIG_KINDS: readonly ConfigKind[] = ['ServiceConfig', 'PlatformPolicy', 'AuthorizationPolicy'];

/** Where a document (or one of its fields) was written. */
export interface SourceRef {
  /** The file name as the user gave it (or `request`, `gitops:<path>`). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
}

// ---- settings (shared by ServiceConfig.spec and PlatformPolicy defaults/overrides) -------------

export type HeaderMatchSpec = string | { readonly exact?: string; readonly prefix?: string; readonly regex?: string; readonly present?: boolean };

export interface RouteMatchSpec {
  readonly pathPrefix?: string;
  readonly path?: string;
  /** Header name → exact value (a string) or a matcher. */
  readonly headers?: Readonly<Record<string, HeaderMatchSpec>>;
}

export interface RouteTargetSpec {
  /** Another service (`name.namespace`); default: the ServiceConfig's own service. */
  readonly service?: string;
  readonly subset?: string;
  /** Either every target of a route has a weight, or none does (then exactly one target). Weights sum to 100. */
  readonly weight?: number;
}

/** `on` values: 5xx, gateway-error, reset, connect-failure, retriable-4xx, and gRPC status names: cancelled, deadline-exceeded, internal, resource-exhausted, unavailable. */
export interface RetrySpec {
  readonly attempts?: number;
  /** Milliseconds. */
  readonly perTryTimeout?: number;
  readonly on?: readonly string[];
}

export interface FaultSpec {
  readonly abort?: { readonly percent: number; readonly httpStatus?: number; readonly grpcStatus?: number };
  /** `fixed` in milliseconds. */
  readonly delay?: { readonly percent: number; readonly fixed: number };
}

export interface MirrorSpec {
  readonly service?: string;
  readonly subset?: string;
  readonly percent: number;
}

export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface HeaderMutationSpec {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

export interface RouteSpec {
  readonly name?: string;
  readonly match?: RouteMatchSpec;
  readonly to: readonly RouteTargetSpec[];
  /** Milliseconds. */
  readonly timeout?: number;
  readonly retries?: RetrySpec;
  readonly fault?: FaultSpec;
  readonly mirror?: MirrorSpec;
  readonly headers?: HeaderMutationSpec;
}

export type LbPolicyName = 'round_robin' | 'least_request' | 'ring_hash' | 'random';

export interface LoadBalancerSpec {
  readonly policy?: LbPolicyName;
  /** ring_hash: the request header to hash. */
  readonly hashHeader?: string;
}

export interface ConnectionPoolSpec {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
}

export interface OutlierDetectionSpec {
  readonly consecutive5xx?: number;
  readonly consecutiveGatewayErrors?: number;
  /** Milliseconds. */
  readonly interval?: number;
  /** Milliseconds. */
  readonly baseEjectionTime?: number;
  readonly maxEjectionPercent?: number;
  /** Eject a host whose failure percentage is at least this (gRPC honours this form). */
  readonly failurePercentageThreshold?: number;
  readonly failurePercentageMinimumHosts?: number;
  readonly failurePercentageRequestVolume?: number;
}

export interface RateLimitSpec {
  readonly requestsPerSecond: number;
  readonly burst?: number;
}

/**
 * Mutual TLS for traffic to a service: STRICT (mTLS only), PERMISSIVE (mTLS and plaintext),
 * DISABLE (plaintext). Clients of a STRICT or PERMISSIVE service call it over mTLS.
 */
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';
export const MTLS_MODES: readonly MtlsMode[] = ['STRICT', 'PERMISSIVE', 'DISABLE'];

export interface MtlsSpec {
  readonly mode?: MtlsMode;
}

/**
 * What a ServiceConfig's spec holds, and what a PlatformPolicy may default or override.
 * Service-level timeout/retries/fault/mirror/headers apply to every route that does not set its own.
 */
export interface ServiceSettings {
  readonly protocol?: Protocol;
  /** Subset name → label selector over registry instances. */
  readonly subsets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Services (`name.namespace`) this service calls: scopes its sidecars' config. */
  readonly dependencies?: readonly string[];
  readonly routes?: readonly RouteSpec[];
  readonly timeout?: number;
  readonly retries?: RetrySpec;
  readonly fault?: FaultSpec;
  readonly mirror?: MirrorSpec;
  readonly headers?: HeaderMutationSpec;
  readonly loadBalancer?: LoadBalancerSpec;
  readonly connectionPool?: ConnectionPoolSpec;
  readonly outlierDetection?: OutlierDetectionSpec;
  readonly rateLimit?: RateLimitSpec;
  /** Inbound mTLS mode (builtin default DISABLE); a platform override can enforce STRICT. */
  readonly mtls?: MtlsSpec;
}

// ---- documents ---------------------------------------------------------------------------------

/** Which services a PlatformPolicy applies to. `namespaces: ['*']` is the whole mesh. */
export interface PolicyScope {
  readonly namespaces?: readonly string[];
  /** Service keys `name.namespace`. */
  readonly services?: readonly string[];
}

/** A limit on what a ServiceConfig may set for one field path (`timeout`, `retries.attempts`, `fault`). */
export interface Bound {
  readonly min?: number;
  readonly max?: number;
  /** false: the team may not set this field at all. */
  readonly allowed?: boolean;
  /** For string fields (and each element of string lists): the values a team may use. */
  readonly values?: readonly string[];
}

export interface PlatformPolicySpec {
  readonly scope: PolicyScope;
  readonly defaults?: ServiceSettings;
  readonly overrides?: ServiceSettings;
  /** Field path (as in ServiceSettings, dotted) → bound. Route-level fields are bounded too. */
  readonly bounds?: Readonly<Record<string, Bound>>;
}

interface DocumentBase {
  /** `ServiceConfig/<namespace>/<name>` or `PlatformPolicy/<name>`: see documentId. */
  readonly id: string;
  readonly name: string;
  readonly source: SourceRef;
  /** Line of every field path in the document, e.g. `spec.routes[0].timeout` → 12. */
  readonly lines: Readonly<Record<string, number>>;
  /** The document as written (parsed YAML), for `trellis get` and history. */
  readonly raw: unknown;
}

export interface ServiceConfigDocument extends DocumentBase {
  readonly kind: 'ServiceConfig';
  /** metadata.name is the service name. */
  readonly namespace: string;
  readonly spec: ServiceSettings;
}

export interface PlatformPolicyDocument extends DocumentBase {
  readonly kind: 'PlatformPolicy';
  readonly spec: PlatformPolicySpec;
}

// ---- authorization (who may call whom) ----------------------------------------------------------

/** A caller: a service (`name.namespace`), a whole namespace, or a SPIFFE id (exact, or a prefix ending in `*`). */
export interface AuthorizationSource {
  readonly service?: string;
  readonly namespace?: string;
  readonly spiffeId?: string;
}

/** What is called: any of the paths (exact, or prefix ending in `*`), methods, ports. Empty = anything. */
export interface AuthorizationOperation {
  readonly paths?: readonly string[];
  readonly methods?: readonly string[];
  readonly ports?: readonly number[];
}

/** Matches when any `from` source AND any `to` operation match (an absent list matches everything). */
export interface AuthorizationRule {
  readonly from?: readonly AuthorizationSource[];
  readonly to?: readonly AuthorizationOperation[];
}

export type AuthorizationAction = 'ALLOW' | 'DENY';

export interface AuthorizationPolicySpec {
  /** Platform (cluster-scoped) policies only: which services it guards, as in PlatformPolicy. */
  readonly scope?: PolicyScope;
  /** Team (namespaced) policies only: the service of the policy's namespace it guards (name). */
  readonly target?: { readonly service: string };
  readonly action: AuthorizationAction;
  readonly rules: readonly AuthorizationRule[];
}

/**
 * With `namespace`: a team policy for a service of that namespace. Without: a platform policy
 * (admin only) over `spec.scope`. Evaluation: any matching DENY (platform or team) denies; else,
 * when the service has ALLOW policies, only a matching ALLOW admits; else everything is admitted.
 * So platform deny rules always beat team allow rules.
 */
export interface AuthorizationPolicyDocument extends DocumentBase {
  readonly kind: 'AuthorizationPolicy';
  readonly namespace?: string;
  readonly spec: AuthorizationPolicySpec;
}

export type ConfigDocument = ServiceConfigDocument | PlatformPolicyDocument | AuthorizationPolicyDocument;

/** The stable identity of a document. */
export function documentId(kind: ConfigKind, name: string, namespace?: string): string {
  if (kind === 'ServiceConfig') return `ServiceConfig/${namespace ?? 'default'}/${name}`;
  if (kind === 'AuthorizationPolicy') return namespace === undefined ? `AuthorizationPolicy/${name}` : `AuthorizationPolicy/${namespace}/${name}`;
  return `PlatformPolicy/${name}`;
}

/** One authorization rule as it applies to a service, with where it came from. */
export interface EffectiveAuthorizationRule {
  readonly action: AuthorizationAction;
  readonly layer: 'platform' | 'team';
  /** Document id. */
  readonly document: string;
  readonly source: SourceRef;
  /** Index in the document's `spec.rules`. */
  readonly index: number;
  readonly rule: AuthorizationRule;
}

/** Every rule guarding one service: DENY rules first (platform, then team), then ALLOW rules. */
export interface EffectiveAuthorization {
  readonly deny: readonly EffectiveAuthorizationRule[];
  readonly allow: readonly EffectiveAuthorizationRule[];
  /** True when at least one ALLOW policy targets the service (then only matching callers get in). */
  readonly hasAllowPolicies: boolean;
}

/** Every stored document at one config revision. */
export interface ConfigSnapshot {
  readonly revision: number;
  readonly documents: ReadonlyMap<string, ConfigDocument>;
}

// ---- effective config --------------------------------------------------------------------------

export type Layer = 'builtin' | 'platform-default' | 'service' | 'platform-override';

/** Who set a value: the layer, the document id, and where in the file. */
export interface ValueOrigin {
  readonly layer: Layer;
  /** Document id, or `builtin`. */
  readonly document: string;
  readonly source?: SourceRef;
  readonly value: unknown;
}

/** The effective value of one field path with its origin and the values it overrode (lowest first). */
export interface FieldProvenance extends ValueOrigin {
  readonly overrode: readonly ValueOrigin[];
}

export interface EffectiveServiceConfig {
  readonly serviceKey: ServiceKey;
  readonly settings: ServiceSettings;
  /** Leaf field path (`retries.attempts`, `routes`, `subsets.v1`) → provenance. */
  readonly provenance: ReadonlyMap<string, FieldProvenance>;
}

/** Effective settings per service, for every service the registry or a ServiceConfig names. */
export interface EffectiveConfig {
  readonly revision: number;
  readonly services: ReadonlyMap<ServiceKey, EffectiveServiceConfig>;
}

/**
 * What the model build reads from the config stage: effective settings per service, computed on
 * demand and memoized for one config revision (so unchanged services keep object identity).
 */
export interface ConfigLookup {
  readonly revision: number;
  /** Services that have a ServiceConfig (they exist in the model even with no instances). */
  configuredServices(): Iterable<ServiceKey>;
  /** Effective settings for `key` (platform defaults and overrides apply even without a ServiceConfig). */
  forService(key: ServiceKey): EffectiveServiceConfig;
  /** The authorization rules guarding `key` (memoized like forService). */
  authorizationFor(key: ServiceKey): EffectiveAuthorization;
}
