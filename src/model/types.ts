/**
 * The mesh model: an intermediate representation between the registry/config and Envoy
 * resources. Plain readonly data with no protobuf, so every stage is testable alone and golden
 * files can be written as YAML. Later features (layered config, CA, gateways) add optional fields
 * here; resource builders read only this.
 */
import type { Health, Locality, Protocol, ServiceKey } from '../registry/types.ts';

export type { Health, Locality, Protocol, ServiceKey };

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
}

export interface HeaderMatchModel {
  readonly name: string;
  readonly exact?: string;
  readonly prefix?: string;
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
}

/** The whole mesh at one registry (and later config) revision. */
export interface MeshModel {
  readonly revision: number;
  /** Keyed by service key, iteration sorted by key. */
  readonly services: ReadonlyMap<ServiceKey, ServiceModel>;
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
  /** Proxyless servers: the listeners to serve (gRFC A36). */
  readonly serverListeners: readonly ServerListenerModel[];
}
