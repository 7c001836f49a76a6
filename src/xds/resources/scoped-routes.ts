/**
 * Sidecar outbound routing by Scoped RDS (SRDS): the `outbound_http` HCM builds a scope key from
 * the host part of the `:authority` (Host) header, the text before its first `:`, and looks it
 * up, as an exact string, among the ScopedRouteConfigurations it holds; the matching scope names
 * the RouteConfiguration of one service. No matching scope: no route, and Envoy answers 404.
 *
 * Each http/grpc service gets its own RouteConfiguration `outbound_http/<name>.<namespace>`
 * (independent of who views it) and one scope per host name a client may use: `name.ns`, plus
 * `name` for viewers in the service's namespace; any port after it is accepted (`name.ns:8080`).
 * Adding or editing one service then sends only its own resources, never a table of the mesh.
 */
import type { ServiceModel } from '../../model/types.ts';
import { adsConfigSource, RESOURCE_NAMES, type EnvoyObject } from './envoy-values.ts';
import { buildRoute } from './routes.ts';

/** The request header whose host part is the scope key (HTTP/1 Host is `:authority` in Envoy). */
export const SCOPE_KEY_HEADER = ':authority';
/** Splits `host:port`; element 0 (the host) is the key, whatever the port. */
export const SCOPE_KEY_SEPARATOR = ':';

/** Name of the RouteConfiguration of `service` for sidecars: `outbound_http/<name>.<namespace>`. */
export function sidecarRouteConfigName(service: ServiceModel): string {
  return `${RESOURCE_NAMES.outboundHttpRoute}/${service.key}`;
}

/** Name of the scope (ScopedRouteConfiguration) for one host name: `outbound_http/<host>`. */
export function scopeName(host: string): string {
  return `${RESOURCE_NAMES.outboundHttpRoute}/${host}`;
}

/**
 * The `scoped_routes` of the sidecar's outbound HCM: the key is element 0 of `:authority` split
 * at `:`, i.e. the host without its port (`index` must be set: Envoy refuses an extractor whose
 * `extract_type` is unset); scopes come by SRDS and their route configurations by RDS, both
 * over ADS. One scope per host, not per host and port, halves the scopes a sidecar holds.
 */
export function buildOutboundScopedRoutes(): EnvoyObject {
  return {
    name: RESOURCE_NAMES.outboundHttpRoute,
    scope_key_builder: { fragments: [{ header_value_extractor: { name: SCOPE_KEY_HEADER, element_separator: SCOPE_KEY_SEPARATOR, index: 0 } }] },
    rds_config_source: adsConfigSource(),
    scoped_rds: { scoped_rds_config_source: adsConfigSource() },
  };
}

/**
 * The sidecar RouteConfiguration of one http/grpc service: one virtual host for any domain (the
 * scope already chose the service) with the service's routes as Envoy reads them. Depends on
 * the service only, so every view shares one copy.
 */
export function buildSidecarServiceRouteConfig(service: ServiceModel): EnvoyObject {
  return {
    name: sidecarRouteConfigName(service),
    virtual_hosts: [{ name: service.key, domains: ['*'], routes: service.routes.map((r) => buildRoute(r, 'envoy')) }],
  };
}

/**
 * The host names a client in `viewerNamespace` may address `service` by: `name.ns` and, from the
 * same namespace, `name`. Keys are exact strings: other spellings (upper case, a trailing dot,
 * `name.ns.svc`) match no scope.
 */
export function scopeAuthorities(service: ServiceModel, viewerNamespace: string): string[] {
  return service.namespace === viewerNamespace ? [service.key, service.name] : [service.key];
}

/** One scope per host name of `service` for viewers in `viewerNamespace`, each naming its RouteConfiguration. */
export function buildServiceScopes(service: ServiceModel, viewerNamespace: string): EnvoyObject[] {
  const routeConfigName = sidecarRouteConfigName(service);
  return scopeAuthorities(service, viewerNamespace).map((authority) => ({
    name: scopeName(authority),
    route_configuration_name: routeConfigName,
    key: { fragments: [{ string_key: authority }] },
  }));
}
