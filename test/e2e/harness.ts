/**
 * End-to-end harness: free ports, a real `trellis serve` process in a temp data folder, the CLI
 * as a child process, polling with timeouts, and the vitest hooks that end every process and print
 * every child's log when a test fails. Tests import everything from here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { killAllChildren, printChildLogs, spawnChild, type ChildHandle } from './child-process.ts';
import { REPO_ROOT } from './clients.ts';

export { grpcBootstrap, spawnEcho, spawnXdsClient, REPO_ROOT } from './clients.ts';
export type { CallOptions, CallResult, EchoServer, XdsClient } from './clients.ts';

/** The CLI entry point; TRELLIS_E2E_BIN may point the suite at another build of it. */
const TRELLIS_BIN = process.env['TRELLIS_E2E_BIN'] ?? join(REPO_ROOT, 'bin', 'trellis.mjs');
/** bin/trellis.mjs runs its own bundle (or tsx); a TypeScript stand-in needs the loader. */
const NODE_FLAGS = process.env['TRELLIS_E2E_BIN'] ? ['--import', 'tsx'] : [];
const tempDirs: string[] = [];

/** Registers the hooks every e2e file needs: logs on failure, processes and temp dirs cleaned up. */
export function useE2eHooks(): void {
  beforeEach((context) => {
    context.onTestFailed(() => printChildLogs());
  });
  afterAll(async () => {
    await killAllChildren();
    await Promise.allSettled(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
}

/**
 * beforeAll for e2e setup: prints every child's log when setup fails (vitest runs no
 * onTestFailed hook for a failed beforeAll), then rethrows.
 */
export function setupE2e(setup: () => Promise<void>, timeoutMs = 45_000): void {
  beforeAll(async () => {
    try {
      await setup();
    } catch (error) {
      printChildLogs();
      throw error;
    }
  }, timeoutMs);
}

/** A port that was free a moment ago on 127.0.0.1 (listen on 0, close, return it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.once('error', rejectPort);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : rejectPort(new Error('no port from listen(0)'))));
    });
  });
}

/** A fresh folder under the OS temp dir, removed in afterAll. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `trellis-e2e-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or fails with `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface TrellisProcess {
  readonly xdsAddress: string;
  readonly apiUrl: string;
  readonly token: string;
  readonly dataDir: string;
  readonly child: ChildHandle;
  /** Calls the HTTP API with the admin token; `path` starts with /api/v1. 5 s deadline. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** SIGTERM and wait for exit (the data folder stays, for restarts). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Reuse a data folder (restart); default: a new temp folder. */
  readonly dataDir?: string;
  readonly examples?: readonly string[];
  readonly xdsPort?: number;
  readonly apiPort?: number;
  /** `--proxy-grace`, e.g. '2s'. */
  readonly proxyGrace?: string;
}

/** Spawns `trellis serve` and resolves once server.json and admin.token are written. */
export async function startTrellis(options: StartOptions = {}): Promise<TrellisProcess> {
  const dataDir = options.dataDir ?? (await tempDir('data'));
  const xdsPort = options.xdsPort ?? (await freePort());
  const apiPort = options.apiPort ?? (await freePort());
  // A stale server.json from a previous run must not be mistaken for this one.
  await rm(join(dataDir, 'server.json'), { force: true });
  const args = [TRELLIS_BIN, 'serve', '--data', dataDir, '--xds', `127.0.0.1:${xdsPort}`, '--api', `127.0.0.1:${apiPort}`];
  args.push('--proxy-grace', options.proxyGrace ?? '2s');
  for (const example of options.examples ?? []) args.push('--example', example);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  const child = spawnChild('trellis serve', process.execPath, [...NODE_FLAGS, ...args], { cwd: REPO_ROOT, env });
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const server = await waitFor('trellis serve to write server.json', 30_000, async () => {
    if (exited) throw new Error(`trellis serve exited early:\n${child.log().slice(-3000)}`);
    const text = await readFile(join(dataDir, 'server.json'), 'utf8').catch(() => undefined);
    if (!text) return undefined;
    const parsed = JSON.parse(text) as { xds?: unknown; api?: unknown };
    return typeof parsed.xds === 'string' && typeof parsed.api === 'string' ? { xds: parsed.xds, api: parsed.api } : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- trellis log ---\n${child.log().slice(-3000)}`);
  });
  const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
  const apiUrl = server.api.replace(/\/+$/, '');
  return {
    xdsAddress: server.xds,
    apiUrl,
    token,
    dataDir,
    child,
    api: async (method, path, body) => {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(5000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: keep the text for the assertion message.
      }
      return { status: response.status, body: parsed };
    },
    stop: () => child.stop(10_000),
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `trellis <args>` to completion (30 s limit). */
export function runTrellisCli(args: readonly string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  return new Promise((resolveRun) => {
    execFile(process.execPath, [...NODE_FLAGS, TRELLIS_BIN, ...args], { cwd: REPO_ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** An instance registration body for the HTTP API (grpc protocol, locality r1/z1, no labels by default). */
export function instanceBody(fields: {
  service: string;
  namespace: string;
  port: number;
  id?: string;
  ttlSeconds?: number;
  zone?: string;
  weight?: number;
  labels?: Readonly<Record<string, string>>;
}): Record<string, unknown> {
  return {
    service: fields.service,
    namespace: fields.namespace,
    address: '127.0.0.1',
    port: fields.port,
    protocol: 'grpc',
    labels: { ...fields.labels },
    locality: { region: 'r1', zone: fields.zone ?? 'z1', subZone: '' },
    weight: fields.weight ?? 1,
    health: 'healthy',
    ...(fields.ttlSeconds !== undefined ? { ttlSeconds: fields.ttlSeconds } : {}),
    ...(fields.id !== undefined ? { id: fields.id } : {}),
  };
}

/** Registers an instance and fails with the API's answer when it is not 2xx. */
export async function registerInstance(trellis: TrellisProcess, body: Record<string, unknown>): Promise<unknown> {
  const answer = await trellis.api('POST', '/api/v1/instances', body);
  if (answer.status < 200 || answer.status > 299) throw new Error(`register failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** One connected proxy as `GET /api/v1/status` reports it (only the fields the tests read). */
export interface ProxyStatusView {
  readonly nodeId: string;
  readonly types: Readonly<Record<string, { versionSent?: string; nonceSent?: string; versionAcked?: string; lastNack?: { version?: string; message?: string } } | undefined>>;
}

/** The proxy with `nodeId` from `GET /api/v1/status`, or undefined when it is not connected. */
export async function proxyStatus(trellis: TrellisProcess, nodeId: string): Promise<ProxyStatusView | undefined> {
  const answer = await trellis.api('GET', '/api/v1/status');
  if (answer.status !== 200) throw new Error(`GET /api/v1/status: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  const body = answer.body as { proxies?: unknown } | null;
  const proxies = Array.isArray(body?.proxies) ? (body.proxies as ProxyStatusView[]) : [];
  return proxies.find((p) => p.nodeId === nodeId);
}

/** True when the proxy has ACKed the version last sent for every type in `types`. */
export function ackedAll(proxy: ProxyStatusView | undefined, types: readonly string[]): boolean {
  return types.every((t) => {
    const state = proxy?.types[t];
    return state?.versionSent !== undefined && state.versionAcked === state.versionSent;
  });
}

/** Instance ids the API lists for `namespace/name` ([] when the service is unknown). */
export async function instanceIds(trellis: TrellisProcess, namespace: string, name: string): Promise<string[]> {
  const answer = await trellis.api('GET', `/api/v1/services/${namespace}/${name}`);
  if (answer.status === 404) return [];
  if (answer.status !== 200) throw new Error(`GET service ${namespace}/${name}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  const instances = (answer.body as { instances?: Array<{ id?: unknown }> }).instances ?? [];
  return instances.map((i) => String(i.id)).sort();
}
