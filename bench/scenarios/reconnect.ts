/**
 * Reconnect storm (issue 5, scenario 10). N = 1,000 services, k = 50; P sidecar streams hold and
 * ACKed their initial config, then all drop and reconnect at once, announcing what they hold:
 * SotW with the last version_info per type, delta with initial_resource_versions. Nothing
 * changed meanwhile, so every resource resent is a resource the client already had. Measured:
 * bytes and resources received after the reconnect against those of the initial config, and the
 * time until the server shows every new stream with every type ACKed (polled from its status;
 * for delta also the time until every stream was answered on each type, seen by the client).
 */
import { join } from 'node:path';
import { startLoadFleet, type LoadFleet } from '../lib/load-fleet.ts';
import { profileSection } from '../lib/profiler.ts';
import { atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { loadScopedMesh, stormNodes } from '../lib/storm-setup.ts';
import { startBenchTrellis, type BenchTrellis } from '../lib/trellis-instance.ts';
import { processesFor, STREAMS_PER_CONNECTION } from './connect-storm.ts';

const SERVICES = 1000;
const FAN_OUT = 50;
const CONNECT_TIMEOUT_MS = 180_000;
const RECONNECT_TIMEOUT_MS = 120_000;
/** How long SotW streams (which may be sent nothing) are given for late responses. */
const SETTLE_MS = 1_000;

interface StatusProxy {
  readonly streamId?: number;
  readonly types?: Record<string, { versionSent?: string; versionAcked?: string; awaitingAck?: boolean }>;
}

/** Streams after `afterId` with every type ACKed at the version sent, and the highest stream id seen. */
function reconnectedProxies(status: unknown, afterId: number): { done: number; maxId: number } {
  const proxies = ((status as { proxies?: StatusProxy[] } | null)?.proxies ?? []) as StatusProxy[];
  let done = 0;
  let maxId = 0;
  for (const proxy of proxies) {
    const id = proxy.streamId ?? 0;
    maxId = Math.max(maxId, id);
    if (id <= afterId) continue;
    const types = Object.values(proxy.types ?? {});
    if (types.length >= 4 && types.every((t) => !t.awaitingAck && t.versionSent !== undefined && t.versionSent === t.versionAcked)) done += 1;
  }
  return { done, maxId };
}

/** Polls the server's status until `streams` new streams are fully ACKed; the epoch ms it saw it (0: timed out). */
async function serverConverged(trellis: BenchTrellis, streams: number, afterId: number, everyMs: number, deadline: number): Promise<number> {
  while (epochMs() < deadline) {
    if (reconnectedProxies(await trellis.status(), afterId).done >= streams) return epochMs();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return 0;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

async function runReconnect(mode: 'sotw' | 'delta', streams: number, options: ScenarioOptions, fleet: LoadFleet): Promise<ScenarioResult> {
  const services = options.services ?? SERVICES;
  const say = (line: string): void => options.progress(`[reconnect ${mode} P=${streams}] ${line}`);
  const nodes = stormNodes(streams, services);
  const metrics: Metric[] = [];
  const notes: string[] = [];
  // A status reply lists every stream (about 1 KB each): poll sparingly at large P, it costs the server.
  const pollMs = streams > 2000 ? 1000 : 100;
  const trellis = await startBenchTrellis();
  try {
    await loadScopedMesh(trellis, services, FAN_OUT);
    const connectStart = epochMs();
    const ready = await fleet.connectWith(trellis.xdsAddress, mode, nodes, CONNECT_TIMEOUT_MS, { streamsPerConnection: STREAMS_PER_CONNECTION, record: true });
    const connectMs = Math.max(...ready) - connectStart;
    const before = reconnectedProxies(await trellis.status(), 0);
    say(`${streams} streams ready in ${Math.round(connectMs)} ms`);

    const profile = options.profileDir === undefined ? undefined : await profileSection();
    const cpuStart = process.cpuUsage();
    const loadStart = await fleet.usage();
    const start = epochMs();
    const reconnecting = fleet.reconnect(RECONNECT_TIMEOUT_MS, SETTLE_MS);
    const serverAt = await serverConverged(trellis, streams, before.maxId, pollMs, start + RECONNECT_TIMEOUT_MS);
    const result = await reconnecting;
    const serverCpu = cpuSeconds(cpuStart, process.cpuUsage());
    if (profile && options.profileDir !== undefined) say(`profile: ${await profile.stop(join(options.profileDir, `reconnect-${mode}-${streams}.cpuprofile`))}`);
    const loadCpu = (await fleet.usage()).cpuSeconds - loadStart.cpuSeconds;
    if (serverAt === 0) notes.push(`the server did not show all ${streams} reconnected streams ACKed within ${RECONNECT_TIMEOUT_MS} ms`);
    const initialBytes = sum(result.bytesBefore);
    const resentBytes = sum(result.bytes);
    const resent = sum(result.resources);
    const share = initialBytes > 0 ? (100 * resentBytes) / initialBytes : Number.NaN;
    say(`resent ${resentBytes} of ${initialBytes} bytes (${share.toFixed(3)}%), ${resent} resources; server view converged in ${Math.round(serverAt - start)} ms`);
    metrics.push(
      info('connect → initial config ACKed, all streams', connectMs, 'ms'),
      info('initial config bytes, all streams', initialBytes, 'B'),
      info('bytes received after reconnect, all streams', resentBytes, 'B'),
      info('bytes after reconnect / initial bytes', share, '%'),
      info('bytes after reconnect, per stream', resentBytes / streams, 'B'),
      // Nothing changed while the streams were away: every resource sent again is a waste.
      atMost('resources resent (all unchanged), all streams', resent, 'count', 0),
      info('responses after reconnect, per stream', sum(result.responses) / streams, 'count'),
      info('reconnect → server shows every stream ACKed', serverAt === 0 ? Number.NaN : serverAt - start, 'ms'),
      info('server status poll interval (resolution of the figure above)', pollMs, 'ms'),
      info('server CPU during reconnect (incl. status polls)', serverCpu, 's'),
      info('load generator CPU during reconnect', loadCpu, 's'),
    );
    if (mode === 'delta') {
      const answered = result.reconnectedAt.filter((at) => at > 0);
      if (answered.length < streams) notes.push(`${streams - answered.length} delta streams were not answered on every type`);
      const times = summary(answered.map((at) => at - start));
      metrics.push(
        info('reconnect → every stream answered on every type (client), max', times.max, 'ms'),
        info('reconnect → every type answered, p50 stream (client)', times.p50, 'ms'),
      );
      notes.push('delta: each stream is answered once per type with no resources (Envoy finishes initialising a type on its first response)');
    } else {
      notes.push('SotW: a stream whose versions are current is sent nothing, so convergence is only visible in the server status');
    }
    await fleet.disconnect();
  } finally {
    await trellis.close();
  }
  return {
    name: 'reconnect',
    sizes: { services, endpointsPerService: 3, dependencies: FAN_OUT, streams, mode, processes: fleet.size, streamsPerConnection: STREAMS_PER_CONNECTION },
    metrics,
    notes,
  };
}

export const reconnect: Scenario = {
  name: 'reconnect',
  description: 'P streams drop and reconnect with what they hold: bytes resent for unchanged resources, time to re-converge',
  async run(options) {
    const streams = options.streams ?? (options.quick ? 1000 : 10_000);
    const fleet = startLoadFleet({ processes: options.processes ?? processesFor(streams), core: options.loadCore });
    try {
      const results: ScenarioResult[] = [];
      for (const mode of options.modes ?? (['sotw', 'delta'] as const)) results.push(await runReconnect(mode, streams, options, fleet));
      return results;
    } finally {
      await fleet.close();
    }
  },
};
