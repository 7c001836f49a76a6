/**
 * Incremental recompute (issue 5, scenario 3): with a few hundred watched views attached, the
 * time of one pipeline flush (`flushNow`) after one endpoint change, one added service and one
 * route edit (a ServiceConfig applied through the real config parse + lookup), at N = 1k and 10k.
 * The endpoint change must cost ≤ 0.5 ms and stay flat in N.
 *
 * Views: `views - 1` sidecars whose ServiceConfig declares k = 50 dependencies (seeded), plus one
 * sidecar that sees every service (its endpoint set has N items). The targeted endpoint change is
 * to a service seen by that view and by the sidecars that happen to depend on it (k/N of them, as in
 * a real mesh); a second figure changes a service every view depends on (every view affected).
 */
import { parseConfigFiles } from '../../src/config/parse/index.ts';
import { createConfigLookup } from '../../src/config/merge/index.ts';
import type { ConfigDocument, ConfigLookup } from '../../src/config/types.ts';
import { createMeshPipeline, type MeshPipeline } from '../../src/pipeline/mesh-pipeline.ts';
import type { InstanceRecord, RegistryChange, RegistrySnapshot } from '../../src/registry/types.ts';
import { generateRegistrySnapshot, namespaceOf, seededRandom, serviceName } from '../lib/mesh-generator.ts';
import { profileSection } from '../lib/profiler.ts';
import { atMost, info, type ScenarioResult } from '../lib/report.ts';
import type { Scenario } from '../lib/scenario.ts';
import { median } from '../lib/stats.ts';
import { sidecarNode } from './translation.ts';

const NAMESPACES = 10;
const FANOUT = 50;
const ENDPOINT_TARGET_MS = 0.5;

function keyOf(index: number): string {
  return `${serviceName(index)}.${namespaceOf(index, NAMESPACES)}`;
}

