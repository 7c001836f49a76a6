/** `trellis serve`: runs the control plane until SIGINT/SIGTERM. */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { DEFAULT_OPTIONS, startTrellis } from '../../main.ts';
import { UsageError, type Command, type FlagValues } from '../command.ts';
import type { GrpcServerKind } from '../../xds/server/ads-server.ts';

/** Parses host:port ([v6]:port allowed). */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${flag} takes host:port, got "${text}"`);
  return { host, port };
}

export const serveCommand: Command = {
  summary: 'run the control plane (xDS on 127.0.0.1:18000, HTTP API on 127.0.0.1:18001)',
  usage: 'trellis serve [--xds HOST:PORT] [--api HOST:PORT] [--data DIR] [--example FILE_OR_DIR]... [--config-dir DIR] [--proxy-grace 30s] [--trust-domain TD] [--key-algorithm ecdsa-p256|rsa-2048] [--ca-cert PEM --ca-key PEM [--ca-chain PEM]] [--xds-tls [--xds-tls-name NAME]...] [--grpc-server h2|grpc-js]',
  options: {
    xds: { type: 'string' },
    api: { type: 'string' },
    data: { type: 'string' },
    example: { type: 'string', multiple: true },
    'config-dir': { type: 'string' },
    'trust-domain': { type: 'string' },
    'key-algorithm': { type: 'string' },
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    'ca-chain': { type: 'string' },
    'proxy-grace': { type: 'string' },
    'xds-tls': { type: 'boolean' },
    'xds-tls-name': { type: 'string', multiple: true },
    'grpc-server': { type: 'string' },
  },
  async run(values, out) {
    const xds = parseHostPort(typeof values['xds'] === 'string' ? values['xds'] : `${DEFAULT_OPTIONS.xdsHost}:${DEFAULT_OPTIONS.xdsPort}`, 'xds');
    const api = parseHostPort(typeof values['api'] === 'string' ? values['api'] : `${DEFAULT_OPTIONS.apiHost}:${DEFAULT_OPTIONS.apiPort}`, 'api');
    const grace = typeof values['proxy-grace'] === 'string' ? parseGrace(values['proxy-grace']) : DEFAULT_OPTIONS.proxyGraceMs;
    const examples = Array.isArray(values['example']) ? values['example'].filter((e): e is string => typeof e === 'string') : [];
    // "listening" as soon as both ports accept connections; "ready" once state is loaded.
    const trellis = await startTrellis({
      ...DEFAULT_OPTIONS,
      xdsHost: xds.host,
      xdsPort: xds.port,
      apiHost: api.host,
      apiPort: api.port,
      dataDir: typeof values['data'] === 'string' ? values['data'] : process.env['TRELLIS_DATA'] ?? DEFAULT_OPTIONS.dataDir,
      examples,
      proxyGraceMs: grace,
      ...(typeof values['config-dir'] === 'string' ? { configDir: values['config-dir'] } : {}),
      ...(typeof values['trust-domain'] === 'string' ? { trustDomain: values['trust-domain'] } : {}),
      ...keyAlgorithm(values),
      ...caFiles(values),
      ...xdsTls(values, xds.host),
      grpcServer: grpcServer(values),
    }, (listening) => out(`Trellis listening: xDS ${listening.xdsAddress}, API ${listening.apiUrl}`));
    out(`Trellis ready: xDS ${trellis.xdsAddress}, API ${trellis.apiUrl}`);
    if (trellis.newAdminToken) out('An admin token was created in the data folder (admin.token); the CLI reads it from there.');
    await new Promise<void>((resolvePromise) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        trellis.close().then(resolvePromise, resolvePromise);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};

function parseGrace(text: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!match?.[1]) throw new UsageError(`--proxy-grace takes a duration like 500ms, 30s or 2m, got "${text}"`);
  const factor = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000;
  return Number(match[1]) * factor;
}

/** DNS names and IP addresses a serving certificate names (SANs), beside its SPIFFE id. */
export interface XdsTlsNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/**
 * The SANs of the xDS serving certificate: `localhost` and the listening host, or for a wildcard
 * host (0.0.0.0, ::) the loopback addresses and this machine's name; plus the names given.
 */
export function xdsServingNames(listenHost: string, extra: readonly string[], machineName = hostname()): XdsTlsNames {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  const names = ['localhost', ...(wildcard ? ['127.0.0.1', '::1', machineName] : [listenHost]), ...extra];
  const unique = [...new Set(names.filter((n) => n !== ''))];
  return { dnsNames: unique.filter((n) => isIP(n) === 0), ipAddresses: unique.filter((n) => isIP(n) !== 0) };
}

/** --xds-tls: serve ADS/CSDS over TLS with a CA-issued certificate (--xds-tls-name adds SANs). */
function xdsTls(values: FlagValues, listenHost: string): { xdsTls?: XdsTlsNames } {
  const extra = Array.isArray(values['xds-tls-name']) ? values['xds-tls-name'].filter((e): e is string => typeof e === 'string') : [];
  if (values['xds-tls'] !== true) {
    if (extra.length > 0) throw new UsageError('--xds-tls-name needs --xds-tls');
    return {};
  }
  for (const name of extra) {
    if (isIP(name) === 0 && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name)) {
      throw new UsageError(`--xds-tls-name takes a DNS name or an IP address, got "${name}"`);
    }
  }
  return { xdsTls: xdsServingNames(listenHost, extra) };
}

/**
 * --grpc-server: the gRPC transport of ADS/CSDS, h2 (default: gRPC spoken over node:http2) or
 * grpc-js; TRELLIS_GRPC_SERVER sets the default.
 */
function grpcServer(values: FlagValues): GrpcServerKind {
  const text = typeof values['grpc-server'] === 'string' ? values['grpc-server'] : process.env['TRELLIS_GRPC_SERVER'] ?? 'h2';
  if (text !== 'h2' && text !== 'grpc-js') throw new UsageError(`--grpc-server takes h2 or grpc-js, got "${text}"`);
  return text;
}

/** --ca-cert and --ca-key go together (a root or intermediate Trellis signs with). */
function caFiles(values: FlagValues): { caFiles?: { certificateFile: string; keyFile: string; chainFile?: string } } {
  const cert = values['ca-cert'];
  const key = values['ca-key'];
  const chain = values['ca-chain'];
  if (cert === undefined && key === undefined) return {};
  if (typeof cert !== 'string' || typeof key !== 'string') throw new UsageError('--ca-cert and --ca-key must be given together');
  return { caFiles: { certificateFile: cert, keyFile: key, ...(typeof chain === 'string' ? { chainFile: chain } : {}) } };
}

/** --key-algorithm: ecdsa-p256 (default) or rsa-2048 for the keys Trellis generates (SDS). */
function keyAlgorithm(values: FlagValues): { keyAlgorithm?: 'ecdsa-p256' | 'rsa-2048' } {
  const value = values['key-algorithm'];
  if (value === undefined) return {};
  if (value !== 'ecdsa-p256' && value !== 'rsa-2048') throw new UsageError(`--key-algorithm takes ecdsa-p256 or rsa-2048, got "${String(value)}"`);
  return { keyAlgorithm: value };
}
