/**
 * The HTTP filters of every HttpConnectionManager, in order. Adding a filter is one file under
 * filters/, one entry here, one golden case. The router must stay last: Envoy and gRPC both
 * reject a chain that does not end with it.
 */
import { typed, type EnvoyObject } from './envoy-values.ts';
import type { HttpFilterContext, HttpFilterEntry, HttpFilterSide } from './filters/context.ts';
import { faultFilter } from './filters/fault.ts';
import { localRateLimitFilter } from './filters/local-rate-limit.ts';
import { rbacAllowFilter, rbacDenyFilter } from './filters/rbac.ts';

export type { HttpFilterContext, HttpFilterEntry, HttpFilterSide } from './filters/context.ts';

export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';

const router: HttpFilterEntry = {
  name: ROUTER_FILTER_NAME,
  build: () => ({ name: ROUTER_FILTER_NAME, typed_config: typed('envoy.extensions.filters.http.router.v3.Router', {}) }),
};

/**
 * The ordered filter list: rate limiting first (cheapest rejection), then authorization (deny
 * before allow: any matching deny rule wins), then faults, the router last.
 */
export const HTTP_FILTERS: readonly HttpFilterEntry[] = [localRateLimitFilter, rbacDenyFilter, rbacAllowFilter, faultFilter, router];

/** The `http_filters` of an HCM on `side` (a bare side: no per-route or rate-limit filters). */
export function buildHttpFilters(context: HttpFilterSide | HttpFilterContext): EnvoyObject[] {
  const ctx: HttpFilterContext = typeof context === 'string' ? { side: context } : context;
  const filters: EnvoyObject[] = [];
  for (const entry of HTTP_FILTERS) {
    const filter = entry.build(ctx);
    if (filter) filters.push(filter);
  }
  return filters;
}
