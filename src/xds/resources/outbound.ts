/**
 * The outbound part of a view: what a proxy needs to call the services it sees (clusters, their
 * endpoints, route configurations, scopes for sidecars, api_listeners for proxyless clients).
 * It depends only on the visible services and a few facts of the proxy (kind, namespace,
 * locality, whether it proved an identity), so proxies that differ only in their own service,
 * e.g. every sidecar of a namespace with the same dependencies, share one copy: the same
 * arrays, hence the same encoded resource sets, hence the same prepared responses.
 */
import type { ProxyView, ServiceModel } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { clusterWarnings } from './clusters.ts';
import type { ClientFlavor } from './envoy-values.ts';
import { upstreamTlsFor } from './mtls-plan.ts';
import { TypeUrl } from '../type-urls.ts';
import { isHttpService } from './routes.ts';
import type { ResourcesByType } from './consistency.ts';
import type { NamedResource, TranslationMemo } from './translate.ts';

/** The outbound resources of a view; arrays are shared between views, never mutate them. */
export interface Outbound {
  readonly clusters: readonly NamedResource[];
  readonly assignments: readonly NamedResource[];
  readonly routeConfigs: readonly NamedResource[];
  /** Sidecars and gateways: one scope per accepted authority. */
  readonly scopes: readonly NamedResource[];
  /** Proxyless: the api_listeners of the visible http/grpc services. */
  readonly apiListeners: readonly NamedResource[];
  readonly diagnostics: readonly Diagnostic[];
  /** The arrays above by type, one object per outbound part (its consistency is checked once). */
  readonly shared: ResourcesByType;
}

/**
 * What the outbound part of `view` depends on besides the visible service objects themselves
 * (compared by identity by the memo): equal keys and identical services give equal outbound parts.
 */
export function outboundKey(view: ProxyView): string {
  const { region, zone, subZone } = view.locality;
  const proven = view.workloadIdentity === '' ? '0' : '1';
  return [view.kind, view.namespace, region, zone, subZone, proven, ...view.visibleServices.map((s) => s.key)].join('\0');
}

/** Builds the outbound part of `view` from memoized per-service builders. */
export function buildOutbound(view: ProxyView, memo: TranslationMemo): Outbound {
  const flavor: ClientFlavor = view.kind === 'proxyless' ? 'grpc' : 'envoy';
  const clusters: NamedResource[] = [];
  const assignments: NamedResource[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const service of view.visibleServices) {
    const tls = upstreamTlsFor(view, service);
    for (const cluster of service.clusters) {
      clusters.push(memo.cluster(cluster, flavor, tls));
      assignments.push(memo.assignment(cluster, view.locality));
    }
    // One warning per service is enough: its clusters share one policy.
    const first = service.clusters[0];
    if (first) diagnostics.push(...clusterWarnings(first, flavor));
  }
  const httpServices: ServiceModel[] = view.visibleServices.filter(isHttpService);
  if (view.kind === 'proxyless') {
    const routeConfigs = httpServices.map((service) => memo.serviceRoute(service));
    const apiListeners = httpServices.flatMap((service) => memo.apiListeners(service, view.namespace));
    return withShared({ clusters, assignments, routeConfigs, scopes: [], apiListeners, diagnostics });
  }
  // Authorities cannot clash today (keys hold a dot, names are DNS labels); the first keeps one anyway.
  const scopes: NamedResource[] = [];
  const used = new Set<string>();
  for (const service of httpServices) {
    for (const scope of memo.scopes(service, view.namespace)) {
      if (used.has(scope.name)) continue;
      used.add(scope.name);
      scopes.push(scope);
    }
  }
  const routeConfigs = httpServices.map((service) => memo.sidecarRoute(service));
  return withShared({ clusters, assignments, routeConfigs, scopes, apiListeners: [], diagnostics });
}

function withShared(parts: Omit<Outbound, 'shared'>): Outbound {
  const shared: ResourcesByType = {
    [TypeUrl.Cluster]: parts.clusters,
    [TypeUrl.ClusterLoadAssignment]: parts.assignments,
    [TypeUrl.RouteConfiguration]: parts.routeConfigs,
    [TypeUrl.ScopedRouteConfiguration]: parts.scopes,
    [TypeUrl.Listener]: parts.apiListeners,
  };
  return { ...parts, shared };
}
