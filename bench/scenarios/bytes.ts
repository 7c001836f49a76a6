/**
 * Scenario 8: bytes per change, state of the world vs delta. N services (E = 3), no scoping (a
 * sidecar sees the whole mesh, the case where SotW resends most). One SotW and one delta stream of
 * the same sidecar identity, each in its own load generator process, both on one Trellis. For each
 * change (an endpoint's weight, an added service, a route edit, a deleted service) both streams'
 * bytes are counted from just before the change until nothing more has arrived for a quiet period.
 * Bytes are reported by type (CDS, EDS, LDS, SRDS scopes, RDS). Measuring starts once the initial
 * config stopped arriving: a sidecar's scopes and route configurations come after its listeners,
 * so "holds its listeners' references" alone would let them spill into the first change.
 */
import { startLoadFleet, type LoadFleet } from '../lib/load-fleet.ts';
import type { StreamBytes } from '../lib/load-protocol.ts';
import { generateInstances, namespaceOf, serviceName } from '../lib/mesh-generator.ts';
import { atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { applyConfig, scopedNodes } from '../lib/scoped-mesh.ts';
import { startBenchTrellis, type BenchTrellis } from '../lib/trellis-instance.ts';

const ENDPOINTS_PER_SERVICE = 3;
const NAMESPACES = 10;
const CONNECT_TIMEOUT_MS = 120_000;
const QUIET_MS = 400;
const POLL_MS = 100;
const MAX_WAIT_MS = 10_000;

/** Sum over streams of what arrived since the mark. */
function total(streams: readonly StreamBytes[]): { bytes: number; responses: number; byType: Record<string, number> } {
  const byType: Record<string, number> = {};
  let bytes = 0;
  let responses = 0;
  for (const s of streams) {
    bytes += s.bytes;
    responses += s.responses;
    for (const [t, b] of Object.entries(s.byType)) byType[t] = (byType[t] ?? 0) + b;
  }
  return { bytes, responses, byType };
}

/**
 * Polls `read` until at least one response arrived and the count stayed the same for `quietMs`
 * (or `maxMs` passed); resolves with the last reading.
 */
export async function untilQuiet<T extends { responses: number }>(read: () => Promise<T>, quietMs: number, pollMs: number, maxMs: number): Promise<T> {
  const started = performance.now();
  let last = await read();
  let stableSince = performance.now();
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const now = await read();
    if (now.responses !== last.responses) stableSince = performance.now();
    last = now;
    if (last.responses > 0 && performance.now() - stableSince >= quietMs) break;
  }
  return last;
}

const short = (typeUrl: string): string => typeUrl.slice(typeUrl.lastIndexOf('.') + 1);

/** Resolves once no stream of `fleets` got a response for `quietMs` (or `maxMs` passed). */
async function settle(fleets: { sotw: LoadFleet; delta: LoadFleet }, quietMs: number, pollMs: number, maxMs: number): Promise<void> {
  await Promise.all([fleets.sotw.markBytes(), fleets.delta.markBytes()]);
  const count = async (): Promise<number> => {
    const [a, b] = await Promise.all([fleets.sotw.bytes(), fleets.delta.bytes()]);
    return total(a ?? []).responses + total(b ?? []).responses;
  };
  const started = performance.now();
  let last = await count();
  let stableSince = performance.now();
  while (performance.now() - started < maxMs && performance.now() - stableSince < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const now = await count();
    if (now !== last) stableSince = performance.now();
    last = now;
  }
}

async function measureChange(fleets: { sotw: LoadFleet; delta: LoadFleet }, change: () => Promise<void>): Promise<{ sotw: ReturnType<typeof total>; delta: ReturnType<typeof total> }> {
  await Promise.all([fleets.sotw.markBytes(), fleets.delta.markBytes()]);
  await change();
  const [sotw, delta] = await Promise.all(
    [fleets.sotw, fleets.delta].map((fleet) => untilQuiet(async () => total(await fleet.bytes()), QUIET_MS, POLL_MS, MAX_WAIT_MS)),
  );
  return { sotw: sotw ?? total([]), delta: delta ?? total([]) };
}

