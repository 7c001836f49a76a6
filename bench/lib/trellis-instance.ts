/**
 * Trellis started in the bench process (so `process.cpuUsage()` and RSS are the server's), with
 * a temporary data folder and ephemeral ports, plus the HTTP calls the scenarios make.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, startTrellis } from '../../src/main.ts';

/** A running in-process Trellis. */
export interface BenchTrellis {
  readonly xdsAddress: string;
  readonly apiUrl: string;
  /** POST /api/v1/instances (upsert); rejects unless 201. */
  register(instance: Readonly<Record<string, unknown>>): Promise<void>;
  /** Registers all instances, `concurrency` requests in flight; resolves with the elapsed ms. */
  load(instances: readonly Readonly<Record<string, unknown>>[], concurrency?: number): Promise<number>;
  /** An admin-authorized API call (`path` from /api/v1/...); the status and the parsed JSON body (undefined if none). */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** GET /api/v1/status (proxies, views, pipeline stats). */
  status(): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts Trellis on 127.0.0.1 with ports 0 in a fresh temp folder (removed by close). */
export async function startBenchTrellis(): Promise<BenchTrellis> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trellis-bench-'));
  // TRELLIS_GRPC_SERVER=grpc-js measures grpc-js's server instead (as `trellis serve` reads it).
  const grpcServer = process.env['TRELLIS_GRPC_SERVER'] === 'grpc-js' ? { grpcServer: 'grpc-js' as const } : {};
  const running = await startTrellis({ ...DEFAULT_OPTIONS, dataDir, xdsPort: 0, apiPort: 0, examples: [], ...grpcServer });
  const token = running.newAdminToken;
  if (token === undefined) throw new Error('a fresh data folder must yield a new admin token');

  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${running.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });

  const register = async (instance: Readonly<Record<string, unknown>>): Promise<void> => {
    const response = await call('POST', '/api/v1/instances', instance);
    if (response.status !== 201) throw new Error(`register ${JSON.stringify(instance['service'])}: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };

  return {
    xdsAddress: running.xdsAddress,
    apiUrl: running.apiUrl,
    register,
    async load(instances, concurrency = 16) {
      const started = performance.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < instances.length) {
          const instance = instances[next];
          next += 1;
          if (instance) await register(instance);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return performance.now() - started;
    },
    async request(method, path, body) {
      const response = await call(method, path, body);
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    async status() {
      const response = await call('GET', '/api/v1/status');
      return response.json();
    },
    async close() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
