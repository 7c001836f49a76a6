/**
 * The mesh model: an intermediate representation between the registry/config and Envoy
 * resources. Plain readonly data with no protobuf, so every stage is testable alone and golden
 * files can be written as YAML. Later features (layered config, CA, gateways) add optional fields
 * here; resource builders read only this.
 */
import type { MtlsMode } from '../config/types.ts';
import type { Health, Locality, Protocol, ServiceKey } from '../registry/types.ts';
import type { Diagnostic } from '../util/errors.ts';

export type { Health, Locality, MtlsMode, Protocol, ServiceKey };

export interface EndpointModel {
  readonly instanceId: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly health: Health;
  readonly locality: Locality;
  readonly labels: Readonly<Record<string, string>>;
}

export type LbPolicy = 'round_robin' | 'least_request' | 'ring_hash' | 'random';

/** One upstream cluster: a whole service, or a subset of its instances selected by labels. */
export interface ClusterModel {
  /**
   * `outbound|<service key>` for the default cluster, `outbound|<service key>|<subset>` for a
   * subset (see `src/model/names.ts`). The EDS resource and `eds_cluster_config.service_name`
   * carry the same name.
   */
  readonly name: string;
  readonly serviceKey: ServiceKey;
  /** '' for the whole service. */
  readonly subset: string;
  readonly protocol: Protocol;
  readonly endpoints: readonly EndpointModel[];
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicy;
  /** Circuit-breaker thresholds (the DEFAULT priority); undefined: Envoy's defaults. */
  readonly circuitBreakers?: CircuitBreakerModel;
  readonly outlierDetection?: OutlierDetectionModel;
}

/** Limits per cluster; each unset field keeps Envoy's default. */
export interface CircuitBreakerModel {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
}

/** Passive health checking. Durations in milliseconds, percentages 0..100. */
export interface OutlierDetectionModel {
  readonly consecutive5xx?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly intervalMs?: number;
  readonly baseEjectionTimeMs?: number;
  readonly maxEjectionPercent?: number;
  readonly failurePercentageThreshold?: number;
  readonly failurePercentageMinimumHosts?: number;
  readonly failurePercentageRequestVolume?: number;
}

export interface HeaderMatchModel {
  readonly name: string;
  readonly exact?: string;
  readonly prefix?: string;
  /** RE2 syntax (Envoy `safe_regex`). */
  readonly regex?: string;
  readonly present?: boolean;
}

export interface RouteMatchModel {
  /** Exactly one of pathPrefix / path; pathPrefix '' or '/' matches everything. */
  readonly pathPrefix?: string;
  readonly path?: string;
  readonly headers?: readonly HeaderMatchModel[];
}

export interface WeightedClusterModel {
  readonly cluster: string;
  readonly weight: number;
}

export interface RouteModel {
  readonly name: string;
  readonly match: RouteMatchModel;
  /** One entry routes to a single cluster; several make a weighted split (weights sum > 0). */
  readonly to: readonly WeightedClusterModel[];
  readonly timeoutMs?: number;
  readonly retry?: RetryModel;
  readonly fault?: FaultModel;
  /** Envoy only (gRPC has no mirroring). */
  readonly mirror?: MirrorModel;
  /** Envoy only (gRPC ignores header mutation). */
  readonly headers?: HeaderMutationModel;
  /** Ring-hash load balancing: the request header whose value picks the host. */
  readonly hashHeader?: string;
}

export interface RetryModel {
  /** Retries after the first attempt (>= 1). */
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  /** Envoy `retry_on` conditions (HTTP ones and gRPC status names), at least one. */
  readonly on: readonly string[];
}

/** Percentages 0..100 (decimals allowed). */
export interface FaultModel {
  readonly abort?: { readonly percent: number; readonly httpStatus?: number; readonly grpcStatus?: number };
  readonly delay?: { readonly percent: number; readonly fixedMs: number };
}

export interface MirrorModel {
  readonly cluster: string;
  /** 0..100 (decimals allowed). */
  readonly percent: number;
}

export interface HeaderOperationsModel {
  /** Replace (or add) these headers. */
  readonly set?: Readonly<Record<string, string>>;
  /** Append these values (keeping existing ones). */
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface HeaderMutationModel {
  readonly request?: HeaderOperationsModel;
  readonly response?: HeaderOperationsModel;
}

/**
 * A matcher over the caller's SPIFFE id (the URI SAN of its client certificate, so only mTLS
 * callers can match): exact, by prefix, or all of several (a source naming more than one field).
 */
export type PrincipalModel =
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly allOf: readonly PrincipalModel[] };

/** A request path matcher: exact, or by prefix (`/pkg.Service/` for a whole gRPC service). */
export type PathMatchModel = { readonly exact: string } | { readonly prefix: string };

/** One operation: every present list must match (any element of it); absent lists match anything. */
export interface PermissionModel {
  readonly paths?: readonly PathMatchModel[];
  /** HTTP methods (`:method`); gRPC calls are always POST. */
  readonly methods?: readonly string[];
  /** The service port the request arrived for. */
  readonly ports?: readonly number[];
}

/** One authorization rule resolved to matchers: it matches when a principal and a permission match. */
export interface AuthorizationRuleModel {
  /** `<document id>#<rule index>`: the RBAC policy name, so a denial can be traced to its rule. */
  readonly name: string;
  readonly layer: 'platform' | 'team';
  /** Callers; undefined: any caller (authenticated or not). */
  readonly principals?: readonly PrincipalModel[];
  /** Operations; undefined: any request. */
  readonly permissions?: readonly PermissionModel[];
}

