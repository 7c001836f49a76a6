/**
 * Scenario 7: a change every proxy sees. N services, sidecars scoped to k = 50 dependencies, P
 * streams. A mesh-wide PlatformPolicy sets the default route timeout; changing it changes the
 * route configuration of every sidecar. A first (unmeasured) change finds which route
 * configurations it touches; then K changes are measured, each until every stream ACKed a new
 * copy of each of them, with the bytes each stream received for it. The same streams are then
 * fed the same route bytes by the floor server (bench/lib/floor-server.ts) and measured the same
 * way, so convergence is quoted as Trellis/floor.
 */
import { join } from 'node:path';
import { startFloorServer } from '../lib/floor-server.ts';
import { startLoadFleet, type LoadFleet } from '../lib/load-fleet.ts';
import type { ResourceDump } from '../lib/load-protocol.ts';
import { generateInstances } from '../lib/mesh-generator.ts';
import { profileSection } from '../lib/profiler.ts';
import { atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { applyConfig, scopedNodes, scopePolicies, timeoutPolicy, type ScopedMeshSpec } from '../lib/scoped-mesh.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { startBenchTrellis } from '../lib/trellis-instance.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

const ENDPOINTS_PER_SERVICE = 3;
const NAMESPACES = 10;
const FAN_OUT = 50;
const CONNECT_TIMEOUT_MS = 180_000;
const CHANGE_TIMEOUT_MS = 30_000;
const SETTLE_MS = 300;

/** Names of `typeUrl` resources whose bytes differ between two dumps (present in both). */
export function changedNames(before: ResourceDump, after: ResourceDump, typeUrl: string): string[] {
  const old = new Map((before[typeUrl]?.items ?? []).map((i) => [i.name, i.any] as const));
  return (after[typeUrl]?.items ?? [])
    .filter((i) => {
      const was = old.get(i.name);
      return was !== undefined && Buffer.compare(was, i.any) !== 0;
    })
    .map((i) => i.name);
}

interface Measured {
  /** Per change: ms until the last stream ACKed every changed route configuration. */
  readonly allAcked: number[];
  /** Per change: mean bytes a stream received for it. */
  readonly bytesPerStream: number[];
  readonly missing: number;
}

/** Arms a wait per route name on every stream, applies `change`, collects, counts bytes; `count` times. */
async function measure(fleet: LoadFleet, names: readonly string[], count: number, change: (i: number) => Promise<void>, idBase: number): Promise<Measured> {
  const allAcked: number[] = [];
  const bytesPerStream: number[] = [];
  let missing = 0;
  for (let i = 0; i < count; i += 1) {
    const ids = names.map((_, n) => idBase + i * names.length + n);
    for (const [n, name] of names.entries()) {
      await fleet.armResource(ids[n] ?? 0, { typeUrl: TypeUrl.RouteConfiguration, name, expect: 'changed', holdersOnly: true, timeoutMs: CHANGE_TIMEOUT_MS });
    }
    await fleet.markBytes();
    const startedAt = epochMs();
    await change(i);
    let last = startedAt;
    for (const id of ids) {
      const result = await fleet.collect(id);
      missing += result.missing;
      last = Math.max(last, ...result.ackedAt);
    }
    allAcked.push(last - startedAt);
    // Anything sent for this change after the routes (nothing, normally) still counts.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const bytes = await fleet.bytes();
    bytesPerStream.push(bytes.reduce((sum, s) => sum + s.bytes, 0) / Math.max(1, bytes.length));
  }
  return { allAcked, bytesPerStream, missing };
}

async function runBroadcast(mode: 'sotw' | 'delta', services: number, streams: number, changes: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const say = (line: string): void => options.progress(`[broadcast ${mode} ${services}x${streams}] ${line}`);
  const spec: ScopedMeshSpec = { services, namespaces: NAMESPACES, fanOut: FAN_OUT };
  const instances = generateInstances({ services, endpointsPerService: ENDPOINTS_PER_SERVICE, namespaces: NAMESPACES });
  const nodes = scopedNodes(streams, spec);
  const notes: string[] = [`a mesh-wide PlatformPolicy default timeout change; sidecars scoped to ${FAN_OUT} dependencies per namespace`];
  const metrics: Metric[] = [];
  const fleet = startLoadFleet({ processes: options.processes ?? 2, core: options.loadCore });
  try {
    const trellis = await startBenchTrellis();
    let names: string[] = [];
    let dumpBefore: ResourceDump = {};
    let dumpAfter: ResourceDump = {};
    try {
      await trellis.load(instances);
      await applyConfig(trellis, [...scopePolicies(spec), timeoutPolicy(10)]);
      const connectStart = epochMs();
      const ready = await fleet.connectMixed(trellis.xdsAddress, mode, nodes, { record: true }, CONNECT_TIMEOUT_MS);
      say(`${streams} streams ready in ${Math.round(Math.max(...ready.map((at) => at - connectStart)))} ms`);
      // Warm-up change: which route configurations does a timeout change touch?
      const first = await fleet.dump();
      await applyConfig(trellis, [timeoutPolicy(11)]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      dumpBefore = await fleet.dump();
      names = changedNames(first, dumpBefore, TypeUrl.RouteConfiguration);
      if (names.length === 0) throw new Error('a default timeout change touched no route configuration of the first stream');
      say(`a timeout change touches ${names.length} route configurations of the first stream (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`);

      const cpuBefore = process.cpuUsage();
      const loadBefore = await fleet.usage();
      const profile = options.profileDir === undefined ? undefined : await profileSection();
      const run = await measure(fleet, names, changes, (i) => applyConfig(trellis, [timeoutPolicy(12 + i)]), 0);
      const serverCpu = cpuSeconds(cpuBefore, process.cpuUsage());
      if (profile && options.profileDir !== undefined) say(`profile: ${await profile.stop(join(options.profileDir, `broadcast-${mode}-${services}x${streams}.cpuprofile`))}`);
      const loadCpu = (await fleet.usage()).cpuSeconds - loadBefore.cpuSeconds;
      dumpAfter = await fleet.dump();
      const all = summary(run.allAcked);
      say(`p50 ${all.p50.toFixed(1)} ms, p99 ${all.p99.toFixed(1)} ms, ${Math.round(summary(run.bytesPerStream).p50)} B per stream`);
      if (run.missing > 0) notes.push(`${run.missing} stream-changes never ACKed within ${CHANGE_TIMEOUT_MS} ms`);
      metrics.push(
        info('route configurations a timeout change touches, per sidecar', names.length, 'count'),
        info('change → all streams ACKed, p50', all.p50, 'ms'),
        info('change → all streams ACKed, p99', all.p99, 'ms'),
        info('bytes per proxy per change, p50', summary(run.bytesPerStream).p50, 'B'),
        info('server CPU per change', serverCpu / changes, 's'),
        info('load generator CPU per change', loadCpu / changes, 's'),
      );
      await fleet.disconnect();
    } finally {
      await trellis.close();
    }

    // The floor: the same streams fed the same route bytes by a server that only writes them.
    const floor = await startFloorServer(dumpBefore);
    try {
      await fleet.connectMixed(floor.address, mode, nodes, { record: true }, CONNECT_TIMEOUT_MS);
      const states = [dumpAfter, dumpBefore].map((d) => [...(d[TypeUrl.RouteConfiguration]?.items ?? [])]);
      const loadBefore = await fleet.usage();
      const run = await measure(fleet, names, changes, async (i) => void (await floor.pushType(TypeUrl.RouteConfiguration, states[i % 2] ?? [], CHANGE_TIMEOUT_MS)), 1_000_000);
      const loadCpu = (await fleet.usage()).cpuSeconds - loadBefore.cpuSeconds;
      const floorAll = summary(run.allAcked);
      say(`floor p50 ${floorAll.p50.toFixed(1)} ms, p99 ${floorAll.p99.toFixed(1)} ms`);
      const value = (name: string): number => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
      metrics.push(
        info('floor: push → all streams ACKed, p50', floorAll.p50, 'ms'),
        info('floor: push → all streams ACKed, p99', floorAll.p99, 'ms'),
        info('floor: bytes per proxy per push, p50', summary(run.bytesPerStream).p50, 'B'),
        info('floor: load generator CPU per push', loadCpu / changes, 's'),
        atMost('Trellis / floor, p50', value('change → all streams ACKed, p50') / floorAll.p50, 'x', 1.5),
        atMost('Trellis / floor, p99', value('change → all streams ACKed, p99') / floorAll.p99, 'x', 1.5),
        info('Trellis / floor, bytes per proxy', value('bytes per proxy per change, p50') / summary(run.bytesPerStream).p50, 'x'),
      );
      if (run.missing > 0) notes.push(`floor: ${run.missing} stream-pushes never ACKed`);
      await fleet.disconnect();
    } finally {
      await floor.close();
    }
    return { name: 'broadcast', sizes: { services, endpointsPerService: ENDPOINTS_PER_SERVICE, fanOut: FAN_OUT, streams, changes, mode, processes: fleet.size }, metrics, notes };
  } finally {
    await fleet.close();
  }
}

export const broadcast: Scenario = {
  name: 'broadcast',
  description: 'a mesh-wide default timeout change (every route config changes) until every stream ACKed, against the floor',
  async run(options) {
    const services = options.services ?? 1000;
    const streams = options.streams ?? (options.quick ? 200 : 1000);
    const changes = options.changes ?? (options.quick ? 5 : 20);
    // Quick runs keep one mode so the whole quick suite stays under three minutes.
    const modes = options.modes ?? (options.quick ? ['sotw'] : ['sotw', 'delta']);
    const results: ScenarioResult[] = [];
    for (const mode of modes) results.push(await runBroadcast(mode, services, streams, changes, options));
    return results;
  },
};
