/**
 * Spawners for the fixture processes (echo servers and proxyless xDS clients) and the gRPC xDS
 * bootstraps they use, written from Trellis' documented node-metadata convention.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type ChildHandle } from './child-process.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(REPO_ROOT, 'test', 'e2e', 'fixtures');

export interface BootstrapInput {
  readonly xdsAddress: string;
  readonly service: string;
  readonly namespace: string;
  readonly nodeId?: string;
  /** The workload's own serving address (xDS servers; enables auto-registration). */
  readonly address?: string;
  readonly port?: number;
  readonly zone?: string;
  readonly region?: string;
  readonly serverFeatures?: readonly string[];
}

/** A gRPC xDS bootstrap (gRFC A27) for a proxyless workload, as `trellis bootstrap --grpc` prints. */
export function grpcBootstrap(input: BootstrapInput): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    'trellis.kind': 'proxyless',
    'trellis.service': input.service,
    'trellis.namespace': input.namespace,
    'trellis.protocol': 'grpc',
  };
  if (input.address !== undefined) metadata['trellis.address'] = input.address;
  if (input.port !== undefined) metadata['trellis.port'] = input.port;
  return {
    xds_servers: [
      { server_uri: input.xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3', ...(input.serverFeatures ?? [])] },
    ],
    node: {
      id: input.nodeId ?? `proxyless~${input.address ?? 'client'}~${input.service}.${input.namespace}~${process.pid}`,
      cluster: input.service,
      // grpc-js-xds requires a locality; an empty one gives a confusing resolution error.
      locality: { region: input.region ?? 'r1', zone: input.zone ?? 'z1' },
      metadata,
    },
    server_listener_resource_name_template: 'grpc/server?xds.resource.listening_address=%s',
  };
}

function childEnv(bootstrap: Record<string, unknown> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['GRPC_XDS_BOOTSTRAP'];
  delete env['GRPC_XDS_BOOTSTRAP_CONFIG'];
  delete env['NODE_OPTIONS'];
  if (bootstrap) env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify(bootstrap);
  return env;
}

function spawnFixture(name: string, script: string, args: readonly string[], bootstrap?: Record<string, unknown>): ChildHandle {
  return spawnChild(name, process.execPath, ['--import', 'tsx', join(FIXTURES, script), ...args], {
    cwd: REPO_ROOT,
    env: childEnv(bootstrap),
  });
}

export interface EchoOptions {
  readonly id: string;
  /** 0 = ephemeral (plain servers only). */
  readonly port?: number;
  readonly failEveryOther?: boolean;
  /** Every call fails with UNAVAILABLE. */
  readonly failAlways?: boolean;
  readonly delayMs?: number;
  /** An xDS-enabled server (A36) with this bootstrap; needs a real `port`. */
  readonly xdsBootstrap?: Record<string, unknown>;
  /** How long to wait for "ready" (xDS servers wait for their Listener). */
  readonly readyTimeoutMs?: number;
  /** xDS mode without grpc-js-xds' register(): every Listener is NACKed; don't wait for "ready". */
  readonly skipFilterRegistry?: boolean;
  /** xDS mode with XdsServerCredentials (TLS as the Listener says; plaintext fallback). */
  readonly mtls?: boolean;
  /** Graceful end of every connection after this many ms (clients handshake again). */
  readonly maxConnectionAgeMs?: number;
}

export interface EchoServer {
  readonly id: string;
  readonly port: number;
  readonly child: ChildHandle;
}

/** Starts an Echo server process and resolves once it serves. */
export async function spawnEcho(options: EchoOptions): Promise<EchoServer> {
  const args = ['--id', options.id, '--port', String(options.port ?? 0), '--watch-stdin'];
  if (options.failEveryOther) args.push('--fail-every-other');
  if (options.failAlways) args.push('--fail-always');
  if (options.delayMs !== undefined) args.push('--delay-ms', String(options.delayMs));
  if (options.xdsBootstrap) args.push('--xds');
  if (options.skipFilterRegistry) args.push('--skip-filter-registry');
  if (options.mtls) args.push('--mtls');
  if (options.maxConnectionAgeMs !== undefined) args.push('--max-connection-age-ms', String(options.maxConnectionAgeMs));
  const child = spawnFixture(`echo ${options.id}`, 'echo-server.ts', args, options.xdsBootstrap);
  if (options.skipFilterRegistry) {
    await child.waitForJson((v) => v['started'] === true, options.readyTimeoutMs ?? 15_000, `echo server ${options.id} to start`);
    return { id: options.id, port: options.port ?? 0, child };
  }
  const ready = await child.waitForJson((v) => v['ready'] === true, options.readyTimeoutMs ?? 15_000, `echo server ${options.id} to be ready`);
  return { id: options.id, port: Number(ready['port']), child };
}

