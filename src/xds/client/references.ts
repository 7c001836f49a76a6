/** What an Envoy-like client subscribes to next: EDS for its clusters, RDS for its listeners. */
import { decodeMessage } from '../proto/codec.ts';
import { edsNameOfCluster, splitAny } from '../server/proto-scan.ts';

/** CLA names the clusters (encoded Anys) wait for: EDS clusters only, service_name or name. */
export function edsNamesOf(clusters: Iterable<Uint8Array>): string[] {
  const names = new Set<string>();
  for (const any of clusters) {
    const name = edsNameOfCluster(splitAny(any).value);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

function collectRds(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRds(item, into);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'rds' && typeof child === 'object' && child !== null) {
      const name = (child as Record<string, unknown>)['route_config_name'];
      if (typeof name === 'string' && name !== '') into.add(name);
    } else {
      collectRds(child, into);
    }
  }
}

/**
 * RouteConfiguration names the listeners (encoded Anys) reference through an
 * HttpConnectionManager `rds`, in filter chains or an api_listener. Nested Anys are expanded by
 * `decodeMessage`, so the walk sees the HCM fields.
 */
export function rdsNamesOf(listeners: Iterable<Uint8Array>): string[] {
  const names = new Set<string>();
  for (const any of listeners) {
    collectRds(decodeMessage('envoy.config.listener.v3.Listener', splitAny(any).value), names);
  }
  return [...names].sort();
}
