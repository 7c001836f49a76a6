/**
 * Cluster builders. Outbound clusters are EDS over ADS (gRPC accepts EDS, LOGICAL_DNS and
 * aggregate only; STATIC is NACKed), so the inbound STATIC cluster exists for Envoy sidecars only.
 */
import { inboundClusterName } from '../../model/names.ts';
import type { ClusterModel, LbPolicy, ProxyView } from '../../model/types.ts';
import { adsConfigSource, duration, http2ProtocolOptions, socketAddress, type EnvoyObject } from './envoy-values.ts';

const LB_POLICY: Readonly<Record<LbPolicy, string>> = {
  round_robin: 'ROUND_ROBIN',
  least_request: 'LEAST_REQUEST',
  ring_hash: 'RING_HASH',
  random: 'RANDOM',
};

const INBOUND_CONNECT_TIMEOUT_MS = 1000;
const LOOPBACK = '127.0.0.1';

/** The outbound EDS Cluster for `c` (depends on the ClusterModel only). gRPC services get HTTP/2. */
export function buildCluster(c: ClusterModel): EnvoyObject {
  return {
    name: c.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource(), service_name: c.name },
    connect_timeout: duration(c.connectTimeoutMs),
    lb_policy: LB_POLICY[c.lbPolicy],
    ...(c.protocol === 'grpc' ? { typed_extension_protocol_options: http2ProtocolOptions() } : {}),
  };
}

/**
 * The sidecar's inbound STATIC cluster `inbound|<port>|<own key>` → 127.0.0.1:<inboundPort>, or
 * undefined when the view has no inbound port or is not a sidecar.
 */
export function buildInboundCluster(view: ProxyView): EnvoyObject | undefined {
  if (view.kind !== 'sidecar' || view.inboundPort <= 0) return undefined;
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
