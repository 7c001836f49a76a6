/**
 * What an Envoy-like client subscribes to next: EDS for its clusters; RDS for its listeners'
 * `rds` names and for the route configurations its scopes name; SRDS (wildcard) when a listener
 * has scoped routes by `scoped_rds`.
 */
import { decodeMessage } from '../proto/codec.ts';
import { edsNameOfCluster, splitAny, stringFieldOf } from '../server/proto-scan.ts';

/** CLA names the clusters (encoded Anys) wait for: EDS clusters only, service_name or name. */
export function edsNamesOf(clusters: Iterable<Uint8Array>): string[] {
  const names = new Set<string>();
  for (const any of clusters) {
    const name = edsNameOfCluster(splitAny(any).value);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

/** What a set of listeners asks for next. */
export interface ListenerReferences {
  /** RouteConfiguration names referenced through an HCM `rds`, sorted. */
  readonly rds: string[];
  /** True when some HCM takes its scopes by SRDS (`scoped_routes.scoped_rds`). */
  readonly scopedRds: boolean;
}

function collect(value: unknown, into: { rds: Set<string>; scopedRds: boolean }): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (typeof child !== 'object' || child === null) continue;
    if (key === 'rds') {
      const name = (child as Record<string, unknown>)['route_config_name'];
      if (typeof name === 'string' && name !== '') into.rds.add(name);
    } else if (key === 'scoped_routes') {
      const srds = (child as Record<string, unknown>)['scoped_rds'];
      if (typeof srds === 'object' && srds !== null) into.scopedRds = true;
    } else {
      collect(child, into);
    }
  }
}

/**
 * What the listeners (encoded Anys) reference through their HttpConnectionManagers, in filter
 * chains or an api_listener: `rds` names, and whether any uses scoped routes by SRDS. Nested
 * Anys are expanded by `decodeMessage`, so the walk sees the HCM fields.
 */
export function listenerReferencesOf(listeners: Iterable<Uint8Array>): ListenerReferences {
  const found = { rds: new Set<string>(), scopedRds: false };
  for (const any of listeners) {
    collect(decodeMessage('envoy.config.listener.v3.Listener', splitAny(any).value), found);
  }
  return { rds: [...found.rds].sort(), scopedRds: found.scopedRds };
}

/** RouteConfiguration names the listeners (encoded Anys) reference through an HCM `rds`. */
export function rdsNamesOf(listeners: Iterable<Uint8Array>): string[] {
  return listenerReferencesOf(listeners).rds;
}

// ScopedRouteConfiguration.route_configuration_name (read without decoding: thousands of scopes).
const ROUTE_CONFIGURATION_NAME_FIELD = 2;

/** RouteConfiguration names the scopes (encoded Anys of ScopedRouteConfiguration) name, sorted. */
export function scopeRouteNamesOf(scopes: Iterable<Uint8Array>): string[] {
  const names = new Set<string>();
  for (const any of scopes) {
    const name = stringFieldOf(splitAny(any).value, ROUTE_CONFIGURATION_NAME_FIELD);
    if (name) names.add(name);
  }
  return [...names].sort();
}
