/**
 * Naming conventions shared by the model and the resource builders.
 *
 * - Service key: `name.namespace` (`serviceKey` in src/registry/types.ts).
 * - Default cluster `outbound|<key>`, subset cluster `outbound|<key>|<subset>`; the EDS resource
 *   (ClusterLoadAssignment) and `eds_cluster_config.service_name` use the cluster name.
 * - Inbound cluster (Envoy sidecars only) `inbound|<port>|<own key>`.
 * - Workload identity `spiffe://<trust domain>/ns/<namespace>/sa/<service account>` (the same
 *   shape src/ca/spiffe.ts issues and parses).
 */
import type { ServiceKey } from '../registry/types.ts';

/** The cluster name for a service's default cluster (`subset` '') or one of its subsets. */
export function outboundClusterName(key: ServiceKey, subset = ''): string {
  return subset === '' ? `outbound|${key}` : `outbound|${key}|${subset}`;
}

/** The sidecar's inbound cluster: traffic for the local application on `port`. */
export function inboundClusterName(port: number, ownKey: ServiceKey): string {
  return `inbound|${port}|${ownKey}`;
}

/** RFC 1123 label: what service names and namespaces must look like. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** The SPIFFE id of `serviceAccount` in `namespace` (inputs are DNS labels already: no checks here). */
export function spiffeIdOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
