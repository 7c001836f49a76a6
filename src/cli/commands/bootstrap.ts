/** `trellis bootstrap`: prints an Envoy bootstrap (YAML) or, with --grpc, the gRPC xDS bootstrap (JSON). */
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { envoyBootstrapJson, grpcBootstrap, type BootstrapOptions } from '../../xds/bootstrap.ts';
import { PROTOCOLS, type Protocol } from '../../registry/types.ts';
import { UsageError, type Command } from '../command.ts';
import { resolveContext } from '../context.ts';
import { uniqueNodeId } from '../node-id.ts';
import { parseHostPort } from './serve.ts';

export const bootstrapCommand: Command = {
  summary: 'print an Envoy bootstrap (YAML) for a sidecar, or with --grpc a gRPC xDS bootstrap (JSON)',
  usage:
    'trellis bootstrap --service NAME [--namespace NS] [--grpc] [--xds HOST:PORT] [--node-id ID] [--address IP] [--port N] [--protocol P] [--region R] [--zone Z] [--label k=v]... [--admin-port N] [--xds-tls [--xds-ca BUNDLE_PEM]]',
  options: {
    service: { type: 'string' },
    namespace: { type: 'string' },
    grpc: { type: 'boolean' },
    xds: { type: 'string' },
    'node-id': { type: 'string' },
    address: { type: 'string' },
    port: { type: 'string' },
    protocol: { type: 'string' },
    region: { type: 'string' },
    zone: { type: 'string' },
    label: { type: 'string', multiple: true },
    'admin-port': { type: 'string' },
    'xds-tls': { type: 'boolean' },
    'xds-ca': { type: 'string' },
    data: { type: 'string' },
  },
  async run(values, out) {
    const get = (key: string): string | undefined => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
    const service = get('service');
    if (!service) throw new UsageError('--service is required');
    const xdsAddress = get('xds') ?? resolveContext({ data: get('data') }).xdsAddress;
    parseHostPort(xdsAddress, 'xds');
    const protocol = get('protocol');
    if (protocol !== undefined && !PROTOCOLS.includes(protocol as Protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}`);
    const labels: Record<string, string> = {};
    for (const item of Array.isArray(values['label']) ? values['label'] : []) {
      const text = String(item);
      const at = text.indexOf('=');
      if (at <= 0) throw new UsageError(`--label takes key=value, got "${text}"`);
      labels[text.slice(0, at)] = text.slice(at + 1);
    }
    const numberFlag = (key: string): number | undefined => {
      const text = get(key);
      if (text === undefined) return undefined;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 1 || value > 65535) throw new UsageError(`--${key} must be a port number (1-65535)`);
      return value;
    };
    // ADS over TLS: verify the server against the trust bundle (default ./bundle.pem, made absolute
    // because the workload may start elsewhere).
    if (get('xds-ca') !== undefined && values['xds-tls'] !== true) throw new UsageError('--xds-ca needs --xds-tls');
    const xdsTls = values['xds-tls'] === true ? { caCertificateFile: resolve(get('xds-ca') ?? 'bundle.pem') } : undefined;
    const options: BootstrapOptions = {
      service,
      namespace: get('namespace') ?? 'default',
      xdsAddress,
      ...optionalEntries({
        nodeId: get('node-id') ?? (get('address') ? undefined : uniqueNodeId(values['grpc'] === true ? 'proxyless' : 'sidecar', service, get('namespace') ?? 'default')),
        address: get('address'),
        port: numberFlag('port'),
        protocol: protocol as Protocol | undefined,
        region: get('region'),
        zone: get('zone'),
        adminPort: numberFlag('admin-port'),
        xdsTls,
      }),
      labels,
    };
    if (values['grpc'] === true) {
      out(JSON.stringify(grpcBootstrap(options), null, 2));
    } else {
      out(stringify(envoyBootstrapJson(options)).trimEnd());
    }
    return 0;
  },
};

/** Drops undefined values (exactOptionalPropertyTypes forbids passing them explicitly). */
function optionalEntries<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
