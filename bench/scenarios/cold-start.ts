/**
 * Cold start (issue 5, scenario 1): a child process `trellis serve` over a data folder that already
 * holds N services (3 endpoints each, written through the store, then one unmeasured start so the
 * CA and admin token exist), measured from spawn to: the listening line (xDS and API listening),
 * the first full snapshot held by one sidecar that sees every service (an ADS client connected
 * right after the listening line, waiting for every cluster and its endpoints), and idle RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putInstance, putService } from '../../src/registry/persistence.ts';
import { openLevelStore } from '../../src/store/level-store.ts';
import { connect } from '../../src/xds/client/ads-client.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { generateRegistrySnapshot, namespaceOf, serviceName } from '../lib/mesh-generator.ts';
import { atMost, info, type ScenarioResult } from '../lib/report.ts';
import type { Scenario } from '../lib/scenario.ts';
import { median } from '../lib/stats.ts';
import { sidecarNode } from './translation.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis.mjs', import.meta.url));
const LISTEN_TARGET_MS: Readonly<Record<number, number>> = { 10000: 300 };
const SNAPSHOT_TARGET_MS: Readonly<Record<number, number>> = { 10000: 1500 };

/** Writes the seeded mesh into a LevelDB store in `dataDir`, in batches. */
async function populate(dataDir: string, services: number): Promise<void> {
  const registry = generateRegistrySnapshot({ services, endpointsPerService: 3 });
  const store = await openLevelStore(join(dataDir, 'db'));
  try {
    let batch = [];
    for (const [key, record] of registry.services) {
      batch.push(putService(record));
      for (const instance of registry.instances.get(key) ?? []) batch.push(putInstance(instance));
      if (batch.length >= 2000) {
        await store.batch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await store.batch(batch);
  } finally {
    await store.close();
  }
}

interface Started {
  readonly child: ChildProcess;
  readonly xdsAddress: string;
  readonly listeningMs: number;
  readonly spawnedAt: number;
}

/** Spawns `trellis serve` and resolves at its listening line. */
function startServe(dataDir: string): Promise<Started> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--xds', '127.0.0.1:0', '--api', '127.0.0.1:0', '--data', dataDir], {
    env: { ...process.env, TRELLIS_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`trellis serve did not listen within 60 s: ${err.slice(-500)}`)), 60_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /xDS (\S+), API/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, xdsAddress: match[1], listeningMs: performance.now() - spawnedAt, spawnedAt });
      }
    });
    child.on('exit', (code) => fail(new Error(`trellis serve exited (${String(code)}): ${err.slice(-500)}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] ? Number(match[1]) * 1024 : 0;
}

interface Run {
  readonly listeningMs: number;
  readonly snapshotMs: number;
  readonly rss: number;
}

/** One measured start: listening, first full snapshot for an all-seeing sidecar, idle RSS. */
async function measuredStart(dataDir: string, services: number): Promise<Run> {
  const started = await startServe(dataDir);
  const client = connect(started.xdsAddress, sidecarNode(serviceName(0), namespaceOf(0, 10)), 'sotw', { recordResponses: false, deadlineMs: 60_000 });
  try {
    await client.waitFor(
      (c) => c.resources(TypeUrl.Cluster).size >= services && c.resources(TypeUrl.ClusterLoadAssignment).size >= services && c.resources(TypeUrl.Listener).size > 0,
      60_000,
      2,
    );
    const snapshotMs = performance.now() - started.spawnedAt;
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { listeningMs: started.listeningMs, snapshotMs, rss: started.child.pid === undefined ? 0 : rssBytes(started.child.pid) };
  } finally {
    client.close();
    await stop(started.child);
  }
}

/** The scenario at each size: `runs` measured starts (median), after one unmeasured start. */
export async function runColdStart(sizes: readonly number[], runs: number, progress: (line: string) => void): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const services of sizes) {
    const dataDir = await mkdtemp(join(tmpdir(), 'trellis-cold-'));
    try {
      const populateStarted = performance.now();
      await populate(dataDir, services);
      progress(`[cold-start] ${services} services written in ${Math.round(performance.now() - populateStarted)} ms`);
      await stop((await startServe(dataDir)).child);
      const measured: Run[] = [];
      for (let i = 0; i < runs; i += 1) measured.push(await measuredStart(dataDir, services));
      const listening = median(measured.map((r) => r.listeningMs));
      const snapshot = median(measured.map((r) => r.snapshotMs));
      const listenLimit = LISTEN_TARGET_MS[services];
      const snapshotLimit = SNAPSHOT_TARGET_MS[services];
      results.push({
        name: 'cold-start',
        sizes: { services, endpointsPerService: 3, runs },
        metrics: [
          listenLimit === undefined ? info('process start → listening (median)', listening, 'ms') : atMost('process start → listening (median)', listening, 'ms', listenLimit),
          snapshotLimit === undefined
            ? info('process start → first full snapshot held by one sidecar (median)', snapshot, 'ms')
            : atMost('process start → first full snapshot held by one sidecar (median)', snapshot, 'ms', snapshotLimit),
          info('idle RSS after the first snapshot (median)', median(measured.map((r) => r.rss)) / 1048576, 'MiB'),
        ],
        notes: ['process start includes Node and tsx start-up (bin/trellis.mjs transpiles the TypeScript sources at run time)'],
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return results;
}

export const coldStart: Scenario = {
  name: 'cold-start',
  description: 'child `trellis serve` over a data folder with N services: start → listening, → first full snapshot, idle RSS',
  async run(options) {
    const sizes = options.services !== undefined ? [options.services] : options.quick ? [1000] : [1000, 5000, 10000];
    return runColdStart(sizes, options.quick ? 1 : 3, options.progress);
  },
};
