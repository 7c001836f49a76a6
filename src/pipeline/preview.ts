/**
 * What Envoy sidecars would receive for one service under a given config: used by `trellis diff`
 * (the Envoy side of a config change) and `trellis explain --envoy`. It shows what callers get for
 * the service (its clusters, their endpoints, its RouteConfiguration `outbound_http/<key>` and the
 * scopes that select it by authority) and what the service's own sidecar gets on its inbound side. Pure: registry and config in, proto3 JSON out.
 */
import { createConfigLookup } from '../config/merge/index.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import { buildMeshModel } from '../model/build-model.ts';
import type { MeshModel, ProxyIdentity } from '../model/types.ts';
import { viewFor } from '../model/view.ts';
import type { RegistrySnapshot, ServiceKey } from '../registry/types.ts';
import { toProto3Json } from '../xds/proto/json.ts';
import { RESOURCE_NAMES } from '../xds/resources/envoy-values.ts';
import { translateView, type NamedResource } from '../xds/resources/translate.ts';
import { messageNameOf, TypeUrl } from '../xds/type-urls.ts';

/** Resources by type URL, then by name, as proto3 JSON (what Envoy's config dump shows). */
export type PreviewResources = Record<string, Record<string, object>>;

function sidecar(model: MeshModel, serviceKey: ServiceKey, own: boolean): ProxyIdentity {
  const service = model.services.get(serviceKey);
  const dot = serviceKey.indexOf('.');
  return {
    nodeId: `preview~${serviceKey}`,
    kind: 'sidecar',
    // A caller with no service of its own sees every service, so the target's config shows.
    service: own ? (service?.name ?? serviceKey.slice(0, dot)) : '',
    namespace: service?.namespace ?? serviceKey.slice(dot + 1),
    address: '',
    port: own ? (service?.port ?? 0) : 0,
    protocol: service?.protocol ?? 'http',
    labels: {},
    locality: { region: '', zone: '', subZone: '' },
    joinToken: '',
    spiffeId: '',
  };
}

/** The resources sidecars get for `serviceKey` (`name.namespace`) with `config` over `registry`. */
export function previewEnvoy(registry: RegistrySnapshot, config: ConfigSnapshot, serviceKey: ServiceKey): PreviewResources {
  const model = buildMeshModel(registry, undefined, createConfigLookup(config));
  const caller = translateView(viewFor(model, sidecar(model, serviceKey, false))).resources;
  const own = translateView(viewFor(model, sidecar(model, serviceKey, true))).resources;
  const clusterPrefix = `outbound|${serviceKey}`;
  const isServiceCluster = (name: string): boolean => name === clusterPrefix || name.startsWith(`${clusterPrefix}|`);
  const out: PreviewResources = {};
  const put = (url: TypeUrl, name: string, value: object): void => {
    (out[url] ??= {})[name] = toProto3Json(messageNameOf(url), value) as object;
  };
  const each = (list: readonly NamedResource[], keep: (name: string) => boolean, url: TypeUrl): void => {
    for (const resource of list) if (keep(resource.name)) put(url, resource.name, resource.value);
  };
  each(caller[TypeUrl.Cluster], isServiceCluster, TypeUrl.Cluster);
  each(caller[TypeUrl.ClusterLoadAssignment], isServiceCluster, TypeUrl.ClusterLoadAssignment);
  each(own[TypeUrl.Cluster], (name) => name.startsWith('inbound|'), TypeUrl.Cluster);
  each(own[TypeUrl.Listener], (name) => name.startsWith('inbound|'), TypeUrl.Listener);
  // The service's own route configuration, and the scopes (authorities) that select it.
  const routeConfigName = `${RESOURCE_NAMES.outboundHttpRoute}/${serviceKey}`;
  each(caller[TypeUrl.RouteConfiguration], (name) => name === routeConfigName, TypeUrl.RouteConfiguration);
  for (const scope of caller[TypeUrl.ScopedRouteConfiguration]) {
    if ((scope.value as { route_configuration_name?: unknown }).route_configuration_name === routeConfigName) {
      put(TypeUrl.ScopedRouteConfiguration, scope.name, scope.value);
    }
  }
  return out;
}
