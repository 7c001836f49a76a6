/**
 * One service's model from its registry record, instances and effective settings (pure).
 * - Protocol: settings.protocol, else the registry's, else http.
 * - Clusters: the default cluster (all instances) first, then one per subset in name order
 *   (`outbound|<key>|<subset>`, the instances whose labels include every selector pair), all with
 *   the service's load balancer, circuit breakers and outlier detection.
 * - Routes: see routes-from-settings.ts; dependencies and rate limit are copied over.
 */
import type { ServiceSettings } from '../config/types.ts';
import type { InstanceRecord, ServiceRecord } from '../registry/types.ts';
import { DEFAULT_TRUST_DOMAIN } from '../ca/types.ts';
import { outboundClusterName, spiffeIdOf } from './names.ts';
import { normalizeServiceKey, routesFromSettings, type KnownClusters } from './routes-from-settings.ts';
import type {
  AuthorizationModel,
  CircuitBreakerModel,
  ClusterModel,
  EndpointModel,
  LbPolicy,
  OutlierDetectionModel,
  Protocol,
  RateLimitModel,
  ServiceKey,
  ServiceModel,
} from './types.ts';

const DEFAULT_CONNECT_TIMEOUT_MS = 1000;

/** One service's model from its record and instances, with no config (today's behaviour). */
export function buildServiceModel(key: ServiceKey, record: ServiceRecord, instances: readonly InstanceRecord[]): ServiceModel {
  return buildConfiguredServiceModel(key, record, instances, undefined, new Map([[key, new Set<string>()]]), DEFAULT_TRUST_DOMAIN);
}

/**
 * One service's model. `record` is undefined for a service only config names; `known` lists
 * every service of the model with its subsets, to resolve route targets; `trustDomain` names
 * its SPIFFE identity (service account = the service name); `authorization` (see
 * authorization.ts) is copied over.
 */
export function buildConfiguredServiceModel(
  key: ServiceKey,
  record: ServiceRecord | undefined,
  instances: readonly InstanceRecord[],
  settings: ServiceSettings | undefined,
  known: KnownClusters,
  trustDomain: string = DEFAULT_TRUST_DOMAIN,
  authorization?: AuthorizationModel,
): ServiceModel {
  const s: ServiceSettings = settings ?? {};
  const protocol: Protocol = s.protocol ?? record?.protocol ?? 'http';
  const endpoints = instances.map(endpointFrom);
  const policies = clusterPolicies(s);
  const cluster = (subset: string, members: readonly EndpointModel[]): ClusterModel => ({
    name: outboundClusterName(key, subset),
    serviceKey: key,
    subset,
    protocol,
    endpoints: members,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    ...policies,
  });
  const subsets = Object.entries(s.subsets ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const clusters = [
    cluster('', endpoints),
    ...subsets.map(([name, selector]) => cluster(name, endpoints.filter((e) => selects(selector, e.labels)))),
  ];
  const routes = routesFromSettings(key, protocol, s, known);
  const dot = key.indexOf('.');
  const rateLimit = rateLimitModel(s);
  const name = record?.name ?? (dot < 0 ? key : key.slice(0, dot));
  const namespace = record?.namespace ?? (dot < 0 ? 'default' : key.slice(dot + 1));
  return {
    key,
    name,
    namespace,
    protocol,
    port: mostCommonPort(instances),
    clusters,
    routes: routes.routes,
    ...(s.dependencies ? { dependencies: [...new Set(s.dependencies.map((d) => normalizeServiceKey(d, key)))].sort() } : {}),
    ...(routes.referencedServices.length > 0 ? { referencedServices: routes.referencedServices } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    mtlsMode: s.mtls?.mode ?? 'DISABLE',
    serviceAccount: name,
    spiffeId: spiffeIdOf(trustDomain, namespace, name),
    ...(authorization ? { authorization } : {}),
    ...(routes.diagnostics.length > 0 ? { diagnostics: routes.diagnostics } : {}),
  };
}

/** The route targets of `settings` that `known` cannot resolve (`service|subset`), for the reuse key. */
export function unresolvedTargets(key: ServiceKey, settings: ServiceSettings, known: KnownClusters): string[] {
  if (!settings.routes && !settings.mirror) return [];
  return routesFromSettings(key, 'http', settings, known).unresolved;
}

function clusterPolicies(s: ServiceSettings): { lbPolicy: LbPolicy; circuitBreakers?: CircuitBreakerModel; outlierDetection?: OutlierDetectionModel } {
  const pool = s.connectionPool;
  const od = s.outlierDetection;
  const circuitBreakers: CircuitBreakerModel | undefined = pool
    ? defined({ maxConnections: pool.maxConnections, maxPendingRequests: pool.maxPendingRequests, maxRequests: pool.maxRequests, maxRetries: pool.maxRetries })
    : undefined;
  const outlierDetection: OutlierDetectionModel | undefined = od
    ? defined({
        consecutive5xx: od.consecutive5xx,
        consecutiveGatewayErrors: od.consecutiveGatewayErrors,
        intervalMs: od.interval,
        baseEjectionTimeMs: od.baseEjectionTime,
        maxEjectionPercent: od.maxEjectionPercent,
        failurePercentageThreshold: od.failurePercentageThreshold,
        failurePercentageMinimumHosts: od.failurePercentageMinimumHosts,
        failurePercentageRequestVolume: od.failurePercentageRequestVolume,
      })
    : undefined;
  return {
    lbPolicy: s.loadBalancer?.policy ?? 'round_robin',
    ...(circuitBreakers && Object.keys(circuitBreakers).length > 0 ? { circuitBreakers } : {}),
    ...(outlierDetection && Object.keys(outlierDetection).length > 0 ? { outlierDetection } : {}),
  };
}

function rateLimitModel(s: ServiceSettings): RateLimitModel | undefined {
  const r = s.rateLimit;
  if (!r || r.requestsPerSecond <= 0) return undefined;
  // Burst defaults to one second's worth of requests.
  return { requestsPerSecond: r.requestsPerSecond, burst: Math.max(r.burst ?? r.requestsPerSecond, 1) };
}

/** `value` without its undefined fields (exactOptionalPropertyTypes forbids explicit undefined). */
function defined<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function endpointFrom(instance: InstanceRecord): EndpointModel {
  return {
    instanceId: instance.id,
    address: instance.address,
    port: instance.port,
    weight: instance.weight,
    health: instance.health,
    locality: instance.locality,
    labels: instance.labels,
  };
}

/** The port most instances serve on; ties go to the lowest port; 0 with no instances. */
function mostCommonPort(instances: readonly InstanceRecord[]): number {
  const counts = new Map<number, number>();
  for (const instance of instances) counts.set(instance.port, (counts.get(instance.port) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [port, count] of counts) {
    if (count > bestCount || (count === bestCount && port < best)) {
      best = port;
      bestCount = count;
    }
  }
  return best;
}
