/**
 * Cluster builders. Outbound clusters are EDS over ADS (gRPC accepts EDS, LOGICAL_DNS and
 * aggregate only; STATIC is NACKed), so the inbound STATIC cluster exists for Envoy sidecars only.
 *
 * Load balancing: Envoy gets the policy as configured. grpc-js-xds accepts only ROUND_ROBIN and
 * RING_HASH in `lb_policy` (and has no least-request or random policy to name in
 * `load_balancing_policy` either), so proxyless clusters fall back to ROUND_ROBIN for
 * least_request and random, and translation reports a warning (see `clusterWarnings`).
 * Circuit breakers: gRPC honours `max_requests` only. Outlier detection: gRPC implements the
 * success-rate and failure-percentage algorithms only; success-rate ejection is switched off
 * (`enforcing_success_rate` 0) so that only what the config asks for runs, in Envoy and gRPC alike.
 */
import { inboundClusterName } from '../../model/names.ts';
import type { CircuitBreakerModel, ClusterModel, LbPolicy, OutlierDetectionModel, ProxyView } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { adsConfigSource, duration, http2ProtocolOptions, socketAddress, type ClientFlavor, type EnvoyObject } from './envoy-values.ts';
import { sidecarInbound } from './mtls-plan.ts';
import { envoyUpstreamTls, grpcUpstreamTls } from './tls.ts';

/** mTLS to a cluster's servers: the SPIFFE id they must present. */
export interface UpstreamTls {
  readonly serverSpiffeId: string;
}

const LB_POLICY: Readonly<Record<LbPolicy, string>> = {
  round_robin: 'ROUND_ROBIN',
  least_request: 'LEAST_REQUEST',
  ring_hash: 'RING_HASH',
  random: 'RANDOM',
};

const INBOUND_CONNECT_TIMEOUT_MS = 1000;
const LOOPBACK = '127.0.0.1';

/** The policies grpc-js-xds accepts in `lb_policy`. */
const GRPC_LB_POLICIES: ReadonlySet<LbPolicy> = new Set(['round_robin', 'ring_hash']);

/**
 * The outbound EDS Cluster for `c` as `flavor` reads it (depends on the ClusterModel, flavor and
 * `tls` only). gRPC services get HTTP/2. With `tls`, a TLS transport socket in the flavor's form
 * (Envoy: SDS secrets; gRPC: certificate provider instances), pinning the server's SPIFFE id.
 */
export function buildCluster(c: ClusterModel, flavor: ClientFlavor = 'envoy', tls?: UpstreamTls): EnvoyObject {
  const policy = flavor === 'grpc' && !GRPC_LB_POLICIES.has(c.lbPolicy) ? 'round_robin' : c.lbPolicy;
  return {
    name: c.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource(), service_name: c.name },
    connect_timeout: duration(c.connectTimeoutMs),
    lb_policy: LB_POLICY[policy],
    ...(policy === 'ring_hash' ? { ring_hash_lb_config: {} } : {}),
    ...(c.circuitBreakers ? { circuit_breakers: { thresholds: [thresholds(c.circuitBreakers)] } } : {}),
    ...(c.outlierDetection ? { outlier_detection: outlierDetection(c.outlierDetection) } : {}),
    ...(c.protocol === 'grpc' ? { typed_extension_protocol_options: http2ProtocolOptions() } : {}),
    ...(tls ? { transport_socket: flavor === 'grpc' ? grpcUpstreamTls(tls.serverSpiffeId) : envoyUpstreamTls(tls.serverSpiffeId) } : {}),
  };
}

/** Warnings for what `flavor` cannot honour in `c` (today: gRPC and least_request / random). */
export function clusterWarnings(c: ClusterModel, flavor: ClientFlavor): Diagnostic[] {
  if (flavor !== 'grpc' || GRPC_LB_POLICIES.has(c.lbPolicy)) return [];
  return [
    {
      severity: 'warning',
      field: 'loadBalancer.policy',
      message: `proxyless gRPC has no ${c.lbPolicy} policy; cluster ${c.name} uses round_robin for gRPC clients`,
      source: `service ${c.serviceKey}`,
    },
  ];
}

function thresholds(cb: CircuitBreakerModel): EnvoyObject {
  const u32 = (v: number | undefined): { value: number } | undefined => (v === undefined ? undefined : { value: v });
  return dropUndefined({
    priority: 'DEFAULT',
    max_connections: u32(cb.maxConnections),
    max_pending_requests: u32(cb.maxPendingRequests),
    max_requests: u32(cb.maxRequests),
    max_retries: u32(cb.maxRetries),
  });
}

function outlierDetection(od: OutlierDetectionModel): EnvoyObject {
  const u32 = (v: number | undefined): { value: number } | undefined => (v === undefined ? undefined : { value: v });
  const failurePercentage = od.failurePercentageThreshold !== undefined;
  return dropUndefined({
    consecutive_5xx: u32(od.consecutive5xx),
    consecutive_gateway_failure: u32(od.consecutiveGatewayErrors),
    // Envoy enforces consecutive gateway failures only when asked to (enforcing default 0).
    enforcing_consecutive_gateway_failure: od.consecutiveGatewayErrors !== undefined ? { value: 100 } : undefined,
    interval: od.intervalMs === undefined ? undefined : duration(od.intervalMs),
    base_ejection_time: od.baseEjectionTimeMs === undefined ? undefined : duration(od.baseEjectionTimeMs),
    max_ejection_percent: u32(od.maxEjectionPercent),
    enforcing_success_rate: { value: 0 },
    failure_percentage_threshold: u32(od.failurePercentageThreshold),
    failure_percentage_minimum_hosts: u32(od.failurePercentageMinimumHosts),
    failure_percentage_request_volume: u32(od.failurePercentageRequestVolume),
    enforcing_failure_percentage: failurePercentage ? { value: 100 } : undefined,
  });
}

function dropUndefined(value: EnvoyObject): EnvoyObject {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * The sidecar's inbound STATIC cluster `inbound|<port>|<own key>` → 127.0.0.1:<inboundPort>, or
 * undefined when the view has no inbound port, is not a sidecar, or gets no inbound listener
 * (an unproven sidecar under STRICT mTLS, see mtls-plan.ts).
 */
export function buildInboundCluster(view: ProxyView): EnvoyObject | undefined {
  if (view.kind !== 'sidecar' || view.inboundPort <= 0 || sidecarInbound(view) === 'none') return undefined;
  const name = inboundClusterName(view.inboundPort, view.serviceKey);
  return {
    name,
    type: 'STATIC',
    connect_timeout: duration(INBOUND_CONNECT_TIMEOUT_MS),
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(LOOPBACK, view.inboundPort) } }] }],
    },
    ...(view.inboundProtocol === 'grpc' ? { typed_extension_protocol_options: http2ProtocolOptions() } : {}),
  };
}
