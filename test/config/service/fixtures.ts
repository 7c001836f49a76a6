/** YAML documents and a ready config service over a memory store, shared by the config tests. */
import { openConfigStore, type ConfigStore } from '../../../src/config/store/config-store.ts';
import { createConfigService, type ConfigService } from '../../../src/config/service/config-service.ts';
import type { EnvoyResources, PreviewEnvoy } from '../../../src/config/service/types.ts';
import { mergeService } from '../../../src/config/merge/index.ts';
import type { KeyValueStore } from '../../../src/store/types.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';

export const actor = { name: 'tester', role: 'admin' };

export function serviceConfig(name: string, namespace: string, spec: string): string {
  return `apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec}`;
}

export const REVIEWS = serviceConfig('reviews', 'bookinfo', `  subsets: {v1: {version: v1}, v2: {version: v2}}
  timeout: 5s
  routes:
    - to: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
`);

export const PRODUCTPAGE = serviceConfig('productpage', 'bookinfo', `  dependencies: [reviews.bookinfo]
  timeout: 3s
`);

export const POLICY = `apiVersion: trellis.dev/v1alpha1
kind: PlatformPolicy
metadata: {name: mesh-defaults}
spec:
  scope: {namespaces: ["*"]}
  defaults: {timeout: 15s, retries: {attempts: 2, on: [reset]}}
  bounds: {timeout: {max: 30s}}
`;

/**
 * A fake Envoy preview: one Cluster per service whose connect timeout mirrors the effective
 * timeout, so a settings change shows as a resource change.
 */
export const previewEnvoy: PreviewEnvoy = (snapshot, service): EnvoyResources => {
  const timeout = mergeService(service, snapshot).settings.timeout;
  return {
    'type.googleapis.com/envoy.config.cluster.v3.Cluster': {
      [`outbound|${service}`]: { name: `outbound|${service}`, type: 'EDS', timeout_ms: timeout ?? null, lb_policy: 'ROUND_ROBIN' },
    },
  };
};

export interface Setup {
  kv: KeyValueStore;
  store: ConfigStore;
  service: ConfigService;
  registryServices: Set<string>;
}

export async function setup(kv: KeyValueStore = createMemoryStore(), registry: readonly string[] = ['reviews.bookinfo', 'ratings.bookinfo', 'productpage.bookinfo']): Promise<Setup> {
  const store = await openConfigStore(kv);
  const registryServices = new Set(registry);
  const service = createConfigService({ store, knownServices: () => registryServices, previewEnvoy });
  return { kv, store, service, registryServices };
}

/** The 1-based line of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" not in text`);
  return index + 1;
}

/** The stored spec timeout (ms) of a ServiceConfig, undefined when absent. */
export function storedTimeout(service: ConfigService, id: string): number | undefined {
  const doc = service.snapshot().documents.get(id);
  return doc?.kind === 'ServiceConfig' ? doc.spec.timeout : undefined;
}
