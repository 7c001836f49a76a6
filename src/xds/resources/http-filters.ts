/**
 * The HTTP filters of every HttpConnectionManager, in order. Adding a filter is one entry here
 * (its own file when it grows), one golden case. The router must stay last: Envoy and gRPC both
 * reject a chain that does not end with it.
 */
import { typed, type EnvoyObject } from './envoy-values.ts';

/** Where the HCM sits: later filters (fault, rbac, ratelimit) differ by side. */
export type HttpFilterSide = 'outbound' | 'inbound' | 'server';

export interface HttpFilterEntry {
  readonly name: string;
  /** The HttpFilter message for `side`, or undefined to leave the filter out there. */
  readonly build: (side: HttpFilterSide) => EnvoyObject | undefined;
}

export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';

const router: HttpFilterEntry = {
  name: ROUTER_FILTER_NAME,
  build: () => ({ name: ROUTER_FILTER_NAME, typed_config: typed('envoy.extensions.filters.http.router.v3.Router', {}) }),
};

/** The ordered filter list; the router is last. */
export const HTTP_FILTERS: readonly HttpFilterEntry[] = [router];

/** The `http_filters` of an HCM on `side`. */
export function buildHttpFilters(side: HttpFilterSide): EnvoyObject[] {
  const filters: EnvoyObject[] = [];
  for (const entry of HTTP_FILTERS) {
    const filter = entry.build(side);
    if (filter) filters.push(filter);
  }
  return filters;
}
