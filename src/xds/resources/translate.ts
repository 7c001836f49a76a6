/**
 * Proxy view → Envoy resources, composing the per-type builders by view kind:
 * - sidecar: CDS (outbound EDS clusters + inbound STATIC cluster), EDS, LDS (outbound_http,
 *   outbound tcp, inbound), RDS (`outbound_http`);
 * - gateway: as a sidecar without inbound (gateway support is a later issue);
 * - proxyless: CDS, EDS, LDS (api_listeners per service + A36 server listeners), RDS per service.
 * Translation is pure. The result is checked with `checkConsistency`; problems come back as
 * error diagnostics (field `consistency`), and the pipeline refuses such a snapshot.
 */
import type { ProxyView } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { TypeUrl } from '../type-urls.ts';
import { buildCluster, buildInboundCluster } from './clusters.ts';
import { checkConsistency } from './consistency.ts';
import { buildClusterLoadAssignment } from './endpoints.ts';
import { buildApiListeners, buildServerListener } from './grpc-listeners.ts';
import { buildOutboundRouteConfig, buildServiceRouteConfig, isHttpService } from './routes.ts';
import { buildSidecarListeners } from './sidecar-listeners.ts';

export { checkConsistency } from './consistency.ts';
export type { ResourcesByType } from './consistency.ts';

export interface NamedResource {
  readonly name: string;
  readonly value: object;
}

export interface TranslationResult {
  readonly resources: Record<TypeUrl, ReadonlyArray<NamedResource>>;
  readonly diagnostics: Diagnostic[];
}

/** Every resource for `view`, by type URL (each list in a stable order), plus diagnostics. */
export function translateView(view: ProxyView): TranslationResult {
  const clusters: NamedResource[] = [];
  const assignments: NamedResource[] = [];
  for (const service of view.visibleServices) {
    for (const cluster of service.clusters) {
      clusters.push(named(buildCluster(cluster)));
      assignments.push({ name: cluster.name, value: buildClusterLoadAssignment(cluster, view.locality) });
    }
  }

  let listeners: NamedResource[];
  let routeConfigs: NamedResource[];
  const diagnostics: Diagnostic[] = [];
  if (view.kind === 'proxyless') {
    const httpServices = view.visibleServices.filter(isHttpService);
    listeners = [
      ...httpServices.flatMap((service) => buildApiListeners(service, view.namespace)),
      ...view.serverListeners.map(buildServerListener),
    ].map(named);
    routeConfigs = httpServices.map((service) => named(buildServiceRouteConfig(service)));
  } else {
    const inbound = buildInboundCluster(view);
    if (inbound) clusters.push(named(inbound));
    const sidecar = buildSidecarListeners(view);
    diagnostics.push(...sidecar.diagnostics);
    listeners = sidecar.listeners.map(named);
    routeConfigs = [named(buildOutboundRouteConfig(view))];
  }

  const resources: Record<TypeUrl, ReadonlyArray<NamedResource>> = {
    [TypeUrl.Secret]: [],
    [TypeUrl.Cluster]: clusters,
    [TypeUrl.ClusterLoadAssignment]: assignments,
    [TypeUrl.Listener]: listeners,
    [TypeUrl.RouteConfiguration]: routeConfigs,
  };
  for (const problem of checkConsistency(resources)) {
    diagnostics.push({ severity: 'error', field: 'consistency', message: problem, source: `view ${view.key}` });
  }
  return { resources, diagnostics };
}

/** Wraps a built resource with its `name` field as the resource name. */
function named(value: Record<string, unknown>): NamedResource {
  const name = value['name'];
  return { name: typeof name === 'string' ? name : '', value };
}
