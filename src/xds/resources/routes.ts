/**
 * Route and RouteConfiguration builders.
 *
 * - Sidecars: a RouteConfiguration per service, chosen by a scope per authority (Scoped RDS):
 *   see scoped-routes.ts.
 * - Proxyless gRPC: one RouteConfiguration per service, named by its key, with one virtual host
 *   for domain '*' (the listener name already selected the service). Independent of the view.
 */
import type { HeaderMatchModel, RouteModel, ServiceModel } from '../../model/types.ts';
import { duration, type ClientFlavor, type EnvoyObject } from './envoy-values.ts';
import { buildFaultConfig, FAULT_FILTER_NAME } from './filters/fault.ts';
import { buildHashPolicy, buildHeaderMutation, buildMirrorPolicies, buildRetryPolicy } from './route-policies.ts';

/**
 * An Envoy Route from the model; shared by sidecar and proxyless route configurations. For gRPC
 * (`flavor` 'grpc') the parts it does not implement (mirroring, header mutation) are left out,
 * so a proxyless client's config never suggests they work.
 */
export function buildRoute(route: RouteModel, flavor: ClientFlavor = 'envoy'): EnvoyObject {
  const match: EnvoyObject =
    route.match.path !== undefined ? { path: route.match.path } : { prefix: route.match.pathPrefix ?? '/' };
  if (route.match.headers && route.match.headers.length > 0) match['headers'] = route.match.headers.map(headerMatcher);
  const action: EnvoyObject =
    route.to.length === 1 && route.to[0]
      ? { cluster: route.to[0].cluster }
      : {
          weighted_clusters: {
            clusters: route.to.map((w) => ({ name: w.cluster, weight: { value: w.weight } })),
          },
        };
  if (route.timeoutMs !== undefined) {
    // Envoy enforces `timeout`; gRPC clients read `max_stream_duration` instead.
    action['timeout'] = duration(route.timeoutMs);
    action['max_stream_duration'] = { max_stream_duration: duration(route.timeoutMs) };
  }
  if (route.retry) action['retry_policy'] = buildRetryPolicy(route.retry);
  if (route.hashHeader !== undefined) action['hash_policy'] = buildHashPolicy(route.hashHeader);
  if (route.mirror && flavor === 'envoy') action['request_mirror_policies'] = buildMirrorPolicies(route.mirror);
  const built: EnvoyObject = { name: route.name, match, route: action };
  if (flavor === 'envoy') {
    Object.assign(built, buildHeaderMutation('request', route.headers?.request), buildHeaderMutation('response', route.headers?.response));
  }
  if (route.fault) built['typed_per_filter_config'] = { [FAULT_FILTER_NAME]: buildFaultConfig(route.fault) };
  return built;
}

function headerMatcher(h: HeaderMatchModel): EnvoyObject {
  if (h.exact !== undefined) return { name: h.name, string_match: { exact: h.exact } };
  if (h.prefix !== undefined) return { name: h.name, string_match: { prefix: h.prefix } };
  if (h.regex !== undefined) return { name: h.name, string_match: { safe_regex: { regex: h.regex } } };
  return { name: h.name, present_match: h.present ?? true };
}

/** True for services reached through the HTTP connection manager (http and grpc). */
export function isHttpService(service: ServiceModel): boolean {
  return service.protocol === 'http' || service.protocol === 'grpc';
}

/** The proxyless RouteConfiguration named by the service key (one virtual host, domain '*'). */
export function buildServiceRouteConfig(service: ServiceModel): EnvoyObject {
  return {
    name: service.key,
    virtual_hosts: [{ name: service.key, domains: ['*'], routes: service.routes.map((r) => buildRoute(r, 'grpc')) }],
  };
}
