/**
 * Proxy view → Envoy resources, composing the per-type builders by view kind:
 * - sidecar: CDS (outbound EDS clusters + inbound STATIC cluster), EDS, LDS (outbound_http,
 *   outbound tcp, inbound), SRDS (a scope per authority of each visible http/grpc service) and
 *   RDS (`outbound_http/<service key>` per such service), see scoped-routes.ts;
 * - gateway: as a sidecar without inbound (gateway support is a later issue);
 * - proxyless: CDS, EDS, LDS (api_listeners per service + A36 server listeners), RDS per service,
 *   no SRDS.
 * mTLS (clusters' and listeners' transport sockets) follows mtls-plan.ts; the own service's
 * authorization rules become RBAC filters on the serving side (filters/rbac.ts,
 * authorization-plan.ts for what cannot be enforced). Secrets are not made
 * here: the pipeline adds `buildSecrets` (secrets.ts) for proven Envoy proxies, so a rotation
 * rebuilds secrets only. Translation is pure. The result is checked with `checkConsistency`; problems come back as
 * error diagnostics (field `consistency`), and the pipeline refuses such a snapshot.
 */
import type { ClusterModel, Locality, ProxyView, ServiceModel } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { TypeUrl } from '../type-urls.ts';
import { buildCluster, buildInboundCluster, type UpstreamTls } from './clusters.ts';
import { checkViewConsistency } from './consistency.ts';
import { buildClusterLoadAssignment } from './endpoints.ts';
import { buildApiListeners, buildServerListener } from './grpc-listeners.ts';
import { buildServiceRouteConfig } from './routes.ts';
import { buildServiceScopes, buildSidecarServiceRouteConfig } from './scoped-routes.ts';
import { mtlsWarnings, serverRequiresMtls } from './mtls-plan.ts';
import { authorizationWarnings } from './authorization-plan.ts';
import { buildSidecarListeners } from './sidecar-listeners.ts';
import { buildOutbound, outboundKey, type Outbound } from './outbound.ts';
import type { ClientFlavor } from './envoy-values.ts';

export { checkConsistency } from './consistency.ts';
export { buildSecrets } from './secrets.ts';
export type { ResourcesByType } from './consistency.ts';

export interface NamedResource {
  readonly name: string;
  readonly value: object;
}

export interface TranslationResult {
  readonly resources: Record<TypeUrl, ReadonlyArray<NamedResource>>;
  readonly diagnostics: Diagnostic[];
  /**
   * The view's own resources (inbound cluster, its listeners), built afresh for every view; the
   * rest comes from memoized, shared builders. Equal own resources of other views are worth
   * finding by content; shared ones never are.
   */
  readonly own: ReadonlySet<NamedResource>;
}

/**
 * Builders whose output depends only on a model object (and the proxy's locality or namespace),
 * memoized by object identity. The model reuses unchanged objects, so a rebuild hands back the
 * same resource objects, which the pipeline's encoder then never encodes twice. Entries die with
 * their model objects.
 */
export interface TranslationMemo {
  /** The Cluster as Envoy (default) or a proxyless gRPC client reads it, with mTLS when `tls` is given. */
  cluster(c: ClusterModel, flavor?: ClientFlavor, tls?: UpstreamTls): NamedResource;
  assignment(c: ClusterModel, proxyLocality: Locality): NamedResource;
  serviceRoute(service: ServiceModel): NamedResource;
  /** The sidecar RouteConfiguration `outbound_http/<key>` of an http/grpc service (view-independent). */
  sidecarRoute(service: ServiceModel): NamedResource;
  /** The scopes (ScopedRouteConfigurations) of an http/grpc service for sidecars in `proxyNamespace`. */
  scopes(service: ServiceModel, proxyNamespace: string): readonly NamedResource[];
  apiListeners(service: ServiceModel, proxyNamespace: string): readonly NamedResource[];
  /** The outbound part of `view`, shared by views with the same key and the same visible service objects. */
  outbound(view: ProxyView): Outbound;
}

