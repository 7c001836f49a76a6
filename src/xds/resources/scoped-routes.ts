/**
 * Sidecar outbound routing by Scoped RDS (SRDS): the `outbound_http` HCM builds a scope key from
 * the whole `:authority` (Host) header and looks it up, as an exact string, among the
 * ScopedRouteConfigurations it holds; the matching scope names the RouteConfiguration of one
 * service. No matching scope: no route, and Envoy answers 404.
 *
 * Each http/grpc service gets its own RouteConfiguration `outbound_http/<name>.<namespace>`
 * (independent of who views it) and one scope per authority a client may send:
 * `name.ns`, `name.ns:<port>`, plus `name` and `name:<port>` for viewers in the service's
 * namespace. Adding or editing one service then sends only its own resources, never a table of
 * the whole mesh.
 */
import type { ServiceModel } from '../../model/types.ts';
import { adsConfigSource, RESOURCE_NAMES, type EnvoyObject } from './envoy-values.ts';
import { buildRoute } from './routes.ts';

/** The request header whose whole value is the scope key (HTTP/1 Host is `:authority` in Envoy). */
export const SCOPE_KEY_HEADER = ':authority';

/** Name of the RouteConfiguration of `service` for sidecars: `outbound_http/<name>.<namespace>`. */
export function sidecarRouteConfigName(service: ServiceModel): string {
  return `${RESOURCE_NAMES.outboundHttpRoute}/${service.key}`;
}

/** Name of the scope (ScopedRouteConfiguration) for one authority: `outbound_http/<authority>`. */
export function scopeName(authority: string): string {
  return `${RESOURCE_NAMES.outboundHttpRoute}/${authority}`;
}

/**
 * The `scoped_routes` of the sidecar's outbound HCM: the key is the whole `:authority` value
 * (one fragment; `index: 0` with no separator takes the entire header, and Envoy refuses an
 * extractor whose `extract_type` is unset), scopes come by SRDS and their route configurations
 * by RDS, both over ADS.
 */
export function buildOutboundScopedRoutes(): EnvoyObject {
  return {
    name: RESOURCE_NAMES.outboundHttpRoute,
    scope_key_builder: { fragments: [{ header_value_extractor: { name: SCOPE_KEY_HEADER, index: 0 } }] },
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
 * The authorities a client in `viewerNamespace` may address `service` by, most specific first:
 * `name.ns`, `name.ns:<port>` and, from the same namespace, `name`, `name:<port>` (ports only
 * when the service has one). Keys are exact strings: other spellings (another port, upper
 * case, a trailing dot, `name.ns.svc`) match no scope.
 */
export function scopeAuthorities(service: ServiceModel, viewerNamespace: string): string[] {
  const bare = service.namespace === viewerNamespace ? [service.key, service.name] : [service.key];
  return service.port > 0 ? bare.flatMap((a) => [a, `${a}:${service.port}`]) : bare;
}

/** One scope per authority of `service` for viewers in `viewerNamespace`, each naming its RouteConfiguration. */
export function buildServiceScopes(service: ServiceModel, viewerNamespace: string): EnvoyObject[] {
  const routeConfigName = sidecarRouteConfigName(service);
  return scopeAuthorities(service, viewerNamespace).map((authority) => ({
    name: scopeName(authority),
    route_configuration_name: routeConfigName,
    key: { fragments: [{ string_key: authority }] },
  }));
}
