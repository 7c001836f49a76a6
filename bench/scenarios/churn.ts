/**
 * Scenario 6 (with 11's event-loop lag): endpoint churn. N services (E = 3), each namespace's
 * sidecars scoped to k = 50 dependencies (bench/lib/scoped-mesh.ts), P streams. Endpoint events
 * arrive open-loop at R per second for D seconds, each a weight change of one instance of a
 * depended-on service (round robin, so one service is never changed twice in flight) through the
 * HTTP API. Per event: the time from just before the API call until every stream holding that
 * cluster ACKed a changed copy. Server CPU (cores) and event-loop lag over the event window come
 * from this process, which also drives the events (HTTP client, IPC: included, small).
 */
import { startLagMonitor } from '../lib/event-loop-lag.ts';
import { startLoadFleet, type LoadFleet } from '../lib/load-fleet.ts';
import { generateInstances, serviceName } from '../lib/mesh-generator.ts';
import { atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import { profileSection } from '../lib/profiler.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { applyConfig, clusterOf, dependedOn, scopedNodes, scopePolicies, type ScopedMeshSpec } from '../lib/scoped-mesh.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { startBenchTrellis, type BenchTrellis } from '../lib/trellis-instance.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { join } from 'node:path';

const ENDPOINTS_PER_SERVICE = 3;
const NAMESPACES = 10;
const FAN_OUT = 50;
const CONNECT_TIMEOUT_MS = 240_000;
const EVENT_TIMEOUT_MS = 30_000;
const SHARE_ABOVE = 1000;
const STREAMS_PER_CONNECTION = 10;
/** Load generator CPU (cores, on its one pinned core) above which it is the bottleneck. */
const LOAD_SATURATED_CORES = 0.85;

/** One measured event: streams tracked, ms until the last of them ACKed, streams that never did. */
export interface EventOutcome {
  readonly tracked: number;
  readonly convergedMs: number;
  readonly missing: number;
  /** ms the registration API call took (store write included). */
  readonly apiMs: number;
}

/**
 * Fires `count` events open-loop, event i at `startAt + i * intervalMs` (never waiting for earlier
 * ones), and resolves with every outcome in order. `fire(i)` arms, changes and collects one event.
 */
export async function openLoop<T>(count: number, intervalMs: number, fire: (i: number) => Promise<T>): Promise<T[]> {
  const startAt = performance.now();
  const pending: Promise<T>[] = [];
  for (let i = 0; i < count; i += 1) {
    const wait = startAt + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(fire(i));
  }
  return Promise.all(pending);
}

/** Arms the affected streams, changes one endpoint's weight, collects (see the file comment). */
async function oneEvent(fleet: LoadFleet, trellis: BenchTrellis, id: number, cluster: string, instance: Readonly<Record<string, unknown>>): Promise<EventOutcome> {
  const tracked = await fleet.armResource(id, { typeUrl: TypeUrl.ClusterLoadAssignment, name: cluster, expect: 'changed', holdersOnly: true, timeoutMs: EVENT_TIMEOUT_MS });
  const startedAt = epochMs();
  await trellis.register(instance);
  const apiMs = epochMs() - startedAt;
  const result = await fleet.collect(id);
  return { tracked, convergedMs: Math.max(0, ...result.ackedAt.map((at) => at - startedAt)), missing: result.missing, apiMs };
}

async function runChurn(mode: 'sotw' | 'delta', streams: number, seconds: number, rate: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const services = options.services ?? 1000;
  const say = (line: string): void => options.progress(`[churn ${mode} ${services}x${streams}] ${line}`);
  const spec: ScopedMeshSpec = { services, namespaces: NAMESPACES, fanOut: FAN_OUT };
  const instances = generateInstances({ services, endpointsPerService: ENDPOINTS_PER_SERVICE, namespaces: NAMESPACES });
  const firstInstance = new Map<string, Record<string, unknown>>();
  for (const instance of instances) if (!firstInstance.has(String(instance['service']))) firstInstance.set(String(instance['service']), instance);
  const targets = dependedOn(spec);
  const nodes = scopedNodes(streams, spec);
  const count = Math.round(seconds * rate);
  const notes: string[] = [
    `each namespace's sidecars depend on ${FAN_OUT} services (PlatformPolicy per namespace); events go round robin over the ${targets.length} depended-on services`,
    'server CPU and event-loop lag are of the bench process, which also sends the events (HTTP client) and talks to the load generators (IPC)',
  ];
  const metrics: Metric[] = [];
  const fleet = startLoadFleet({ processes: options.processes ?? 2, core: options.loadCore });
  try {
    const trellis = await startBenchTrellis();
    try {
      const loadMs = await trellis.load(instances);
      await applyConfig(trellis, scopePolicies(spec));
      say(`registered ${instances.length} instances in ${Math.round(loadMs)} ms, scoped to k=${FAN_OUT}`);
      const connectStart = epochMs();
      // Above ~1k streams, one connection per stream stalls in grpc-js reconnect backoff on this
      // machine (see the notes); streams then share connections, 10 to one, as connect-storm does.
      const perConnection = streams > SHARE_ABOVE ? STREAMS_PER_CONNECTION : 1;
      if (perConnection > 1) notes.push(`${perConnection} streams share each HTTP/2 connection (${Math.ceil(streams / perConnection)} connections)`);
      const ready = await fleet.connectWith(trellis.xdsAddress, mode, nodes, CONNECT_TIMEOUT_MS, { streamsPerConnection: perConnection });
      const connectMs = Math.max(...ready.map((at) => at - connectStart));
      const held = (await fleet.dump())[TypeUrl.Cluster]?.items.length ?? 0;
      say(`${streams} streams ready in ${Math.round(connectMs)} ms, ${held} clusters per sidecar; ${count} events at ${rate}/s`);

      const profile = options.profileDir === undefined ? undefined : await profileSection();
      const lag = startLagMonitor();
      const cpuBefore = process.cpuUsage();
      const loadBefore = await fleet.usage();
      const windowStart = performance.now();
      const outcomes = await openLoop(count, 1000 / rate, (i) => {
        const index = targets[i % targets.length] ?? 0;
        const base = firstInstance.get(serviceName(index)) ?? {};
        // A weight no earlier event gave this service (initial weights are 1..3).
        const weight = 10 + (Math.floor(i / targets.length) % 100);
        return oneEvent(fleet, trellis, i, clusterOf(index, NAMESPACES), { ...base, weight });
      });
      const windowSeconds = (performance.now() - windowStart) / 1000;
      const serverCpu = cpuSeconds(cpuBefore, process.cpuUsage());
      const lagFigures = lag.stop();
      if (profile && options.profileDir !== undefined) say(`profile: ${await profile.stop(join(options.profileDir, `churn-${mode}-${services}x${streams}.cpuprofile`))}`);
      const loadCpu = (await fleet.usage()).cpuSeconds - loadBefore.cpuSeconds;
      const measured = outcomes.filter((o) => o.tracked > 0);
      const converged = summary(measured.map((o) => o.convergedMs));
      const missing = measured.reduce((sum, o) => sum + o.missing, 0);
      const affected = summary(measured.map((o) => o.tracked));
      say(`p50 ${converged.p50.toFixed(1)} ms, p99 ${converged.p99.toFixed(1)} ms, CPU ${(serverCpu / windowSeconds).toFixed(2)} cores, lag p99 ${lagFigures.p99.toFixed(1)} ms`);
      // Pinned to one core, the load generators cannot use more than it: near 1 core they set the pace.
      if (options.loadCore !== undefined && loadCpu / windowSeconds >= LOAD_SATURATED_CORES) {
        notes.push(`load generators used ${(loadCpu / windowSeconds).toFixed(2)} of their one core: the convergence figures are bound by the clients, not by Trellis`);
      }
      if (missing > 0) notes.push(`${missing} stream-events never ACKed the change within ${EVENT_TIMEOUT_MS} ms`);
      if (measured.length < outcomes.length) notes.push(`${outcomes.length - measured.length} events reached no stream`);
      metrics.push(
        info('register mesh over HTTP', loadMs, 'ms'),
        info('connect + initial config ACKed, all streams', connectMs, 'ms'),
        info('clusters held by one sidecar', held, 'count'),
        info('events sent', outcomes.length, 'count'),
        info('event window (wall)', windowSeconds, 's'),
        info('streams affected per event, p50', affected.p50, 'count'),
        info('event → every affected stream ACKed, p50', converged.p50, 'ms'),
        atMost('event → every affected stream ACKed, p99', converged.p99, 'ms', 100),
        info('event → every affected stream ACKed, max', converged.max, 'ms'),
        info('registration API call (in the figures above), p50', summary(measured.map((o) => o.apiMs)).p50, 'ms'),
        info('registration API call, p99', summary(measured.map((o) => o.apiMs)).p99, 'ms'),
        atMost('server CPU, average over the window', serverCpu / windowSeconds, 'cores', 0.5),
        info('load generator CPU, average over the window', loadCpu / windowSeconds, 'cores'),
        info('event-loop lag p50', lagFigures.p50, 'ms'),
        info('event-loop lag p99 (scenario 11)', lagFigures.p99, 'ms'),
        info('event-loop lag max', lagFigures.max, 'ms'),
        info('server RSS after churn', process.memoryUsage().rss / 2 ** 20, 'MiB'),
        info('stream-events that missed a change', missing, 'count'),
      );
      await fleet.disconnect();
    } finally {
      await trellis.close();
    }
    return {
      name: 'churn',
      sizes: { services, endpointsPerService: ENDPOINTS_PER_SERVICE, fanOut: FAN_OUT, streams, eventsPerSecond: rate, seconds, mode, processes: fleet.size },
      metrics,
      notes,
    };
  } finally {
    await fleet.close();
  }
}

export const churn: Scenario = {
  name: 'churn',
  description: 'endpoint churn (40 events/s) over P scoped streams: per-event convergence, server CPU, event-loop lag',
  async run(options) {
    const streams = options.streams ?? (options.quick ? 500 : 5000);
    const seconds = options.quick ? 10 : 60;
    const modes = options.modes ?? ['sotw'];
    const results: ScenarioResult[] = [];
    for (const mode of modes) results.push(await runChurn(mode, streams, seconds, 40, options));
    return results;
  },
};
