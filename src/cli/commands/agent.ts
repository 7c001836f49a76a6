/**
 * `trellis agent`: keeps a proxyless gRPC workload's certificate fresh in files. It makes its
 * key locally (it never leaves the machine), sends a CSR proven by a join token, and writes
 * DIR/cert.pem (chain), DIR/key.pem (0600) and DIR/bundle.pem atomically (temp file + rename),
 * plus DIR/bootstrap.json: the gRPC xDS bootstrap naming them as the `default` file_watcher
 * certificate provider (gRFC A29). It renews at half-life by presenting the current certificate
 * (same key), falling back to the join token; `--once` issues, writes and exits.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createCsr } from '../../ca/csr.ts';
import { generateKeys, privateKeyPem } from '../../ca/keys.ts';
import { workloadIdentity } from '../../ca/spiffe.ts';
import { grpcBootstrap } from '../../xds/bootstrap.ts';
import { UsageError, type Command } from '../command.ts';
import { contextFrom, str } from '../flags.ts';
import { callApiRaw, CliError, describeError } from '../http-client.ts';
import type { CliContext } from '../context.ts';
import { uniqueNodeId } from '../node-id.ts';
import { parseHostPort } from './serve.ts';

export interface AgentOptions {
  readonly context: CliContext;
  readonly service: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly joinToken: string;
  readonly outDir: string;
  readonly xdsAddress: string;
  readonly rsa: boolean;
  readonly once: boolean;
  readonly nodeId?: string;
  /** The xDS server speaks TLS (`trellis serve --xds-tls`): the bootstrap trusts bundle.pem for it. */
  readonly xdsTls?: boolean;
  /** Progress lines (never secrets). */
  readonly out: (line: string) => void;
  /** Stops the renewal loop. */
  readonly signal?: AbortSignal;
  /** Waits `ms` or until aborted (injectable for tests). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Delay before retrying a failed renewal (default 30 s). */
  readonly retryMs?: number;
}

interface Issued {
  readonly certificateChainPem: string;
  readonly bundlePem: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly serial: string;
  readonly spiffeId: string;
}

export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';
export const BUNDLE_FILE = 'bundle.pem';
export const BOOTSTRAP_FILE = 'bootstrap.json';

/** Runs the agent: issue and write once, then (unless `once`) renew at half-life until aborted. */
export async function runAgent(options: AgentOptions): Promise<void> {
  const sleep = options.sleep ?? abortableSleep;
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const bundleInfo = await api(options.context, 'GET', '/ca/bundle');
  const trustDomain = typeof bundleInfo['trustDomain'] === 'string' ? bundleInfo['trustDomain'] : '';
  const identity = workloadIdentity(options.namespace, options.serviceAccount, trustDomain);
  if (!identity.ok) throw new UsageError(identity.message);
  const spiffeId = identity.identity.spiffeId;
  const keys = await generateKeys(options.rsa ? 'rsa-2048' : 'ecdsa-p256');
  let key: KeyObject = keys.privateKey;
  let issued = await request(options.context, { token: options.joinToken, csr: createCsr(spiffeId, key) });
  // Key and certificate are written back to back once both exist, so a file watcher never pairs a
  // new key with the old certificate for longer than two renames (files may already be there).
  await writeAtomic(join(outDir, KEY_FILE), privateKeyPem(key), 0o600);
  await writeCertificate(outDir, issued);
  await writeAtomic(join(outDir, BOOTSTRAP_FILE), `${JSON.stringify(agentBootstrap(options, outDir), null, 2)}\n`, 0o644);
  options.out(`issued ${issued.spiffeId} serial ${issued.serial}, valid until ${issued.notAfter}; files in ${outDir}`);
  if (options.once) return;
  const stopped = (): boolean => options.signal?.aborted === true;
  while (!stopped()) {
    const start = Date.parse(issued.notBefore);
    const renewAt = start + (Date.parse(issued.notAfter) - start) / 2;
    await sleep(Math.max(0, renewAt - Date.now()), options.signal);
    if (stopped()) break;
    try {
      issued = await renew(options, spiffeId, key, issued, outDir).then((next) => {
        key = next.key;
        return next.issued;
      });
      await writeCertificate(outDir, issued);
      options.out(`renewed ${issued.spiffeId} serial ${issued.serial}, valid until ${issued.notAfter}`);
    } catch (error) {
      options.out(`renewal failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
      await sleep(options.retryMs ?? 30_000, options.signal);
    }
  }
}

/** Renews with the current certificate (CSR by the same key); if refused, with the join token and a new key. */
async function renew(options: AgentOptions, spiffeId: string, key: KeyObject, current: Issued, outDir: string): Promise<{ issued: Issued; key: KeyObject }> {
  try {
    return { issued: await request(options.context, { certificatePem: current.certificateChainPem, csr: createCsr(spiffeId, key) }), key };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const next = (await generateKeys(options.rsa ? 'rsa-2048' : 'ecdsa-p256')).privateKey;
    const issued = await request(options.context, { token: options.joinToken, csr: createCsr(spiffeId, next) });
    // The new key goes out together with its certificate; the old pair stays consistent until then.
    await writeAtomic(join(outDir, KEY_FILE), privateKeyPem(next), 0o600);
    return { issued, key: next };
  }
}

async function request(context: CliContext, body: Record<string, string>): Promise<Issued> {
  const answer = await api(context, 'POST', '/ca/certificates', body);
  for (const field of ['certificateChainPem', 'bundlePem', 'notBefore', 'notAfter', 'serial', 'spiffeId']) {
    if (typeof answer[field] !== 'string') throw new CliError(`the server's certificate answer lacks ${field}`);
  }
  return answer as unknown as Issued;
}

async function api(context: CliContext, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const answer = await callApiRaw(context, method, path, body);
  if (answer.status < 200 || answer.status > 299) throw new CliError(describeError(answer.status, answer.body, answer.text));
  return (answer.body ?? {}) as Record<string, unknown>;
}

async function writeCertificate(outDir: string, issued: Issued): Promise<void> {
  await writeAtomic(join(outDir, BUNDLE_FILE), issued.bundlePem, 0o644);
  await writeAtomic(join(outDir, CERT_FILE), issued.certificateChainPem, 0o644);
}

/** Writes `path` via a temp file in the same folder and a rename, so readers never see half a file. */
export async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode });
  await chmod(temp, mode);
  await rename(temp, path);
}

