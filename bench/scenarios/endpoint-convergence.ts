/**
 * Endpoint-change convergence over real ADS streams. Trellis runs in this process (its CPU and
 * RSS are this process's); a load generator in separate processes opens P sidecar-like streams
 * spread over services (several per service, so proxies share snapshots). After every stream
 * holds its initial config, one endpoint's weight is changed K times through the HTTP API (after
 * WARM_UP_CHANGES unmeasured ones), and each time we measure until every stream has ACKed the new
 * EDS content. The same streams are then fed the same bytes by the floor server
 * (bench/lib/floor-server.ts) and the same pushes are measured, so the figures are quoted against
 * what this machine's clients can do at all.
 */
import { join } from 'node:path';
import { outboundClusterName } from '../../src/model/names.ts';
import { serviceKey } from '../../src/registry/types.ts';
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import { measureEndpointChanges, WARM_UP_CHANGES, weightForChange } from '../lib/change-runs.ts';
import { endpointsOf, startFloorServer } from '../lib/floor-server.ts';
import { startLoadFleet } from '../lib/load-fleet.ts';
import { sidecarClientNode, type ResourceDump } from '../lib/load-protocol.ts';
import { generateInstances, namespaceOf, serviceName } from '../lib/mesh-generator.ts';
import { info, type Metric, type ScenarioResult } from '../lib/report.ts';
import { profileSection } from '../lib/profiler.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { startBenchTrellis } from '../lib/trellis-instance.ts';

const ENDPOINTS_PER_SERVICE = 3;
const NAMESPACES = 10;
const STREAMS_PER_SERVICE = 4;
const ZONES = ['a', 'b'];
const CONNECT_TIMEOUT_MS = 180_000;
const CHANGE_TIMEOUT_MS = 30_000;

/** P sidecar nodes, STREAMS_PER_SERVICE per service (same zone), services spread over the mesh. */
export function convergenceNodes(streams: number, services: number): ClientNode[] {
  const serviceSlots = Math.max(1, Math.ceil(streams / STREAMS_PER_SERVICE));
  const stride = Math.max(1, Math.floor(services / serviceSlots));
  return Array.from({ length: streams }, (_, i) => {
    const index = (Math.floor(i / STREAMS_PER_SERVICE) * stride) % services;
    return sidecarClientNode(i, serviceName(index), namespaceOf(index, NAMESPACES), ZONES[index % ZONES.length] ?? 'a');
  });
}

function proxiesAllAcked(status: unknown): { proxies: number; acked: number; views: number } {
  const record = (typeof status === 'object' && status !== null ? status : {}) as Record<string, unknown>;
  const proxies = Array.isArray(record['proxies']) ? (record['proxies'] as unknown[]) : [];
  const views = Array.isArray(record['views']) ? record['views'].length : 0;
  const acked = proxies.filter((proxy) => {
    const types = (proxy as { types?: Record<string, { versionSent?: string; versionAcked?: string; awaitingAck?: boolean }> }).types ?? {};
    const list = Object.values(types);
    return list.length >= 4 && list.every((t) => !t.awaitingAck && t.versionSent !== undefined && t.versionSent === t.versionAcked);
  }).length;
  return { proxies: proxies.length, acked, views };
}

