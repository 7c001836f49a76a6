/**
 * Cold start (issue 5, scenario 1): a child process `trellis serve` over a data folder that already
 * holds N services (3 endpoints each, written through the store, then one unmeasured start so the
 * CA and admin token exist), measured from spawn to: the listening line (xDS and API accept
 * connections, before any state is loaded), the ready line (state loaded, mesh model built, and the
 * snapshots of streams that connected meanwhile built), the
 * first full snapshot held by one sidecar that sees every service (an ADS client connected right
 * after the listening line, waiting for every cluster and its endpoints), and idle RSS.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putInstance, putService } from '../../src/registry/persistence.ts';
import { openLevelStore } from '../../src/store/level-store.ts';
import { connect } from '../../src/xds/client/ads-client.ts';
import { openH2AdsStream } from '../../src/xds/client/h2-stream.ts';
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
  /** Resolves with spawn → ready line (ms); rejects if the process exits first. */
  readonly ready: Promise<number>;
}

/**
 * Pins this process (the sidecar client) to `core` and returns the CPU mask for the server child
 * (every core: V8's GC helpers and LevelDB's reads run beside its main thread) and a function
 * restoring this process's affinity; undefined when not pinning. Without this the child inherits
 * the runner's single server core and shares it with the client, costing about a second at 10k.
 */
function pinClient(core: number | undefined): { serverMask: string; restore(): void } | undefined {
  if (core === undefined) return undefined;
  try {
    const mask = /affinity mask: ([0-9a-f]+)/.exec(execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }))?.[1];
    if (mask === undefined) return undefined;
    execFileSync('taskset', ['-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
    const allCores = (2 ** cpus().length - 1).toString(16);
    return { serverMask: allCores, restore: () => execFileSync('taskset', ['-p', mask, String(process.pid)], { stdio: 'ignore' }) };
  } catch {
    return undefined;
  }
}

/** Spawns `trellis serve` (through taskset with `serverMask`, when given) and resolves at its listening line. */
function startServe(dataDir: string, serverMask?: string): Promise<Started> {
  const spawnedAt = performance.now();
  // BENCH_SERVE_CPU_PROF=<dir>: the server writes a .cpuprofile there when it exits.
  const profileDir = process.env['BENCH_SERVE_CPU_PROF'];
  const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), BIN, 'serve', '--xds', '127.0.0.1:0', '--api', '127.0.0.1:0', '--data', dataDir];
  const child = spawn(serverMask ? 'taskset' : process.execPath, serverMask ? [serverMask, process.execPath, ...args] : args, {
    env: { ...process.env, TRELLIS_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let readyResolve: (ms: number) => void = () => undefined;
  let readyReject: (error: Error) => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => undefined);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let listening = false;
    const timer = setTimeout(() => fail(new Error(`trellis serve did not listen within 60 s: ${err.slice(-500)}`)), 60_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening: xDS (\S+), API/.exec(out);
      if (match?.[1] && !listening) {
        listening = true;
        clearTimeout(timer);
        resolve({ child, xdsAddress: match[1], listeningMs: performance.now() - spawnedAt, spawnedAt, ready });
      }
      if (/Trellis ready: /.test(out)) readyResolve(performance.now() - spawnedAt);
    });
    child.on('exit', (code) => {
      const error = new Error(`trellis serve exited (${String(code)}): ${err.slice(-500)}`);
      readyReject(error);
      fail(error);
    });
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
  readonly readyMs: number;
  readonly snapshotMs: number;
  readonly rss: number;
}

/** One measured start: listening, first full snapshot for an all-seeing sidecar, idle RSS. */
async function measuredStart(dataDir: string, services: number, serverMask: string | undefined): Promise<Run> {
  const started = await startServe(dataDir, serverMask);
  const address = started.xdsAddress;
  // gRPC over plain HTTP/2, as the load generator's streams (bench/README.md: how it runs).
  const client = connect(address, sidecarNode(serviceName(0), namespaceOf(0, 10)), 'sotw', {
    recordResponses: false,
    openStream: (mode) => openH2AdsStream(address, mode, { deadlineMs: 60_000, retain: false }),
  });
  try {
    await client.waitFor(
      (c) => c.resources(TypeUrl.Cluster).size >= services && c.resources(TypeUrl.ClusterLoadAssignment).size >= services && c.resources(TypeUrl.Listener).size > 0,
      60_000,
      // Re-checked after every response (the predicate reads only the client): no timer.
      0,
    );
    const snapshotMs = performance.now() - started.spawnedAt;
    const readyMs = await started.ready;
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { listeningMs: started.listeningMs, readyMs, snapshotMs, rss: started.child.pid === undefined ? 0 : rssBytes(started.child.pid) };
  } finally {
    client.close();
    await stop(started.child);
  }
}

/** The scenario at each size: `runs` measured starts (median), after one unmeasured start. */
export async function runColdStart(sizes: readonly number[], runs: number, progress: (line: string) => void, clientCore?: number): Promise<ScenarioResult[]> {
  const pinned = pinClient(clientCore);
  try {
    return await runSizes(sizes, runs, progress, pinned?.serverMask);
  } finally {
    pinned?.restore();
  }
}

async function runSizes(sizes: readonly number[], runs: number, progress: (line: string) => void, serverMask: string | undefined): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const services of sizes) {
    const dataDir = await mkdtemp(join(tmpdir(), 'trellis-cold-'));
    try {
      const populateStarted = performance.now();
      await populate(dataDir, services);
      progress(`[cold-start] ${services} services written in ${Math.round(performance.now() - populateStarted)} ms`);
      // Unmeasured: creates the CA and admin token (and builds dist/cli if a source changed).
      const first = await startServe(dataDir, serverMask);
      await first.ready;
      await stop(first.child);
      const measured: Run[] = [];
      for (let i = 0; i < runs; i += 1) measured.push(await measuredStart(dataDir, services, serverMask));
      const listening = median(measured.map((r) => r.listeningMs));
      const snapshot = median(measured.map((r) => r.snapshotMs));
      const listenLimit = LISTEN_TARGET_MS[services];
      const snapshotLimit = SNAPSHOT_TARGET_MS[services];
      results.push({
        name: 'cold-start',
        sizes: { services, endpointsPerService: 3, runs },
        metrics: [
          listenLimit === undefined ? info('process start → listening (median)', listening, 'ms') : atMost('process start → listening (median)', listening, 'ms', listenLimit),
          info('process start → ready: state loaded, model built, waiting streams served (median)', median(measured.map((r) => r.readyMs)), 'ms'),
          snapshotLimit === undefined
            ? info('process start → first full snapshot held by one sidecar (median)', snapshot, 'ms')
            : atMost('process start → first full snapshot held by one sidecar (median)', snapshot, 'ms', snapshotLimit),
          info('idle RSS after the first snapshot (median)', median(measured.map((r) => r.rss)) / 1048576, 'MiB'),
        ],
        notes: [
          'process start includes Node start-up and the launcher\'s freshness check of its precompiled bundle (dist/cli)',
          'the ports listen before any state is loaded; a stream connected meanwhile gets its first full snapshot when ready',
          serverMask === undefined ? 'not pinned: server and sidecar client share the cores' : `server on every core (CPU mask ${serverMask}), the sidecar client (the bench process) pinned to the load core`,
        ],
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
    return runColdStart(sizes, options.quick ? 1 : 3, options.progress, options.loadCore);
  },
};
