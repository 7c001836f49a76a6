/**
 * ClusterLoadAssignment builder. Endpoints are grouped into localities by (region, zone,
 * subZone); every locality carries `load_balancing_weight` (the sum of its endpoint weights),
 * because gRPC silently drops localities without one. Priorities are relative to the proxy:
 * same region and zone → 0, same region → 1, elsewhere → 2, then renumbered to be contiguous
 * from 0 (gRPC requires it); a proxy with no locality puts everything at priority 0.
 */
import type { ClusterModel, EndpointModel, Health, Locality } from '../../model/types.ts';
import { socketAddress, type EnvoyObject } from './envoy-values.ts';

const HEALTH_STATUS: Readonly<Record<Health, string>> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
  unknown: 'UNKNOWN',
};

interface LocalityGroup {
  readonly locality: Locality;
  readonly endpoints: EndpointModel[];
  rawPriority: number;
}

/** The CLA named after `c` with its endpoints prioritised for a proxy at `proxyLocality`. */
export function buildClusterLoadAssignment(c: ClusterModel, proxyLocality: Locality): EnvoyObject {
  const groups = new Map<string, LocalityGroup>();
  for (const endpoint of c.endpoints) {
    const id = localityId(endpoint.locality);
    let group = groups.get(id);
    if (!group) {
      group = { locality: endpoint.locality, endpoints: [], rawPriority: rawPriority(endpoint.locality, proxyLocality) };
      groups.set(id, group);
    }
    group.endpoints.push(endpoint);
  }
  const ranks = [...new Set([...groups.values()].map((g) => g.rawPriority))].sort((a, b) => a - b);
  const sorted = [...groups.entries()]
    .sort(([idA, a], [idB, b]) => a.rawPriority - b.rawPriority || (idA < idB ? -1 : idA > idB ? 1 : 0))
    .map(([, group]) => group);
  const endpoints = sorted.map((group) => ({
    locality: localityMessage(group.locality),
    lb_endpoints: group.endpoints.map(lbEndpoint),
    // Registry weights are 1..128; never let a locality fall to 0 (gRPC would drop it).
    load_balancing_weight: { value: Math.max(1, group.endpoints.reduce((sum, e) => sum + e.weight, 0)) },
    priority: ranks.indexOf(group.rawPriority),
  }));
  return endpoints.length > 0 ? { cluster_name: c.name, endpoints } : { cluster_name: c.name };
}

function rawPriority(endpoint: Locality, proxy: Locality): number {
  if (proxy.region === '' && proxy.zone === '' && proxy.subZone === '') return 0;
  if (endpoint.region !== proxy.region) return 2;
  return endpoint.zone === proxy.zone ? 0 : 1;
}

function localityId(l: Locality): string {
  return JSON.stringify([l.region, l.zone, l.subZone]);
}

/** Only the parts that are known, so an unknown locality is `{}`. */
function localityMessage(l: Locality): EnvoyObject {
  return {
    ...(l.region !== '' ? { region: l.region } : {}),
    ...(l.zone !== '' ? { zone: l.zone } : {}),
    ...(l.subZone !== '' ? { sub_zone: l.subZone } : {}),
  };
}

function lbEndpoint(e: EndpointModel): EnvoyObject {
  return {
    endpoint: { address: socketAddress(e.address, e.port) },
    health_status: HEALTH_STATUS[e.health],
    load_balancing_weight: { value: e.weight },
  };
}
