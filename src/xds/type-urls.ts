/** Type URLs of the resources Trellis serves, and the order in which changes are pushed. */
export const TypeUrl = {
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  ScopedRouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type TypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/**
 * Make-before-break: clusters before the endpoints they need, listeners before the routes they
 * name (scopes, then the route configurations the scopes name: a client only subscribes to a
 * route configuration once a scope names it), secrets (referenced by clusters and listeners)
 * first of all so nothing warms on them.
 */
export const PUSH_ORDER: readonly TypeUrl[] = [
  TypeUrl.Secret,
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.ScopedRouteConfiguration,
  TypeUrl.RouteConfiguration,
];

/**
 * Types whose state-of-the-world responses are full state (a missing name means deleted), and
 * which a client subscribes to as a wildcard: CDS, LDS, and SRDS (Envoy subscribes to every
 * scope of an HCM with `scoped_rds` and replaces its scope table with each SotW response).
 */
export const FULL_STATE_TYPES: ReadonlySet<string> = new Set<string>([TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.ScopedRouteConfiguration]);

/** Short names used in status output and the CLI. */
export const TYPE_SHORT_NAMES: Readonly<Record<TypeUrl, string>> = {
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.ClusterLoadAssignment]: 'EDS',
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.RouteConfiguration]: 'RDS',
  [TypeUrl.ScopedRouteConfiguration]: 'SRDS',
  [TypeUrl.Secret]: 'SDS',
};

const KNOWN: ReadonlySet<string> = new Set<string>(Object.values(TypeUrl));

/** True when `url` is a type Trellis serves. */
const CANONICAL: ReadonlyMap<string, TypeUrl> = new Map(Object.values(TypeUrl).map((url) => [url, url] as const));

/**
 * The TypeUrl constant equal to `url`, or `url` itself when unknown. A type URL decoded from the
 * wire is a fresh string; used as a property key (`snapshot.resources[typeUrl]`, for every
 * stream on every push) it sends V8 down its slow keyed-lookup path each time, the constant does not.
 */
export function canonicalTypeUrl(url: string): string {
  return CANONICAL.get(url) ?? url;
}

export function isKnownTypeUrl(url: string): url is TypeUrl {
  return KNOWN.has(url);
}

/** The fully qualified protobuf message name inside a type URL. */
export function messageNameOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
