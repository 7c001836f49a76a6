/** Test fixtures: a replaceable snapshot source, small Envoy resources, a server on port 0. */
import { buildSnapshot, encodeResource, resourceSet } from '../../../src/xds/cache/snapshot.ts';
import type { EncodedResource, NodeInfo, Snapshot, SnapshotSource } from '../../../src/xds/cache/types.ts';
import { createAdsServer, type AdsServer } from '../../../src/xds/server/ads-server.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';

export interface FakeSource {
  readonly source: SnapshotSource;
  /** Replaces the snapshot; watchers hear about it asynchronously, as the contract says. */
  set(snapshot: Snapshot): void;
  readonly nodes: NodeInfo[];
  watchers(): number;
}

export function fakeSource(initial?: Snapshot): FakeSource {
  let current = initial;
  const watchers = new Set<(snapshot: Snapshot) => void>();
  const nodes: NodeInfo[] = [];
  return {
    source: {
      watch(node, onChange) {
        nodes.push(node);
        watchers.add(onChange);
        return { current: () => current, close: () => void watchers.delete(onChange) };
      },
    },
    set(snapshot) {
      current = snapshot;
      setImmediate(() => {
        for (const watcher of watchers) watcher(snapshot);
      });
    },
    nodes,
    watchers: () => watchers.size,
  };
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** An EDS cluster; `timeoutS` lets a test change its content without renaming it. */
export function cluster(name: string, timeoutS = 1, serviceName?: string): EncodedResource {
  return encodeResource(TypeUrl.Cluster, name, {
    name,
    type: 'EDS',
    connect_timeout: { seconds: timeoutS },
    eds_cluster_config: { eds_config: { ads: {} }, ...(serviceName ? { service_name: serviceName } : {}) },
  });
}

export function staticCluster(name: string): EncodedResource {
  return encodeResource(TypeUrl.Cluster, name, { name, type: 'STATIC', connect_timeout: { seconds: 1 } });
}

export function cla(name: string, ports: readonly number[] = [8080]): EncodedResource {
  return encodeResource(TypeUrl.ClusterLoadAssignment, name, {
    cluster_name: name,
    endpoints: [
      {
        locality: { zone: 'z1' },
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: port } } } })),
      },
    ],
  });
}

export function listener(name: string, routeName: string): EncodedResource {
  return encodeResource(TypeUrl.Listener, name, {
    name,
    api_listener: {
      api_listener: {
        '@type': HCM,
        stat_prefix: name,
        rds: { config_source: { ads: {} }, route_config_name: routeName },
        http_filters: [{ name: 'router', typed_config: { '@type': ROUTER } }],
      },
    },
  });
}

/** A listener whose HCM takes its routes by scoped RDS (scopes keyed on the whole :authority). */
export function scopedListener(name: string): EncodedResource {
  return encodeResource(TypeUrl.Listener, name, {
    name,
    api_listener: {
      api_listener: {
        '@type': HCM,
        stat_prefix: name,
        scoped_routes: {
          name,
          scope_key_builder: { fragments: [{ header_value_extractor: { name: ':authority', index: 0 } }] },
          rds_config_source: { ads: {} },
          scoped_rds: { scoped_rds_config_source: { ads: {} } },
        },
        http_filters: [{ name: 'router', typed_config: { '@type': ROUTER } }],
      },
    },
  });
}

/** A scope selecting RouteConfiguration `routeName` for requests whose key is `key`. */
export function scope(name: string, key: string, routeName: string): EncodedResource {
  return encodeResource(TypeUrl.ScopedRouteConfiguration, name, { name, route_configuration_name: routeName, key: { fragments: [{ string_key: key }] } });
}

export function route(name: string, clusterName: string): EncodedResource {
  return encodeResource(TypeUrl.RouteConfiguration, name, {
    name,
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] }],
  });
}

export function secret(name: string, key = 'k'): EncodedResource {
  return encodeResource(TypeUrl.Secret, name, { name, generic_secret: { secret: { inline_string: key } } });
}

export interface MeshParts {
  readonly clusters?: readonly EncodedResource[];
  readonly clas?: readonly EncodedResource[];
  readonly listeners?: readonly EncodedResource[];
  readonly routes?: readonly EncodedResource[];
  readonly scopes?: readonly EncodedResource[];
  readonly secrets?: readonly EncodedResource[];
}

export function snapshotOf(parts: MeshParts): Snapshot {
  return buildSnapshot({
    [TypeUrl.Cluster]: resourceSet(parts.clusters ?? []),
    [TypeUrl.ClusterLoadAssignment]: resourceSet(parts.clas ?? []),
    [TypeUrl.Listener]: resourceSet(parts.listeners ?? []),
    [TypeUrl.RouteConfiguration]: resourceSet(parts.routes ?? []),
    [TypeUrl.ScopedRouteConfiguration]: resourceSet(parts.scopes ?? []),
    [TypeUrl.Secret]: resourceSet(parts.secrets ?? []),
  });
}

/** The default mesh: two EDS clusters with endpoints, one listener and its route. */
export function basicMesh(overrides: MeshParts = {}): MeshParts {
  return {
    clusters: [cluster('a'), cluster('b')],
    clas: [cla('a'), cla('b')],
    listeners: [listener('l1', 'r1')],
    routes: [route('r1', 'a')],
    ...overrides,
  };
}

export interface Running {
  readonly server: AdsServer;
  readonly source: FakeSource;
  readonly address: string;
}

/** Starts a server on 127.0.0.1:0 over a fake source. */
export async function startServer(initial?: Snapshot, controlPlaneId?: string): Promise<Running> {
  const source = fakeSource(initial);
  const server = createAdsServer({ source: source.source, ...(controlPlaneId ? { controlPlaneId } : {}) });
  const port = await server.listen('127.0.0.1', 0);
  return { server, source, address: `127.0.0.1:${port}` };
}

export const NODE = { id: 'node-1', cluster: 'test', locality: { zone: 'z1' } };
