/**
 * Trellis started in the bench process (so `process.cpuUsage()` and RSS are the server's), with
 * a temporary data folder and ephemeral ports, plus the HTTP calls the scenarios make.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
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

  const api = apiCaller(running.apiUrl, token);
  const call = api.call;

  const register = async (instance: Readonly<Record<string, unknown>>): Promise<void> => {
    const response = await call('POST', '/api/v1/instances', instance);
    if (response.status !== 201) throw new Error(`register ${JSON.stringify(instance['service'])}: HTTP ${response.status} ${response.text}`);
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
      return { status: response.status, body: response.text === '' ? undefined : (JSON.parse(response.text) as unknown) };
    },
    async status() {
      const response = await call('GET', '/api/v1/status');
      return JSON.parse(response.text) as unknown;
    },
    async close() {
      api.close();
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Admin-authorized calls to the API over kept-alive node:http connections. Not `fetch`: undici's
 * web-streams machinery cost about 0.7 ms of this process's CPU per call, and the events of the
 * churn scenario are calls, timed from before each one.
 */
function apiCaller(apiUrl: string, token: string): { call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>; close(): void } {
  const agent = new Agent({ keepAlive: true });
  const base = new URL(apiUrl);
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = httpRequest({ agent, host: base.hostname.replace(/^\[|\]$/g, ''), port: base.port, path: `${base.pathname.replace(/\/$/, '')}${path}`, method, headers, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  return { call, close: () => agent.destroy() };
}
