/**
 * Scenario 9: slow and NACKing clients. N services, every sidecar depending on the same k = 50
 * services (one mesh-wide PlatformPolicy), so every endpoint change reaches every stream. Three
 * phases on one Trellis, same P and the same K changes each: all streams healthy (the baseline);
 * 1 % of streams slow (2 s before applying and ACKing each response); 1 % always NACKing (they
 * accept CDS/LDS, then NACK every EDS/RDS response). Each change is measured until every healthy
 * stream ACKed it; changes follow each other at once, so slow streams fall ever further behind.
 * Target: the healthy streams' p99 within 10 % of the baseline's.
 */
import { WARM_UP_CHANGES, weightForChange } from '../lib/change-runs.ts';
import { startLoadFleet, type LoadFleet } from '../lib/load-fleet.ts';
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import type { StreamBehaviour } from '../lib/load-protocol.ts';
import { SLOW_APPLY_DELAY_MS } from '../lib/load-tracking.ts';
import { generateInstances, namespaceOf, serviceName } from '../lib/mesh-generator.ts';
import { atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { applyConfig, clusterOf, scopedNodes } from '../lib/scoped-mesh.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { startBenchTrellis, type BenchTrellis } from '../lib/trellis-instance.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

const ENDPOINTS_PER_SERVICE = 3;
const NAMESPACES = 10;
const FAN_OUT = 50;
const BAD_SHARE = 0.01;
const CONNECT_TIMEOUT_MS = 180_000;
const CHANGE_TIMEOUT_MS = 30_000;
/** Unmeasured changes at the start of each phase (change-runs.ts says why so many). */
const WARM_UP = WARM_UP_CHANGES;

/** Behaviours for `streams` streams: every (1/share)-th stream is `bad`, starting at the middle of the first stride. */
export function mixedBehaviours(streams: number, share: number, bad: StreamBehaviour): StreamBehaviour[] {
  const stride = Math.max(1, Math.round(1 / share));
  return Array.from({ length: streams }, (_, i) => (i % stride === Math.floor(stride / 2) ? bad : 'healthy'));
}

/** A PlatformPolicy giving every service of the mesh the first `count` services as dependencies. */
function meshScope(services: number, count: number): { name: string; text: string } {
  const deps = Array.from({ length: Math.min(count, services) }, (_, i) => `${serviceName(i)}.${namespaceOf(i, NAMESPACES)}`);
  const text = ['apiVersion: trellis.dev/v1alpha1', 'kind: PlatformPolicy', 'metadata: {name: bench-slow-scope}', 'spec:', "  scope: {namespaces: ['*']}", `  defaults: {dependencies: [${deps.join(', ')}]}`, ''].join('\n');
  return { name: 'bench-slow-scope.yaml', text };
}

interface Phase {
  /** Per change: ms until the last healthy stream ACKed. */
  readonly allHealthy: number[];
  /** Per healthy stream per change: ms until it ACKed. */
  readonly perStream: number[];
  readonly missing: number;
  readonly serverCpu: number;
}

async function runPhase(firstInstances: ReadonlyMap<string, Record<string, unknown>>, fleet: LoadFleet, trellis: BenchTrellis, nodes: readonly ClientNode[], behaviours: readonly StreamBehaviour[], mode: 'sotw' | 'delta', changes: number, weightOffset: number): Promise<Phase> {
  const targets = Array.from({ length: FAN_OUT }, (_, i) => i);
  await fleet.connectMixed(trellis.xdsAddress, mode, nodes, { behaviours, slowDelayMs: SLOW_APPLY_DELAY_MS }, CONNECT_TIMEOUT_MS);
  const allHealthy: number[] = [];
  const perStream: number[] = [];
  let missing = 0;
  let cpuBefore = process.cpuUsage();
  for (let i = 0; i < changes + WARM_UP; i += 1) {
    const index = targets[i % targets.length] ?? 0;
    const base = firstInstances.get(serviceName(index)) ?? {};
    await fleet.armResource(i, { typeUrl: TypeUrl.ClusterLoadAssignment, name: clusterOf(index, NAMESPACES), expect: 'changed', healthyOnly: true, timeoutMs: CHANGE_TIMEOUT_MS });
    const startedAt = epochMs();
    await trellis.register({ ...base, weight: weightForChange(i, weightOffset) });
    const result = await fleet.collect(i);
    // The first changes of a phase warm up (JIT, buffers) and are not counted.
    if (i < WARM_UP) {
      if (i === WARM_UP - 1) cpuBefore = process.cpuUsage();
      continue;
    }
    missing += result.missing;
    const latencies = result.ackedAt.map((at) => at - startedAt);
    perStream.push(...latencies);
    allHealthy.push(Math.max(0, ...latencies));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const serverCpu = cpuSeconds(cpuBefore, process.cpuUsage());
  await fleet.disconnect();
  return { allHealthy, perStream, missing, serverCpu };
}

async function runSlowClients(mode: 'sotw' | 'delta', services: number, streams: number, changes: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const say = (line: string): void => options.progress(`[slow-clients ${mode} ${services}x${streams}] ${line}`);
  const instances = generateInstances({ services, endpointsPerService: ENDPOINTS_PER_SERVICE, namespaces: NAMESPACES });
  const nodes = scopedNodes(streams, { services, namespaces: NAMESPACES, fanOut: FAN_OUT });
  const firstInstances = new Map<string, Record<string, unknown>>();
  for (const instance of instances) if (!firstInstances.has(String(instance['service']))) firstInstances.set(String(instance['service']), instance);
  const bad = Math.max(1, Math.round(streams * BAD_SHARE));
  const notes: string[] = [
    `${bad} of ${streams} streams slow (${SLOW_APPLY_DELAY_MS} ms before applying each response) or NACKing (every EDS/RDS response); every sidecar depends on the same ${FAN_OUT} services`,
    'changes follow each other as soon as every healthy stream ACKed the previous one; phases run one after another on one Trellis',
  ];
  const metrics: Metric[] = [];
  const fleet = startLoadFleet({ processes: options.processes ?? 2, core: options.loadCore });
  try {
    const trellis = await startBenchTrellis();
    try {
      await trellis.load(instances);
      await applyConfig(trellis, [meshScope(services, FAN_OUT)]);
      const phases: [string, StreamBehaviour][] = [
        ['baseline', 'healthy'],
        ['slow', 'slow'],
        ['nacking', 'nack'],
      ];
      const results = new Map<string, Phase>();
      for (const [p, [label, behaviour]] of phases.entries()) {
        const phase = await runPhase(firstInstances, fleet, trellis, nodes, mixedBehaviours(streams, BAD_SHARE, behaviour), mode, changes, p * (changes + WARM_UP + 1));
        results.set(label, phase);
        const all = summary(phase.allHealthy);
        say(`${label}: healthy p50 ${all.p50.toFixed(1)} ms, p99 ${all.p99.toFixed(1)} ms, missing ${phase.missing}`);
        metrics.push(
          info(`${label}: change → all healthy streams ACKed, p50`, all.p50, 'ms'),
          info(`${label}: change → all healthy streams ACKed, p99`, all.p99, 'ms'),
          info(`${label}: change → one healthy stream ACKed, p99`, summary(phase.perStream).p99, 'ms'),
          info(`${label}: server CPU per change`, phase.serverCpu / changes, 's'),
        );
        if (phase.missing > 0) notes.push(`${label}: ${phase.missing} healthy stream-changes never ACKed within ${CHANGE_TIMEOUT_MS} ms`);
      }
      const baseline = summary(results.get('baseline')?.allHealthy ?? []).p99;
      for (const label of ['slow', 'nacking']) {
        const p99 = summary(results.get(label)?.allHealthy ?? []).p99;
        metrics.push(atMost(`${label}: healthy p99 / baseline p99`, p99 / baseline, 'x', 1.1));
      }
      metrics.push(info('server RSS after the phases', process.memoryUsage().rss / 2 ** 20, 'MiB'));
    } finally {
      await trellis.close();
    }
    return { name: 'slow-clients', sizes: { services, endpointsPerService: ENDPOINTS_PER_SERVICE, fanOut: FAN_OUT, streams, badStreams: bad, changes, mode, processes: fleet.size }, metrics, notes };
  } finally {
    await fleet.close();
  }
}

export const slowClients: Scenario = {
  name: 'slow-clients',
  description: '1 % of streams slow (2 s apply delay) or always NACKing: the healthy streams\' p99 against a baseline',
  async run(options) {
    const services = options.services ?? 1000;
    const streams = options.streams ?? (options.quick ? 200 : 1000);
    // 100: a p99 of 30 samples is their maximum, and one slow change moved the ratio by half.
    const changes = options.changes ?? (options.quick ? 10 : 100);
    const modes = options.modes ?? ['sotw'];
    const results: ScenarioResult[] = [];
    for (const mode of modes) results.push(await runSlowClients(mode, services, streams, changes, options));
    return results;
  },
};