async function runMode(mode: 'sotw' | 'delta', services: number, streams: number, changes: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const say = (line: string): void => options.progress(`[endpoint-convergence ${mode} ${services}x${streams}] ${line}`);
  const instances = generateInstances({ services, endpointsPerService: ENDPOINTS_PER_SERVICE, namespaces: NAMESPACES });
  const nodes = convergenceNodes(streams, services);
  // The changed service: one that every stream sees but no stream belongs to.
  const targetIndex = Math.min(services - 1, Math.floor(services / 2) + 1);
  const target = instances.find((i) => i['service'] === serviceName(targetIndex));
  if (!target) throw new Error('the generated mesh has no target instance');
  const cluster = outboundClusterName(serviceKey(serviceName(targetIndex), namespaceOf(targetIndex, NAMESPACES)));
  const notes: string[] = [];

  const fleet = startLoadFleet({ processes: options.processes ?? 2, core: options.loadCore });
  try {
    const trellis = await startBenchTrellis();
    let dumpBefore: ResourceDump;
    let dumpAfter: ResourceDump;
    const metrics: Metric[] = [];
    try {
      const loadMs = await trellis.load(instances);
      say(`registered ${instances.length} instances in ${Math.round(loadMs)} ms`);

      const cpuConnect = process.cpuUsage();
      const loadCpuConnect = await fleet.usage();
      const connectStart = epochMs();
      const ready = await fleet.connect(trellis.xdsAddress, mode, nodes, CONNECT_TIMEOUT_MS);
      const connect = summary(ready.map((at) => at - connectStart));
      const serverConnectCpu = cpuSeconds(cpuConnect, process.cpuUsage());
      const loadConnectCpu = (await fleet.usage()).cpuSeconds - loadCpuConnect.cpuSeconds;
      const acked = proxiesAllAcked(await trellis.status());
      if (acked.acked !== streams) notes.push(`${mode}: server status shows ${acked.acked}/${acked.proxies} proxies fully ACKed after connect`);
      say(`${streams} streams ready in ${Math.round(connect.max)} ms (${acked.views} shared views)`);
      dumpBefore = await fleet.dump();

      const profile = options.profileDir === undefined ? undefined : await profileSection();
      const cpuBefore = process.cpuUsage();
      const loadBefore = await fleet.usage();
      const run = await measureEndpointChanges(fleet, cluster, changes, CHANGE_TIMEOUT_MS, (i) => trellis.register({ ...target, weight: weightForChange(i) }), WARM_UP_CHANGES);
      const serverCpu = cpuSeconds(cpuBefore, process.cpuUsage());
      if (profile && options.profileDir !== undefined) {
        say(`profile: ${await profile.stop(join(options.profileDir, `endpoint-convergence-${mode}-${services}x${streams}.cpuprofile`))}`);
      }
      const loadCpu = (await fleet.usage()).cpuSeconds - loadBefore.cpuSeconds;
      const rss = process.memoryUsage().rss;
      dumpAfter = await fleet.dump();
      const all = summary(run.allAcked);
      say(`convergence p50 ${all.p50.toFixed(1)} ms, p99 ${all.p99.toFixed(1)} ms, missing ${run.missing}`);
      if (run.missing > 0) notes.push(`${mode}: ${run.missing} stream-changes never ACKed the new content within ${CHANGE_TIMEOUT_MS} ms`);
      metrics.push(
        info('register mesh over HTTP', loadMs, 'ms'),
        info('connect + initial config ACKed, all streams', connect.max, 'ms'),
        info('connect + initial config ACKed, p50 stream', connect.p50, 'ms'),
        info('server CPU during connect', serverConnectCpu, 's'),
        info('load generator CPU during connect', loadConnectCpu, 's'),
        info('shared views (snapshots)', acked.views, 'count'),
        info('endpoint change → all streams ACKed, p50', all.p50, 'ms'),
        info('endpoint change → all streams ACKed, p99', all.p99, 'ms'),
        info('endpoint change → all streams ACKed, max', all.max, 'ms'),
        info('endpoint change → one stream ACKed, p50', summary(run.perStream).p50, 'ms'),
        info(`the ${WARM_UP_CHANGES} warm-up changes before them (not in p50/p99), max`, run.warmUpMax, 'ms'),
        info('server CPU per endpoint change', serverCpu / (changes + WARM_UP_CHANGES), 's'),
        info('load generator CPU per endpoint change', loadCpu / (changes + WARM_UP_CHANGES), 's'),
        info('server RSS after changes', rss / 2 ** 20, 'MiB'),
        info('streams that missed a change', run.missing, 'count'),
      );
      await fleet.disconnect();
    } finally {
      await trellis.close();
    }

    // The floor: the same streams, the same bytes, a server that only writes them.
    const floor = await startFloorServer(dumpBefore);
    try {
      await fleet.connect(floor.address, mode, nodes, CONNECT_TIMEOUT_MS);
      const states = [endpointsOf(dumpAfter), endpointsOf(dumpBefore)];
      const serverSide: number[] = [];
      const loadBefore = await fleet.usage();
      const run = await measureEndpointChanges(
        fleet,
        cluster,
        changes,
        CHANGE_TIMEOUT_MS,
        async (i) => {
          const pushed = await floor.push(states[i % 2] ?? [], CHANGE_TIMEOUT_MS);
          if (i >= WARM_UP_CHANGES) serverSide.push(pushed.allAckedAt - pushed.startedAt);
        },
        WARM_UP_CHANGES,
      );
      const loadCpu = (await fleet.usage()).cpuSeconds - loadBefore.cpuSeconds;
      const floorAll = summary(run.allAcked);
      say(`floor p50 ${floorAll.p50.toFixed(1)} ms, p99 ${floorAll.p99.toFixed(1)} ms`);
      const trellisP50 = metrics.find((m) => m.name === 'endpoint change → all streams ACKed, p50')?.value ?? Number.NaN;
      const trellisP99 = metrics.find((m) => m.name === 'endpoint change → all streams ACKed, p99')?.value ?? Number.NaN;
      metrics.push(
        info('floor: push → all streams ACKed, p50', floorAll.p50, 'ms'),
        info('floor: push → all streams ACKed, p99', floorAll.p99, 'ms'),
        info('floor: push → all ACKs seen by server, p50', summary(serverSide).p50, 'ms'),
        info(`floor: the ${WARM_UP_CHANGES} warm-up pushes before them, max`, run.warmUpMax, 'ms'),
        info('floor: load generator CPU per push', loadCpu / (changes + WARM_UP_CHANGES), 's'),
        info('Trellis / floor, p50', trellisP50 / floorAll.p50, 'x'),
        info('Trellis / floor, p99', trellisP99 / floorAll.p99, 'x'),
      );
      if (run.missing > 0) notes.push(`${mode} floor: ${run.missing} stream-pushes never ACKed`);
      await fleet.disconnect();
    } finally {
      await floor.close();
    }
    notes.push(`${changes} changes measured after ${WARM_UP_CHANGES} unmeasured ones (change-runs.ts), on Trellis and on the floor alike`);
    return { name: 'endpoint-convergence', sizes: { services, endpointsPerService: ENDPOINTS_PER_SERVICE, streams, changes, mode, processes: fleet.size }, metrics, notes };
  } finally {
    await fleet.close();
  }
}

export const endpointConvergence: Scenario = {
  name: 'endpoint-convergence',
  description: 'one endpoint change until every ADS stream ACKed it, against a floor server',
  async run(options) {
    const services = options.services ?? 1000;
    const streams = options.streams ?? (options.quick ? 100 : 200);
    // 100: a p99 of 20 samples would be their maximum.
    const changes = options.changes ?? (options.quick ? 10 : 100);
    const modes = options.modes ?? ['sotw', 'delta'];
    const results: ScenarioResult[] = [];
    for (const mode of modes) results.push(await runMode(mode, services, streams, changes, options));
    return results;
  },
};
