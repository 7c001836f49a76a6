/**
 * Full translation and encoding of the mesh: registry snapshot → model → a sidecar view that sees
 * every service → Envoy resources → encoded snapshot. Also one endpoint change recomputed through
 * the pipeline's endpoint-only path.
 */
import { buildMeshModel } from '../../src/model/build-model.ts';
import { parseNodeIdentity } from '../../src/model/node-identity.ts';
import { viewFor } from '../../src/model/view.ts';
import { createMeshPipeline } from '../../src/pipeline/mesh-pipeline.ts';
import { createResourceEncoder } from '../../src/pipeline/resource-encoder.ts';
import type { RegistryChange, RegistrySnapshot } from '../../src/registry/types.ts';
import { buildSnapshot } from '../../src/xds/cache/snapshot.ts';
import type { NodeInfo } from '../../src/xds/cache/types.ts';
import { translateView } from '../../src/xds/resources/translate.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { generateRegistrySnapshot, namespaceOf, serviceName } from '../lib/mesh-generator.ts';
import { atMost, info, type ScenarioResult } from '../lib/report.ts';
import type { Scenario } from '../lib/scenario.ts';
import { median } from '../lib/stats.ts';

const TARGET_MS: Readonly<Record<number, number>> = { 1000: 50, 5000: 250, 10000: 500 };

export function sidecarNode(service: string, namespace: string): NodeInfo {
  return {
    id: `sidecar~${service}.${namespace}`,
    cluster: service,
    metadata: { 'trellis.kind': 'sidecar', 'trellis.service': service, 'trellis.namespace': namespace },
    locality: { region: 'us-east', zone: 'a' },
    user_agent_name: 'envoy',
    user_agent_version: '',
  };
}


/** Runs the translation scenario for each mesh size. */
export async function runTranslation(sizes: readonly number[], endpointsPerService = 3): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const services of sizes) {
    const registry = generateRegistrySnapshot({ services, endpointsPerService });
    const node = sidecarNode(serviceName(0), namespaceOf(0, 10));
    const identity = parseNodeIdentity(node).identity;
    const timings: number[] = [];
    let resourceCount = 0;
    let bytes = 0;
    // One cold run (reported on its own), two unreported warm-ups for the JIT, then the measured
    // runs: more of them for small meshes, whose ~50 ms runs a single GC pause can double.
    const measured = services <= 1000 ? 15 : services <= 5000 ? 9 : 5;
    for (let run = 0; run < 3 + measured; run += 1) {
      const started = performance.now();
      const model = buildMeshModel(registry);
      const view = viewFor(model, identity);
      const result = translateView(view);
      const encoder = createResourceEncoder();
      const snapshot = buildSnapshot(Object.fromEntries(Object.values(TypeUrl).map((url) => [url, encoder.encodeSet(url, result.resources[url])])));
      timings.push(performance.now() - started);
      resourceCount = Object.values(snapshot.resources).reduce((sum, set) => sum + set.items.size, 0);
      bytes = Object.values(snapshot.resources).reduce((sum, set) => sum + [...set.items.values()].reduce((s, r) => s + r.any.length, 0), 0);
    }
    const endpointChange = measureEndpointChange(registry, node);
    const limit = TARGET_MS[services];
    const full = median(timings.slice(3));
    results.push({
      name: 'full-translation',
      sizes: { services, endpointsPerService, views: 1 },
      metrics: [
        limit === undefined ? info(`full translation + encode (median of ${measured} warm)`, full, 'ms') : atMost(`full translation + encode (median of ${measured} warm)`, full, 'ms', limit),
        info('first run (cold)', timings[0] ?? 0, 'ms'),
        info('resources', resourceCount, 'count'),
        info('encoded bytes', bytes, 'bytes'),
        atMost('one endpoint change, recompute (median of 20)', endpointChange, 'ms', 0.5),
      ],
    });
  }
  return results;
}

/** Median time of the pipeline's flush after one endpoint changes, with one view attached. */
function measureEndpointChange(initial: RegistrySnapshot, node: NodeInfo): number {
  let current = initial;
  let listener: ((change: RegistryChange, snapshot: RegistrySnapshot) => void) | undefined;
  const pipeline = createMeshPipeline({
    registry: { snapshot: () => current, onChange: (l) => ((listener = l), () => undefined) },
  });
  const watch = pipeline.watch(node, () => undefined);
  const key = [...initial.instances.keys()][1] ?? '';
  const timings: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const instances = initial.instances.get(key) ?? [];
    const changed = instances.map((instance, index) => (index === 0 ? { ...instance, weight: 1 + (i % 5) + 1 } : instance));
    const nextInstances = new Map(current.instances);
    nextInstances.set(key, changed);
    current = { revision: current.revision + 1, services: current.services, instances: nextInstances };
    listener?.({ revision: current.revision, endpointsChanged: [key], servicesChanged: [] }, current);
    const started = performance.now();
    pipeline.flushNow();
    timings.push(performance.now() - started);
  }
  watch.close();
  pipeline.close();
  return median(timings);
}

export const translation: Scenario = {
  name: 'translation',
  description: 'full translation + encoding of one view, and one endpoint change through the pipeline',
  async run(options) {
    const sizes = options.services !== undefined ? [options.services] : options.quick ? [1000, 5000] : [1000, 5000, 10000];
    const results: ScenarioResult[] = [];
    for (const size of sizes) {
      options.progress(`[translation] ${size} services`);
      results.push(...(await runTranslation([size])));
    }
    return results;
  },
};