/** A memo for `translateView`; one per pipeline. */
export function createTranslationMemo(): TranslationMemo {
  const clusters = new WeakMap<ClusterModel, Map<string, NamedResource>>();
  const assignments = new WeakMap<ClusterModel, Map<string, NamedResource>>();
  const serviceRoutes = new WeakMap<ServiceModel, NamedResource>();
  const sidecarRoutes = new WeakMap<ServiceModel, NamedResource>();
  const scopes = new WeakMap<ServiceModel, Map<string, readonly NamedResource[]>>();
  const apiListeners = new WeakMap<ServiceModel, Map<string, readonly NamedResource[]>>();
  const outbounds = new Map<string, { services: readonly ServiceModel[]; outbound: Outbound }>();
  const nested = <K extends object, V>(map: WeakMap<K, Map<string, V>>, key: K, inner: string, build: () => V): V => {
    let byInner = map.get(key);
    if (!byInner) map.set(key, (byInner = new Map()));
    let value = byInner.get(inner);
    if (value === undefined) byInner.set(inner, (value = build()));
    return value;
  };
  return {
    cluster: (c, flavor = 'envoy', tls) =>
      nested(clusters, c, `${flavor}\0${tls?.serverSpiffeId ?? ''}`, () => named(buildCluster(c, flavor, tls))),
    assignment: (c, locality) =>
      nested(assignments, c, `${locality.region}\0${locality.zone}\0${locality.subZone}`, () => ({
        name: c.name,
        value: buildClusterLoadAssignment(c, locality),
      })),
    serviceRoute: (service) => {
      let value = serviceRoutes.get(service);
      if (!value) serviceRoutes.set(service, (value = named(buildServiceRouteConfig(service))));
      return value;
    },
    sidecarRoute: (service) => {
      let value = sidecarRoutes.get(service);
      if (!value) sidecarRoutes.set(service, (value = named(buildSidecarServiceRouteConfig(service))));
      return value;
    },
    scopes: (service, namespace) => nested(scopes, service, namespace, () => buildServiceScopes(service, namespace).map(named)),
    apiListeners: (service, namespace) => nested(apiListeners, service, namespace, () => buildApiListeners(service, namespace).map(named)),
    outbound(view) {
      const key = outboundKey(view);
      const cached = outbounds.get(key);
      const services = view.visibleServices;
      if (cached && cached.services.length === services.length && cached.services.every((s, i) => s === services[i])) return cached.outbound;
      const outbound = buildOutbound(view, this);
      // Bounded: a key per distinct outbound part, replaced when its services change.
      if (outbounds.size >= MAX_OUTBOUND_ENTRIES && !cached) outbounds.clear();
      outbounds.set(key, { services, outbound });
      return outbound;
    },
  };
}

const MAX_OUTBOUND_ENTRIES = 10_000;

/** Builds without memoizing (tests, one-off translations). */
const UNMEMOIZED: TranslationMemo = {
  cluster: (c, flavor = 'envoy', tls) => named(buildCluster(c, flavor, tls)),
  assignment: (c, locality) => ({ name: c.name, value: buildClusterLoadAssignment(c, locality) }),
  serviceRoute: (service) => named(buildServiceRouteConfig(service)),
  sidecarRoute: (service) => named(buildSidecarServiceRouteConfig(service)),
  scopes: (service, namespace) => buildServiceScopes(service, namespace).map(named),
  apiListeners: (service, namespace) => buildApiListeners(service, namespace).map(named),
  outbound(view) {
    return buildOutbound(view, this);
  },
};

/** Every resource for `view`, by type URL (each list in a stable order), plus diagnostics. */
export function translateView(view: ProxyView, memo: TranslationMemo = UNMEMOIZED): TranslationResult {
  const outbound = memo.outbound(view);
  const diagnostics: Diagnostic[] = [...outbound.diagnostics];
  // The view's own resources, besides its (shared) outbound part.
  const ownClusters: NamedResource[] = [];
  let ownListeners: NamedResource[];
  if (view.kind === 'proxyless') {
    ownListeners = view.serverListeners.map((l) => named(buildServerListener(l, serverRequiresMtls(view), view.inboundAuthorization)));
  } else {
    const inbound = buildInboundCluster(view);
    if (inbound) ownClusters.push(named(inbound));
    const sidecar = buildSidecarListeners(view);
    diagnostics.push(...sidecar.diagnostics);
    ownListeners = sidecar.listeners.map(named);
  }
  const clusters = ownClusters.length === 0 ? outbound.clusters : [...outbound.clusters, ...ownClusters];
  const listeners = outbound.apiListeners.length === 0 ? ownListeners : [...outbound.apiListeners, ...ownListeners];

  diagnostics.push(...mtlsWarnings(view), ...authorizationWarnings(view));

  const resources: Record<TypeUrl, ReadonlyArray<NamedResource>> = {
    [TypeUrl.Secret]: [],
    [TypeUrl.Cluster]: clusters,
    [TypeUrl.ClusterLoadAssignment]: outbound.assignments,
    [TypeUrl.Listener]: listeners,
    [TypeUrl.RouteConfiguration]: outbound.routeConfigs,
    [TypeUrl.ScopedRouteConfiguration]: outbound.scopes,
  };
  const own = { [TypeUrl.Cluster]: ownClusters, [TypeUrl.Listener]: ownListeners };
  const ownSet = new Set<NamedResource>([...ownClusters, ...ownListeners]);
  for (const problem of checkViewConsistency(outbound.shared, own)) {
    diagnostics.push({ severity: 'error', field: 'consistency', message: problem, source: `view ${view.key}` });
  }
  return { resources, diagnostics, own: ownSet };
}

/** Wraps a built resource with its `name` field as the resource name. */
function named(value: Record<string, unknown>): NamedResource {
  const name = value['name'];
  return { name: typeof name === 'string' ? name : '', value };
}