function serviceConfigYaml(index: number, dependencies: readonly string[], timeout?: string): string {
  const lines = [
    'apiVersion: trellis.dev/v1alpha1',
    'kind: ServiceConfig',
    `metadata: {name: ${serviceName(index)}, namespace: ${namespaceOf(index, NAMESPACES)}}`,
    'spec:',
    ...(dependencies.length > 0 ? [`  dependencies: [${dependencies.join(', ')}]`] : []),
    ...(timeout ? ['  routes:', `    - name: default`, `      to: [{service: ${keyOf(index)}}]`, `      timeout: ${timeout}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function parseDocuments(files: ReadonlyArray<{ name: string; text: string }>): ConfigDocument[] {
  const parsed = parseConfigFiles(files);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`bench config does not parse: ${errors[0]?.message ?? ''}`);
  return parsed.documents;
}

interface Measured {
  readonly endpointMs: number;
  readonly endpointSamples: readonly number[];
  readonly affectedViews: number;
  readonly everyViewMs: number;
  readonly addServiceMs: number;
  readonly routeEditMs: number;
  readonly setupMs: number;
}

/** Runs the three changes `repeats` times each against N services and `views` views. */
async function measure(services: number, views: number, repeats: number, profilePath: string | undefined): Promise<Measured> {
  const setupStarted = performance.now();
  const random = seededRandom(7);
  const changedIndex = 1;
  const files = [];
  const dependencySets: Array<ReadonlySet<string>> = [];
  for (let v = 0; v < views - 1; v += 1) {
    const own = 2 + v;
    const deps = new Set<string>([keyOf(changedIndex)]);
    while (deps.size < Math.min(FANOUT, services - 1)) deps.add(keyOf(Math.floor(random() * services)));
    dependencySets.push(deps);
    files.push({ name: `svc-${own}.yaml`, text: serviceConfigYaml(own, [...deps]) });
  }
  const baseDocuments = parseDocuments(files);
  let configRevision = 1;
  let lookup: ConfigLookup = createConfigLookup({ revision: configRevision, documents: new Map(baseDocuments.map((d) => [d.id, d])) });
  let configListener: (() => void) | undefined;

  let current: RegistrySnapshot = generateRegistrySnapshot({ services, endpointsPerService: 3, namespaces: NAMESPACES });
  let registryListener: ((change: RegistryChange, snapshot: RegistrySnapshot) => void) | undefined;
  const pipeline: MeshPipeline = createMeshPipeline({
    registry: { snapshot: () => current, onChange: (l) => ((registryListener = l), () => undefined) },
    config: { lookup: () => lookup, onChange: (l) => ((configListener = l), () => undefined) },
  });
  const watches = [pipeline.watch(sidecarNode(serviceName(0), namespaceOf(0, NAMESPACES)), () => undefined)];
  for (let v = 0; v < views - 1; v += 1) watches.push(pipeline.watch(sidecarNode(serviceName(2 + v), namespaceOf(2 + v, NAMESPACES)), () => undefined));
  const setupMs = performance.now() - setupStarted;

  const commit = (instances: Map<string, readonly InstanceRecord[]>, change: Omit<RegistryChange, 'revision'>, servicesMap = current.services): void => {
    current = { revision: current.revision + 1, services: servicesMap, instances };
    registryListener?.({ revision: current.revision, ...change }, current);
  };
  const timed = (): number => {
    const started = performance.now();
    pipeline.flushNow();
    return performance.now() - started;
  };

  // One endpoint change: a weight of one instance of the changed service, a new value each time.
  const changeEndpoint = (key: string, i: number): number => {
    const instances = current.instances.get(key) ?? [];
    const next = new Map(current.instances);
    next.set(key, instances.map((instance, index) => (index === 0 ? { ...instance, weight: 1 + (i % 100) } : instance)));
    commit(next, { endpointsChanged: [key], servicesChanged: [] });
    return timed();
  };
  const typicalKey = keyOf(services - 1);
  const affectedViews = 1 + dependencySets.filter((deps) => deps.has(typicalKey)).length;
  const endpointSamples: number[] = [];
  const profile = profilePath ? await profileSection() : undefined;
  for (let i = 0; i < repeats; i += 1) endpointSamples.push(changeEndpoint(typicalKey, i));
  if (profile && profilePath) await profile.stop(profilePath);
  const everyViewSamples: number[] = [];
  for (let i = 0; i < repeats; i += 1) everyViewSamples.push(changeEndpoint(keyOf(changedIndex), i));

  // One added service (a new key; registry change names it in both lists as the registry does).
  const addSamples: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(repeats / 10)); i += 1) {
    const index = services + i;
    const key = keyOf(index);
    const record = { name: serviceName(index), namespace: namespaceOf(index, NAMESPACES), protocol: 'http' as const };
    const instance: InstanceRecord = {
      id: '10.200.0.1:8080', service: record.name, namespace: record.namespace, address: '10.200.0.1', port: 8080, ports: {},
      labels: {}, locality: { region: 'us-east', zone: 'a', subZone: '' }, weight: 1, health: 'healthy', ttlSeconds: 0, heartbeatAt: 0, origin: 'api',
    };
    const servicesMap = new Map(current.services);
    servicesMap.set(key, record);
    const instances = new Map(current.instances);
    instances.set(key, [instance]);
    commit(instances, { endpointsChanged: [key], servicesChanged: [key] }, servicesMap);
    addSamples.push(timed());
  }

  // One route edit: a ServiceConfig for the changed service with a route timeout, applied anew.
  const routeSamples: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(repeats / 10)); i += 1) {
    const edit = parseDocuments([{ name: 'edit.yaml', text: serviceConfigYaml(changedIndex, [], `${1 + i}s`) }]);
    configRevision += 1;
    lookup = createConfigLookup({ revision: configRevision, documents: new Map([...baseDocuments, ...edit].map((d) => [d.id, d])) }, lookup);
    configListener?.();
    routeSamples.push(timed());
  }

  for (const w of watches) w.close();
  pipeline.close();
  return {
    endpointMs: median(endpointSamples),
    endpointSamples,
    affectedViews,
    everyViewMs: median(everyViewSamples),
    addServiceMs: median(addSamples),
    routeEditMs: median(routeSamples),
    setupMs,
  };
}

/** The scenario for each size; `views` watched views (default 300, `--streams` changes it). */
export async function runIncremental(sizes: readonly number[], views: number, repeats: number, profileDir?: string): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const byN = new Map<number, number>();
  for (const services of sizes) {
    const profilePath = profileDir ? `${profileDir}/incremental-${services}.cpuprofile` : undefined;
    const m = await measure(services, views, repeats, profilePath);
    byN.set(services, m.endpointMs);
    const smallest = byN.get(Math.min(...byN.keys())) ?? m.endpointMs;
    results.push({
      name: 'incremental',
      sizes: { services, endpointsPerService: 3, views, fanout: FANOUT },
      metrics: [
        atMost(`one endpoint change, recompute (median of ${repeats})`, m.endpointMs, 'ms', ENDPOINT_TARGET_MS),
        info('one endpoint change, slowest sample', Math.max(...m.endpointSamples), 'ms'),
        info(`one endpoint change, ratio to N = ${Math.min(...byN.keys())}`, m.endpointMs / smallest, 'x'),
        info('views affected by that change', m.affectedViews, 'count'),
        info(`one endpoint change seen by all ${views} views, recompute (median)`, m.everyViewMs, 'ms'),
        info('one added service, recompute (median)', m.addServiceMs, 'ms'),
        info('one route edit (ServiceConfig apply), recompute (median)', m.routeEditMs, 'ms'),
        info('setup: model + first build of every view', m.setupMs, 'ms'),
      ],
    });
  }
  return results;
}

export const incremental: Scenario = {
  name: 'incremental',
  description: 'one endpoint change / added service / route edit through the pipeline with a few hundred views, N = 1k vs 10k',
  async run(options) {
    const sizes = options.services !== undefined ? [options.services] : [1000, 10000];
    const views = options.streams ?? (options.quick ? 100 : 300);
    const repeats = options.quick ? 50 : 200;
    options.progress(`[incremental] ${sizes.join(', ')} services, ${views} views`);
    return runIncremental(sizes, views, repeats, options.profileDir);
  },
};
