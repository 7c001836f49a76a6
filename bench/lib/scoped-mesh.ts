/**
 * A mesh with a dependency fan-out k per proxy, as the sizes ask for: one PlatformPolicy
 * per namespace giving its services k dependencies (`defaults.dependencies`), so each sidecar's
 * CDS/EDS holds about k services and an endpoint change reaches only the proxies that depend on
 * it. Pure YAML builders plus one apply call.
 */
import { serviceKey } from '../../src/registry/types.ts';
import { outboundClusterName } from '../../src/model/names.ts';
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import { sidecarClientNode } from './load-protocol.ts';
import { namespaceOf, serviceName } from './mesh-generator.ts';
import type { BenchTrellis } from './trellis-instance.ts';

/** The mesh's shape: N services over `namespaces` namespaces, k dependencies per service. */
export interface ScopedMeshSpec {
  readonly services: number;
  readonly namespaces: number;
  readonly fanOut: number;
}

/** Indices of the services namespace `ns` depends on: k consecutive indices from ns*k (mod N). */
export function dependencyIndices(spec: ScopedMeshSpec, ns: number): number[] {
  const k = Math.min(spec.fanOut, spec.services);
  return Array.from({ length: k }, (_, m) => (ns * k + m) % spec.services);
}

/** Every service index some namespace depends on (the services whose changes reach a proxy), ascending. */
export function dependedOn(spec: ScopedMeshSpec): number[] {
  const all = new Set<number>();
  for (let ns = 0; ns < spec.namespaces; ns += 1) for (const i of dependencyIndices(spec, ns)) all.add(i);
  return [...all].sort((a, b) => a - b);
}

/**
 * P sidecar nodes, stream i belonging to service i mod N: every namespace gets its share of the
 * streams (so every depended-on service has holders), P/N streams per service when P > N.
 */
export function scopedNodes(streams: number, spec: ScopedMeshSpec): ClientNode[] {
  return Array.from({ length: streams }, (_, i) => {
    const index = i % spec.services;
    return sidecarClientNode(i, serviceName(index), namespaceOf(index, spec.namespaces), index % 2 === 0 ? 'a' : 'b');
  });
}

/** The outbound cluster (and EDS) name of service `index`. */
export function clusterOf(index: number, namespaces: number): string {
  return outboundClusterName(serviceKey(serviceName(index), namespaceOf(index, namespaces)));
}

/** One PlatformPolicy (YAML) per namespace, scoping that namespace's sidecars to its dependencies. */
export function scopePolicies(spec: ScopedMeshSpec): { name: string; text: string }[] {
  return Array.from({ length: spec.namespaces }, (_, ns) => {
    const deps = dependencyIndices(spec, ns).map((i) => `${serviceName(i)}.${namespaceOf(i, spec.namespaces)}`);
    const name = `bench-scope-ns-${ns}`;
    const text = [
      'apiVersion: trellis.dev/v1alpha1',
      'kind: PlatformPolicy',
      `metadata: {name: ${name}}`,
      'spec:',
      `  scope: {namespaces: [ns-${ns}]}`,
      `  defaults: {dependencies: [${deps.join(', ')}]}`,
      '',
    ].join('\n');
    return { name: `${name}.yaml`, text };
  });
}

/** A mesh-wide PlatformPolicy setting the default route timeout (seconds): a change every route sees. */
export function timeoutPolicy(seconds: number): { name: string; text: string } {
  const text = [
    'apiVersion: trellis.dev/v1alpha1',
    'kind: PlatformPolicy',
    'metadata: {name: bench-mesh-timeout}',
    'spec:',
    "  scope: {namespaces: ['*']}",
    `  defaults: {timeout: ${seconds}s}`,
    '',
  ].join('\n');
  return { name: 'bench-mesh-timeout.yaml', text };
}

/** Applies config files through the admin API; throws unless accepted. */
export async function applyConfig(trellis: BenchTrellis, files: readonly { name: string; text: string }[]): Promise<void> {
  const reply = await trellis.request('POST', '/api/v1/config/apply', { files });
  if (reply.status >= 300) throw new Error(`config apply: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 500)}`);
}