async function expectStatus(trellis: BenchTrellis, method: string, path: string, status: number, body?: unknown): Promise<void> {
  const reply = await trellis.request(method, path, body);
  if (reply.status !== status) throw new Error(`${method} ${path}: HTTP ${reply.status}, expected ${status}`);
}

async function runBytes(services: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const say = (line: string): void => options.progress(`[bytes ${services}] ${line}`);
  const instances = generateInstances({ services, endpointsPerService: ENDPOINTS_PER_SERVICE, namespaces: NAMESPACES });
  const [node] = scopedNodes(1, { services, namespaces: NAMESPACES, fanOut: services });
  if (!node) throw new Error('no node');
  const target = instances.find((i) => i['service'] === serviceName(Math.floor(services / 2)));
  if (!target) throw new Error('no target instance');
  const routed = { name: String(target['service']), namespace: String(target['namespace']) };
  const added = { service: 'svc-added', namespace: namespaceOf(0, NAMESPACES), address: '10.250.0.1', port: 8080, protocol: 'http', weight: 1 };
  const notes: string[] = ['one SotW and one delta stream of the same sidecar, no dependency scoping: the sidecar sees every service'];
  const metrics: Metric[] = [];
  const fleets = {
    sotw: startLoadFleet({ processes: 1, core: options.loadCore }),
    delta: startLoadFleet({ processes: 1, core: options.loadCore }),
  };
  try {
    const trellis = await startBenchTrellis();
    try {
      await trellis.load(instances);
      await Promise.all([
        fleets.sotw.connectMixed(trellis.xdsAddress, 'sotw', [node], { record: true }, CONNECT_TIMEOUT_MS),
        fleets.delta.connectMixed(trellis.xdsAddress, 'delta', [node], { record: true }, CONNECT_TIMEOUT_MS),
      ]);
      await settle(fleets, QUIET_MS, POLL_MS, MAX_WAIT_MS);
      const changes: [string, () => Promise<void>][] = [
        ['endpoint change', () => trellis.register({ ...target, weight: 50 })],
        ['add service', () => trellis.register(added)],
        [
          'route edit',
          () =>
            applyConfig(trellis, [
              {
                name: 'bench-route-edit.yaml',
                text: `apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfig\nmetadata: {name: ${routed.name}, namespace: ${routed.namespace}}\nspec: {timeout: 7s}\n`,
              },
            ]),
        ],
        ['delete service', () => expectStatus(trellis, 'DELETE', `/api/v1/services/${added.namespace}/${added.service}`, 204)],
      ];
      for (const [label, change] of changes) {
        const { sotw, delta } = await measureChange(fleets, change);
        const ratio = delta.bytes / sotw.bytes;
        const types = (t: ReturnType<typeof total>): string => Object.entries(t.byType).map(([k, v]) => `${short(k)} ${v}`).join(', ');
        say(`${label}: SotW ${sotw.bytes} B (${types(sotw)}), delta ${delta.bytes} B (${types(delta)})`);
        metrics.push(
          info(`${label}: SotW bytes`, sotw.bytes, 'B'),
          info(`${label}: delta bytes`, delta.bytes, 'B'),
          label === 'add service' ? atMost(`${label}: delta / SotW`, ratio * 100, '%', 1) : info(`${label}: delta / SotW`, ratio * 100, '%'),
        );
        notes.push(`${label}: SotW ${types(sotw)}; delta ${types(delta)} (bytes by type)`);
      }
      await Promise.all([fleets.sotw.disconnect(), fleets.delta.disconnect()]);
    } finally {
      await trellis.close();
    }
    return { name: 'bytes', sizes: { services, endpointsPerService: ENDPOINTS_PER_SERVICE, streams: 2 }, metrics, notes };
  } finally {
    await Promise.all([fleets.sotw.close(), fleets.delta.close()]);
  }
}

export const bytes: Scenario = {
  name: 'bytes',
  description: 'bytes per change (endpoint, add service, route edit, delete service), SotW vs delta',
  async run(options) {
    return [await runBytes(options.services ?? 1000, options)];
  },
};