/**
 * Who may call a service (Istio-like): any matching deny rule denies; otherwise, when
 * `hasAllowPolicies`, only a matching allow rule admits (none at all: everyone is denied);
 * otherwise everything is admitted.
 */
export interface AuthorizationModel {
  readonly deny: readonly AuthorizationRuleModel[];
  readonly allow: readonly AuthorizationRuleModel[];
  readonly hasAllowPolicies: boolean;
}

/** Token bucket on the inbound side: `requestsPerSecond` refill per second, `burst` capacity. */
export interface RateLimitModel {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export interface ServiceModel {
  readonly key: ServiceKey;
  readonly name: string;
  readonly namespace: string;
  readonly protocol: Protocol;
  /** The port clients address the service by (the most common instance port; 0 if none yet). */
  readonly port: number;
  /** The default cluster (all instances) first, then subsets. */
  readonly clusters: readonly ClusterModel[];
  /** Evaluated in order; the last one usually matches everything. */
  readonly routes: readonly RouteModel[];
  /** Services its proxies may call; undefined means every service in the mesh. */
  readonly dependencies?: readonly ServiceKey[];
  /**
   * Other services whose clusters this service's routes send to (targets, mirrors), sorted: a
   * proxy that sees this service must see them too, or its routes would name unknown clusters.
   */
  readonly referencedServices?: readonly ServiceKey[];
  /** Local rate limit on the service's inbound side (Envoy sidecars only). */
  readonly rateLimit?: RateLimitModel;
  /** How the service accepts traffic (and so how its callers reach it); DISABLE without config. */
  readonly mtlsMode: MtlsMode;
  /** The service account of its workload identity: the service name. */
  readonly serviceAccount: string;
  /** `spiffe://<trust domain>/ns/<namespace>/sa/<serviceAccount>`: what callers check the server's SAN against. */
  readonly spiffeId: string;
  /** Authorization rules guarding the service; absent when it has none (everything admitted). */
  readonly authorization?: AuthorizationModel;
  /** Config problems found while building (a route target dropped, a fallback taken). */
  readonly diagnostics?: readonly Diagnostic[];
}

/** The whole mesh at one registry (and later config) revision. */
export interface MeshModel {
  readonly revision: number;
  /** The SPIFFE trust domain of every identity in the model. */
  readonly trustDomain: string;
  /** Keyed by service key, iteration sorted by key. */
  readonly services: ReadonlyMap<ServiceKey, ServiceModel>;
  /** Every service's `diagnostics`, in service key order. */
  readonly diagnostics?: readonly Diagnostic[];
}

export type ProxyKind = 'sidecar' | 'proxyless' | 'gateway';

/** Who a connected proxy is, parsed from its xDS node (see `src/model/node-identity.ts`). */
export interface ProxyIdentity {
  readonly nodeId: string;
  readonly kind: ProxyKind;
  /** Own service name and namespace; '' when the node did not say. */
  readonly service: string;
  readonly namespace: string;
  /** The workload's address and serving port; '' / 0 when unknown. */
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  /**
   * The join token from node metadata `trellis.token` ('' if absent). A secret: never logged,
   * never in diagnostics, status or a view (views carry only the verified `spiffeId`).
   */
  readonly joinToken: string;
  /** The identity the pipeline verified the token proves; '' until then (parseNodeIdentity sets ''). */
  readonly spiffeId: string;
}

/** Where a proxyless gRPC server (gRFC A36) listens; its Listener address must match exactly. */
export interface ServerListenerModel {
  readonly address: string;
  readonly port: number;
}

/**
 * Everything translation needs for one proxy, and nothing more: proxies with equal `key` get
 * the same resources and share one snapshot. The key is a hash of the whole view minus the
 * service models (which the snapshot version covers), never a hand-picked list of fields.
 */
export interface ProxyView {
  readonly key: string;
  readonly kind: ProxyKind;
  readonly namespace: string;
  /** Own service key, '' when unknown. */
  readonly serviceKey: ServiceKey;
  readonly locality: Locality;
  /** Services this proxy may call, sorted by key. */
  readonly visibleServices: readonly ServiceModel[];
  /** Sidecars: the local application port inbound traffic goes to (0: no inbound listener). */
  readonly inboundPort: number;
  readonly inboundProtocol: Protocol;
  /** Sidecars with an inbound port: the own service's local rate limit. */
  readonly inboundRateLimit?: RateLimitModel;
  /**
   * Sidecars with an inbound port and proxyless servers: the own service's authorization rules
   * (absent when it has none), enforced by RBAC filters on the inbound / server side.
   */
  readonly inboundAuthorization?: AuthorizationModel;
  /** Proxyless servers: the listeners to serve (gRFC A36). */
  readonly serverListeners: readonly ServerListenerModel[];
  /**
   * The SPIFFE id this proxy proved (verified join token), '' when unproven. Envoy proxies get
   * TLS (SDS certificates) only with one; proxyless gRPC reads certificates from files and needs none.
   */
  readonly workloadIdentity: string;
  /** The own service's mTLS mode (DISABLE when the proxy has no known service). */
  readonly inboundMtls: MtlsMode;
}
