/**
 * Mesh model + proxy identity → the proxy's view: exactly what translation needs. The view's
 * `key` hashes everything in the view (service models by key only: their content is covered by
 * the resource versions), so proxies with equal keys can share one snapshot.
 *
 * Dependencies scope what a proxy sees: a proxy whose own service declares dependencies sees
 * only those services (all services when none are declared), plus every service their routes
 * send to (`referencedServices`, followed transitively) so that no route names an unknown
 * cluster.
 *
 * mTLS: the view carries the verified SPIFFE id (`workloadIdentity`, '' when unproven) and the own
 * service's mode; the join token stays in the ProxyIdentity and never reaches the view or its key.
 *
 * Gateways are out of scope for now: a gateway view gets the sidecar's outbound resources only
 * (inboundPort 0).
 */
import { serviceKey } from '../registry/types.ts';
import { contentHash } from '../util/hash.ts';
import type { AuthorizationModel, MeshModel, ProxyIdentity, ProxyView, ServerListenerModel, ServiceModel } from './types.ts';

/**
 * The view of `model` for the proxy `identity`. Pure: equal inputs give equal views and keys.
 * `unregisteredMtls` is the effective mTLS mode of the proxy's own service when that service is
 * not in the model yet (a proxyless server connects before it is registered): its first Listener
 * must already carry the right TLS, because grpc-js-xds cannot switch a server Listener to TLS.
 * `unregisteredAuthorization` likewise (from `authorizationModel` over the config's rules), so
 * such a server is never served unguarded.
 */
export function viewFor(
  model: MeshModel,
  identity: ProxyIdentity,
  unregisteredMtls?: ServiceModel['mtlsMode'],
  unregisteredAuthorization?: AuthorizationModel,
): ProxyView {
  const ownKey = identity.service === '' ? '' : serviceKey(identity.service, identity.namespace);
  const dependencies = ownKey === '' ? undefined : model.services.get(ownKey)?.dependencies;
  const visibleServices = visible(model, dependencies);
  const serverListeners: ServerListenerModel[] =
    identity.kind === 'proxyless' && identity.address !== '' && identity.port > 0
      ? [{ address: identity.address, port: identity.port }]
      : [];
  const own = ownKey === '' ? undefined : model.services.get(ownKey);
  const rateLimit = identity.kind === 'sidecar' && identity.port > 0 ? own?.rateLimit : undefined;
  // Only views that serve inbound traffic carry (and so are keyed by) the rules guarding it.
  const serves = (identity.kind === 'sidecar' && identity.port > 0) || serverListeners.length > 0;
  const authorization = serves ? (own ? own.authorization : unregisteredAuthorization) : undefined;
  const body: Omit<ProxyView, 'key'> = {
    kind: identity.kind,
    namespace: identity.namespace,
    serviceKey: ownKey,
    locality: identity.locality,
    visibleServices,
    inboundPort: identity.kind === 'sidecar' ? identity.port : 0,
    inboundProtocol: identity.protocol,
    ...(rateLimit ? { inboundRateLimit: rateLimit } : {}),
    ...(authorization ? { inboundAuthorization: authorization } : {}),
    serverListeners,
    // Only the verified identity enters the view; the join token never does (it is a secret and
    // proxies of one identity holding different tokens must share one view).
    workloadIdentity: identity.spiffeId,
    inboundMtls: own?.mtlsMode ?? unregisteredMtls ?? 'DISABLE',
  };
  return { key: viewKey(body), ...body };
}

/**
 * The content hash of a view body. Built from the whole object (with services replaced by their
 * keys) so a field added to ProxyView later is covered without touching this function.
 */
export function viewKey(body: Omit<ProxyView, 'key'>): string {
  return contentHash(canonicalJson({ ...body, visibleServices: body.visibleServices.map((s) => s.key) }));
}

function visible(model: MeshModel, dependencies: readonly string[] | undefined): ServiceModel[] {
  if (dependencies === undefined) return [...model.services.values()].sort((a, b) => compare(a.key, b.key));
  const seen = new Set<string>();
  const services: ServiceModel[] = [];
  const pending = [...dependencies];
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    if (seen.has(key)) continue;
    seen.add(key);
    const service = model.services.get(key);
    if (!service) continue;
    services.push(service);
    pending.push(...(service.referencedServices ?? []));
  }
  return services.sort((a, b) => compare(a.key, b.key));
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
