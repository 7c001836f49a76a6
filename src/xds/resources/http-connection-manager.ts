/** HttpConnectionManager (as an Any) with an RDS reference, an inline route config, or scoped routes. */
import { adsConfigSource, typed, type EnvoyObject } from './envoy-values.ts';
import { buildHttpFilters, type HttpFilterContext, type HttpFilterSide } from './http-filters.ts';

export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export type RouteSpecifier =
  | { readonly rds: string }
  | { readonly routeConfig: EnvoyObject }
  /** A `ScopedRoutes` message (scoped-routes.ts). */
  | { readonly scopedRoutes: EnvoyObject };

/**
 * The HCM Any: `stat_prefix`, routes by RDS over ADS (or inline, or scoped), the ordered HTTP filters for
 * `filters` (a side, or a context naming the routes and rate limit the filters depend on).
 */
export function buildHttpConnectionManager(statPrefix: string, routes: RouteSpecifier, filters: HttpFilterSide | HttpFilterContext): EnvoyObject {
  const routeField =
    'rds' in routes
      ? { rds: { config_source: adsConfigSource(), route_config_name: routes.rds } }
      : 'scopedRoutes' in routes
        ? { scoped_routes: routes.scopedRoutes }
        : { route_config: routes.routeConfig };
  return typed(HCM_TYPE, { stat_prefix: statPrefix, ...routeField, http_filters: buildHttpFilters(filters) });
}