/** The gRPC bootstrap (as `trellis bootstrap --grpc`) plus the `default` file_watcher provider. */
export function agentBootstrap(options: Pick<AgentOptions, 'service' | 'namespace' | 'xdsAddress' | 'nodeId' | 'xdsTls'>, outDir: string): Record<string, unknown> {
  return {
    ...grpcBootstrap({
      service: options.service,
      namespace: options.namespace,
      xdsAddress: options.xdsAddress,
      ...(options.xdsTls ? { xdsTls: { caCertificateFile: join(outDir, BUNDLE_FILE) } } : {}),
      nodeId: options.nodeId ?? uniqueNodeId('proxyless', options.service, options.namespace),
    }),
    certificate_providers: {
      default: {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: join(outDir, CERT_FILE),
          private_key_file: join(outDir, KEY_FILE),
          ca_certificate_file: join(outDir, BUNDLE_FILE),
          refresh_interval: '5s',
        },
      },
    },
  };
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted === true) return done();
    const timer = setTimeout(finish, Math.min(ms, 2 ** 31 - 1));
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

export const agentCommand: Command = {
  summary: 'keep a proxyless gRPC workload\'s certificate, key and bundle fresh in files, and write its xDS bootstrap',
  usage: 'trellis agent --service NAME --namespace NS --token JOIN_TOKEN --out DIR [--service-account SA] [--once] [--xds HOST:PORT] [--rsa] [--node-id ID] [--server URL] [--xds-tls]',
  options: {
    server: { type: 'string' },
    data: { type: 'string' },
    service: { type: 'string' },
    namespace: { type: 'string', short: 'n' },
    'service-account': { type: 'string' },
    token: { type: 'string' },
    out: { type: 'string' },
    once: { type: 'boolean' },
    xds: { type: 'string' },
    rsa: { type: 'boolean' },
    'node-id': { type: 'string' },
    'xds-tls': { type: 'boolean' },
  },
  async run(values, out) {
    const service = str(values, 'service');
    const joinToken = str(values, 'token') ?? process.env['TRELLIS_JOIN_TOKEN'];
    const outDir = str(values, 'out');
    if (service === undefined || joinToken === undefined || outDir === undefined) {
      throw new UsageError('--service, --token (a join token from `trellis token create --identity`) and --out are required');
    }
    // The join token is not an API token: the API calls carry no bearer token.
    const context = { ...contextFrom({ ...values, token: undefined }), token: undefined };
    const xdsAddress = str(values, 'xds') ?? context.xdsAddress;
    parseHostPort(xdsAddress, 'xds');
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const nodeId = str(values, 'node-id');
      await runAgent({
        context, service, namespace: str(values, 'namespace') ?? 'default', serviceAccount: str(values, 'service-account') ?? service,
        joinToken, outDir, xdsAddress, rsa: values['rsa'] === true, once: values['once'] === true, out, signal: controller.signal,
        xdsTls: values['xds-tls'] === true,
        ...(nodeId === undefined ? {} : { nodeId }),
      });
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    return 0;
  },
};
