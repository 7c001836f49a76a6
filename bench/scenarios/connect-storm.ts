/**
 * Connect storm (issue 5, scenario 4). Trellis runs in this process with N = 1,000 services
 * (E = 3) and a dependency fan-out k per sidecar (k = 50 through a PlatformPolicy default
 * `dependencies` list, or k = all). P sidecar streams are opened at once from several load
 * generator processes, several streams per HTTP/2 connection (grpc-js clients are too heavy for
 * 10k connections on this machine; Envoy would use one each). Measured: connect → every stream
 * holds and ACKed its initial config (CDS, LDS, every EDS and RDS it references), admissions per
 * second (P over that time), the server's peak RSS and CPU, the load generator's CPU.
 * At k = 50 every sidecar depends on service 0, so an endpoint change there affects all P streams:
 * the figure "event → every affected stream ACKed" is measured on the stormed streams, then
 * against the floor server (bench/lib/floor-server.ts) fed the same bytes.
 */
import { join } from 'node:path';
import { measureEndpointChanges, WARM_UP_CHANGES, weightForChange, type ChangeRun } from '../lib/change-runs.ts';
import { endpointsOf, startFloorServer } from '../lib/floor-server.ts';
import { startLoadFleet } from '../lib/load-fleet.ts';
import type { ResourceDump } from '../lib/load-protocol.ts';
import { profileSection } from '../lib/profiler.ts';
import { atLeast, atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { ackedProxies, loadScopedMesh, sampleRss, sharedDependency, stormNodes, type FanOut } from '../lib/storm-setup.ts';
import { startBenchTrellis } from '../lib/trellis-instance.ts';

const SERVICES = 1000;
const CONNECT_TIMEOUT_MS = 180_000;
const CHANGE_TIMEOUT_MS = 30_000;
/** Issue 5: event → every affected stream ACKed, p99 (ms), by P. */
const PROPAGATION_P99_TARGETS = new Map([
  [1000, 50],
  [10_000, 600],
]);
/** Streams per HTTP/2 connection in the load generator. */
export const STREAMS_PER_CONNECTION = 10;

/**
 * Load generator processes for P streams: about 5,000 streams each, at least 2. They share one
 * core, so each more process only adds its own runtime costs: at P = 10k, four used 11.9 s of CPU
 * in the storm against 9.9 s for two; one process's larger heap made its GC pauses the p99.
 */
export function processesFor(streams: number): number {
  return Math.max(2, Math.ceil(streams / 5000));
}

/** One storm: P streams at fan-out k (exported for one-off runs and profiles). */
export async function runStorm(streams: number, fanOut: FanOut, options: ScenarioOptions): Promise<ScenarioResult> {
  const services = options.services ?? SERVICES;
  const say = (line: string): void => options.progress(`[connect-storm P=${streams} k=${fanOut}] ${line}`);
  const nodes = stormNodes(streams, services);
  const notes: string[] = [
    `${STREAMS_PER_CONNECTION} streams per HTTP/2 connection (${Math.ceil(streams / STREAMS_PER_CONNECTION)} connections); sidecar i belongs to service i mod N`,
  ];
  const fleet = startLoadFleet({ processes: options.processes ?? processesFor(streams), core: options.loadCore });
  const metrics: Metric[] = [];
  // 100: a p99 of 20 samples would be their maximum.
  const changes = options.changes ?? (options.quick ? 5 : 100);
  const dependency = sharedDependency(services);
  let dumpBefore: ResourceDump = {};
  let dumpAfter: ResourceDump = {};
  /** The endpoint changes of `change` (Trellis or the floor), with this process's CPU per change and an optional profile. */
  const measuredChanges = async (label: string, change: (i: number) => Promise<void>): Promise<{ run: ChangeRun; cpuPerChange: number }> => {
    const profile = options.profileDir === undefined ? undefined : await profileSection();
    const cpu = process.cpuUsage();
    const run = await measureEndpointChanges(fleet, dependency.cluster, changes, CHANGE_TIMEOUT_MS, change, WARM_UP_CHANGES);
    const cpuPerChange = cpuSeconds(cpu, process.cpuUsage()) / (changes + WARM_UP_CHANGES);
    if (profile && options.profileDir !== undefined) {
      say(`profile: ${await profile.stop(join(options.profileDir, `connect-storm-${streams}-k${fanOut}-${label}.cpuprofile`))}`);
    }
    return { run, cpuPerChange };
  };
  try {
    const trellis = await startBenchTrellis();
    try {
      const loadMs = await loadScopedMesh(trellis, services, fanOut);
      say(`registered ${services} services in ${Math.round(loadMs)} ms`);
      const rssBefore = process.memoryUsage.rss();
      const profile = options.profileDir === undefined ? undefined : await profileSection();
      const rss = sampleRss();
      const cpuStart = process.cpuUsage();
      const loadStart = await fleet.usage();
      const start = epochMs();
      const ready = await fleet.connectWith(trellis.xdsAddress, 'sotw', nodes, CONNECT_TIMEOUT_MS, { streamsPerConnection: STREAMS_PER_CONNECTION });
      const elapsed = ready.map((at) => at - start);
      const serverCpu = cpuSeconds(cpuStart, process.cpuUsage());
      const peakRss = rss.stop();
      if (profile && options.profileDir !== undefined) {
        say(`profile: ${await profile.stop(join(options.profileDir, `connect-storm-${streams}-k${fanOut}.cpuprofile`))}`);
      }
      const loadCpu = (await fleet.usage()).cpuSeconds - loadStart.cpuSeconds;
      const times = summary(elapsed);
      const status = ackedProxies(await trellis.status());
      say(`all ${streams} ACKed in ${Math.round(times.max)} ms; server CPU ${serverCpu.toFixed(1)} s, load ${loadCpu.toFixed(1)} s; peak RSS ${Math.round(peakRss / 2 ** 20)} MiB`);
      if (status.acked !== streams) notes.push(`server status: ${status.acked}/${status.proxies} proxies fully ACKed after the storm`);
      const allSeconds = times.max / 1000;
      metrics.push(
        info('register mesh over HTTP', loadMs, 'ms'),
        atLeast('admissions per second (P / time until all ACKed)', streams / allSeconds, '1/s', 1000),
        fanOut === 50 && streams >= 10_000
          ? atMost('connect → all streams ACKed initial config', times.max, 'ms', 30_000)
          : info('connect → all streams ACKed initial config', times.max, 'ms'),
        info('connect → initial config ACKed, p50 stream', times.p50, 'ms'),
        info('connect → initial config ACKed, p99 stream', times.p99, 'ms'),
        info('server CPU during the storm', serverCpu, 's'),
        info('server CPU per admitted stream', (serverCpu * 1000) / streams, 'ms'),
        // What one server core could admit if the clients kept up (the measured rate is client-bound here).
        info('server admission capacity, P / server CPU-seconds (derived)', streams / serverCpu, '1/s'),
        info('load generator CPU during the storm', loadCpu, 's'),
        info('server RSS before the storm', rssBefore / 2 ** 20, 'MiB'),
        info('server peak RSS during the storm', peakRss / 2 ** 20, 'MiB'),
        info('views (snapshots) on the server', status.views, 'count'),
        info('proxies fully ACKed (server status)', status.acked, 'count'),
      );
      if (fanOut !== 'all') {
        dumpBefore = await fleet.dump();
        const { run, cpuPerChange: eventCpu } = await measuredChanges('endpoint-events', (i) => trellis.register({ ...dependency.instance, weight: weightForChange(i) }));
        dumpAfter = await fleet.dump();
        const all = summary(run.allAcked);
        say(`endpoint event → all ${streams} streams ACKed: p50 ${all.p50.toFixed(1)} ms, p99 ${all.p99.toFixed(1)} ms`);
        if (run.missing > 0) notes.push(`${run.missing} stream-changes never ACKed within ${CHANGE_TIMEOUT_MS} ms`);
        const target = PROPAGATION_P99_TARGETS.get(streams);
        metrics.push(
          info('endpoint event → every affected stream ACKed, p50', all.p50, 'ms'),
          target === undefined
            ? info('endpoint event → every affected stream ACKed, p99', all.p99, 'ms')
            : atMost('endpoint event → every affected stream ACKed, p99', all.p99, 'ms', target),
          info('endpoint event → every affected stream ACKed, max', all.max, 'ms'),
          info(`the ${WARM_UP_CHANGES} warm-up events before them (not in p50/p99), max`, run.warmUpMax, 'ms'),
          info('streams affected per event', run.perStream.length / changes, 'count'),
          // Includes the bench's own side of each registration call (HTTP client, arming the clients).
          info('server CPU per endpoint event', eventCpu * 1000, 'ms'),
        );
      }
      await fleet.disconnect();
    } finally {
      await trellis.close();
    }
    if (fanOut !== 'all') {
      // The floor: the same streams fed the same endpoint bytes by a server that only writes them.
      const floor = await startFloorServer(dumpBefore);
      try {
        await fleet.connectWith(floor.address, 'sotw', nodes, CONNECT_TIMEOUT_MS, { streamsPerConnection: STREAMS_PER_CONNECTION });
        const states = [endpointsOf(dumpAfter), endpointsOf(dumpBefore)];
        const { run, cpuPerChange: floorPushCpu } = await measuredChanges('floor-pushes', async (i) => void (await floor.push(states[i % 2] ?? [], CHANGE_TIMEOUT_MS)));
        const floorAll = summary(run.allAcked);
        say(`floor: p50 ${floorAll.p50.toFixed(1)} ms, p99 ${floorAll.p99.toFixed(1)} ms`);
        if (run.missing > 0) notes.push(`floor: ${run.missing} stream-pushes never ACKed`);
        const value = (name: string): number => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
        metrics.push(
          info('floor: push → every stream ACKed, p50', floorAll.p50, 'ms'),
          info('floor: push → every stream ACKed, p99', floorAll.p99, 'ms'),
          info('floor: push → every stream ACKed, max', floorAll.max, 'ms'),
          info(`floor: the ${WARM_UP_CHANGES} warm-up pushes before them, max`, run.warmUpMax, 'ms'),
          info('floor: server CPU per push', floorPushCpu * 1000, 'ms'),
          atMost('endpoint event, Trellis / floor, p50', value('endpoint event → every affected stream ACKed, p50') / floorAll.p50, 'x', 1.5),
          atMost('endpoint event, Trellis / floor, p99', value('endpoint event → every affected stream ACKed, p99') / floorAll.p99, 'x', 1.5),
        );
        await fleet.disconnect();
      } finally {
        await floor.close();
      }
      notes.push(
        `then ${changes} endpoint weight changes (registration API) of a service every sidecar depends on, one at a time, each until every stream ACKed it, after ${WARM_UP_CHANGES} unmeasured ones; the floor gets the same streams and pushes the same EDS bytes`,
      );
    }
    return {
      name: 'connect-storm',
      sizes: { services, endpointsPerService: 3, streams, dependencies: String(fanOut), mode: 'sotw', processes: fleet.size, streamsPerConnection: STREAMS_PER_CONNECTION },
      metrics,
      notes,
    };
  } finally {
    await fleet.close();
  }
}

export const connectStorm: Scenario = {
  name: 'connect-storm',
  description: 'P ADS streams opened at once (k = 50 and k = all): admissions/s, time until all ACKed, peak RSS',
  async run(options) {
    const sizes: { streams: number; fanOut: FanOut }[] =
      options.streams !== undefined
        ? [{ streams: options.streams, fanOut: 50 }]
        : options.quick
          ? [{ streams: 1000, fanOut: 50 }]
          : [
              { streams: 1000, fanOut: 50 },
              { streams: 5000, fanOut: 50 },
              { streams: 10_000, fanOut: 50 },
              { streams: 1000, fanOut: 'all' },
            ];
    const results: ScenarioResult[] = [];
    for (const size of sizes) results.push(await runStorm(size.streams, size.fanOut, options));
    return results;
  },
};