export interface CallResult {
  readonly counts: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  /** Successful calls by the caller identity the server reported ('' = plaintext). */
  readonly identities: Readonly<Record<string, number>>;
  /** Successful calls by the SPIFFE id in the server's certificate ('' = plaintext). */
  readonly serverIdentities: Readonly<Record<string, number>>;
  /** Successful calls by the serial (hex) of the client certificate the server saw ('' = none). */
  readonly peerSerials: Readonly<Record<string, number>>;
  /** Successful calls by the serial (hex) of the server certificate ('' = none). */
  readonly serverSerials: Readonly<Record<string, number>>;
}

export interface CallOptions {
  /** Per-call deadline (default 2000 ms). */
  readonly deadlineMs?: number;
  /** Calls in flight at once (default 1). */
  readonly concurrency?: number;
  /** Another target than the one the client was started for (`xds:///<target>`). */
  readonly target?: string;
  /** Request metadata (headers) sent with every call, e.g. `{ 'x-canary': 'true' }`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Keep calling for this many ms instead of making `count` calls (a steady stream). */
  readonly durationMs?: number;
  /** Each concurrent worker waits this long after each call. */
  readonly pauseMs?: number;
}

export interface XdsClient {
  readonly child: ChildHandle;
  /** Makes `count` Echo calls through `xds:///<target>`; every call has `deadlineMs`. */
  call(count: number, options?: CallOptions): Promise<CallResult>;
  stop(): Promise<void>;
}

let nextSeq = 1;

export interface XdsClientOptions {
  /** Channels with XdsChannelCredentials (TLS when the Cluster says so; plaintext fallback). */
  readonly mtls?: boolean;
  /** Process name in failure logs (default `xds-client <target>`). */
  readonly name?: string;
}

/** Starts a proxyless client process for `xds:///<target>` and resolves once it is ready. */
export async function spawnXdsClient(target: string, bootstrap: Record<string, unknown>, options: XdsClientOptions = {}): Promise<XdsClient> {
  const args = ['--target', target, ...(options.mtls ? ['--mtls'] : [])];
  const child = spawnFixture(options.name ?? `xds-client ${target}`, 'xds-client.ts', args, bootstrap);
  await child.waitForJson((v) => v['ready'] === true, 15_000, `xds client for ${target} to start`);
  return {
    child,
    call: async (count, options = {}) => {
      const deadlineMs = options.deadlineMs ?? 2000;
      const concurrency = options.concurrency ?? 1;
      const seq = nextSeq++;
      const extra = {
        ...(options.target === undefined ? {} : { target: options.target }),
        ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
        ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
        ...(options.pauseMs === undefined ? {} : { pauseMs: options.pauseMs }),
      };
      child.send(JSON.stringify({ cmd: 'call', count, deadlineMs, concurrency, seq, ...extra }));
      const answer = await child.waitForJson(
        (v) => v['seq'] === seq,
        (options.durationMs ?? 0) + Math.ceil(options.durationMs === undefined ? count / concurrency : 1) * (deadlineMs + 500) + 5000,
        `answer to ${count} calls`,
      );
      if (answer['ok'] !== true) throw new Error(`xds client refused the command: ${String(answer['error'])}`);
      return {
        counts: answer['counts'] as Record<string, number>,
        errors: answer['errors'] as Record<string, number>,
        errorSamples: answer['errorSamples'] as string[],
        elapsedMs: Number(answer['elapsedMs']),
        identities: (answer['identities'] ?? {}) as Record<string, number>,
        serverIdentities: (answer['serverIdentities'] ?? {}) as Record<string, number>,
        peerSerials: (answer['peerSerials'] ?? {}) as Record<string, number>,
        serverSerials: (answer['serverSerials'] ?? {}) as Record<string, number>,
      };
    },
    stop: () => child.stop(),
  };
}
