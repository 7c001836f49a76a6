/**
 * Memory per connected proxy at rest (issue 5, scenario 5): (RSS(P) − RSS(0)) / P for N = 1,000
 * services (E = 3), k = 50 dependencies per sidecar. Trellis runs in this process; both readings
 * are taken after a forced full GC and a settle, with the mesh loaded and no stream (RSS(0)),
 * then with P streams that hold and ACKed their initial config (RSS(P)). heapUsed and
 * external+arrayBuffers are reported beside RSS, so the share of JS objects and of buffers shows.
 * Two spreads: one sidecar per service (each proxy brings its own view and snapshot), and ten
 * sidecars per service over a tenth of the services (the view is shared: per-stream cost only).
 */
import { startLoadFleet } from '../lib/load-fleet.ts';
import { atMost, info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { ackedProxies, loadScopedMesh, settledMemory, stormNodes } from '../lib/storm-setup.ts';
import { startBenchTrellis } from '../lib/trellis-instance.ts';
import { processesFor, STREAMS_PER_CONNECTION } from './connect-storm.ts';

const SERVICES = 1000;
const FAN_OUT = 50;
const CONNECT_TIMEOUT_MS = 180_000;
const KiB = 1024;

async function runMemory(streams: number, perService: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const services = options.services ?? SERVICES;
  const say = (line: string): void => options.progress(`[memory P=${streams} ${perService}/service] ${line}`);
  const serviceSlots = Math.max(1, Math.min(services, Math.ceil(streams / perService)));
  // stormNodes puts sidecar i on service i mod slots: `perService` sidecars on each of the first slots.
  const nodes = stormNodes(streams, serviceSlots);
  const fleet = startLoadFleet({ processes: options.processes ?? processesFor(streams), core: options.loadCore });
  const metrics: Metric[] = [];
  const notes: string[] = [];
  try {
    const trellis = await startBenchTrellis();
    try {
      await loadScopedMesh(trellis, services, FAN_OUT);
      const idle = await settledMemory();
      await fleet.connectWith(trellis.xdsAddress, 'sotw', nodes, CONNECT_TIMEOUT_MS, { streamsPerConnection: STREAMS_PER_CONNECTION });
      const status = ackedProxies(await trellis.status());
      if (status.acked !== streams) notes.push(`server status: ${status.acked}/${status.proxies} proxies fully ACKed`);
      const held = await settledMemory();
      const per = (bytes: number): number => bytes / streams / KiB;
      say(`RSS ${Math.round(idle.rss / 2 ** 20)} → ${Math.round(held.rss / 2 ** 20)} MiB: ${per(held.rss - idle.rss).toFixed(1)} KiB per proxy (${status.views} views)`);
      metrics.push(
        atMost('RSS per connected proxy, (RSS(P) − RSS(0)) / P', per(held.rss - idle.rss), 'KiB', 150),
        info('JS heap per connected proxy', per(held.heapUsed - idle.heapUsed), 'KiB'),
        info('external + array buffers per connected proxy', per(held.external - idle.external), 'KiB'),
        info('RSS(0), mesh loaded, no stream', idle.rss / 2 ** 20, 'MiB'),
        info('RSS(P)', held.rss / 2 ** 20, 'MiB'),
        info('views (snapshots) on the server', status.views, 'count'),
      );
      // RSS does not shrink when the heap does: after bigger scenarios in the same run, new
      // objects reuse pages the process already holds, and RSS(P) − RSS(0) understates the cost.
      const heapAndExternal = held.heapUsed - idle.heapUsed + (held.external - idle.external);
      if (held.rss - idle.rss < heapAndExternal) {
        notes.push(
          `RSS grew less than heap + external (${per(heapAndExternal).toFixed(1)} KiB per proxy): pages freed by earlier scenarios were reused; ` +
            'that sum is the cost per proxy here, and `npm run bench -- memory` alone gives a clean RSS figure',
        );
      }
      await fleet.disconnect();
    } finally {
      await trellis.close();
    }
    return {
      name: 'memory',
      sizes: { services, endpointsPerService: 3, dependencies: FAN_OUT, streams, sidecarsPerService: perService, mode: 'sotw', streamsPerConnection: STREAMS_PER_CONNECTION },
      metrics,
      notes: [...notes, 'RSS and heap read after a forced full GC (v8 --expose-gc set at run time) and a 300 ms settle'],
    };
  } finally {
    await fleet.close();
  }
}

export const memory: Scenario = {
  name: 'memory',
  description: 'RSS per connected proxy at rest, N = 1k, k = 50: (RSS(P) − RSS(0)) / P',
  async run(options) {
    const streams = options.streams ?? 1000;
    const results = [await runMemory(streams, 1, options)];
    if (!options.quick) results.push(await runMemory(streams, 10, options));
    return results;
  },
};
