/** `trellis register | deregister | heartbeat | services`: the registry through the HTTP API. */
import { CONNECTION_OPTIONS, UsageError, type Command, type FlagValues } from '../command.ts';
import { resolveContext } from '../context.ts';
import { callApi } from '../http-client.ts';
import { formatTable } from '../table.ts';

type Values = FlagValues;

const str = (values: Values, key: string): string | undefined => {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
};
const list = (values: Values, key: string): string[] => {
  const value = values[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};
const required = (values: Values, key: string): string => {
  const value = str(values, key);
  if (!value) throw new UsageError(`--${key} is required`);
  return value;
};

/** Parses `key=value` pairs; numbers when `numeric`. */
function pairs(items: readonly string[], flag: string, numeric: boolean): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--${flag} takes key=value, got "${item}"`);
    const value = item.slice(at + 1);
    out[item.slice(0, at)] = numeric ? Number(value) : value;
  }
  return out;
}

/** Parses a duration like 30s, 2m, 1h or a plain number of seconds. */
export function parseSeconds(text: string, flag: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match?.[1]) throw new UsageError(`--${flag} takes a duration like 30s, 5m or 1h, got "${text}"`);
  const factor = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * factor;
}

export const registerCommand: Command = {
  summary: 'register (or update) a service instance',
  usage:
    'trellis register --service NAME [--namespace NS] --address IP --port N [--protocol http|grpc|tcp] [--label k=v]... [--named-port name=N]... [--region R] [--zone Z] [--sub-zone S] [--weight N] [--health healthy|unhealthy|draining|unknown] [--ttl 30s] [--id ID]',
  options: {
    ...CONNECTION_OPTIONS,
    service: { type: 'string' },
    namespace: { type: 'string' },
    address: { type: 'string' },
    port: { type: 'string' },
    protocol: { type: 'string' },
    label: { type: 'string', multiple: true },
    'named-port': { type: 'string', multiple: true },
    region: { type: 'string' },
    zone: { type: 'string' },
    'sub-zone': { type: 'string' },
    weight: { type: 'string' },
    health: { type: 'string' },
    ttl: { type: 'string' },
    id: { type: 'string' },
  },
  async run(values, out) {
    const context = resolveContext({ server: str(values, 'server'), token: str(values, 'token'), data: str(values, 'data') });
    const body: Record<string, unknown> = {
      service: required(values, 'service'),
      namespace: str(values, 'namespace') ?? 'default',
      address: required(values, 'address'),
      port: Number(required(values, 'port')),
      labels: pairs(list(values, 'label'), 'label', false),
      ports: pairs(list(values, 'named-port'), 'named-port', true),
      locality: { region: str(values, 'region') ?? '', zone: str(values, 'zone') ?? '', subZone: str(values, 'sub-zone') ?? '' },
    };
    const optional: Array<[string, unknown]> = [
      ['protocol', str(values, 'protocol')],
      ['weight', str(values, 'weight') === undefined ? undefined : Number(str(values, 'weight'))],
      ['health', str(values, 'health')],
      ['ttlSeconds', str(values, 'ttl') === undefined ? undefined : parseSeconds(str(values, 'ttl') ?? '', 'ttl')],
      ['id', str(values, 'id')],
    ];
    for (const [key, value] of optional) if (value !== undefined) body[key] = value;
    const instance = (await callApi(context, 'POST', '/instances', body)) as Record<string, unknown>;
    out(`registered ${String(instance['id'])} in ${String(instance['service'])}.${String(instance['namespace'])}`);
    return 0;
  },
};

export const deregisterCommand: Command = {
  summary: 'remove a service instance (--id, or --address and --port), or a whole service (--all)',
  usage: 'trellis deregister --service NAME [--namespace NS] (--id ID | --address IP --port N | --all)',
  options: {
    ...CONNECTION_OPTIONS,
    service: { type: 'string' },
    namespace: { type: 'string' },
    id: { type: 'string' },
    address: { type: 'string' },
    port: { type: 'string' },
    all: { type: 'boolean' },
  },
  async run(values, out) {
    const context = resolveContext({ server: str(values, 'server'), token: str(values, 'token'), data: str(values, 'data') });
    const service = required(values, 'service');
    const namespace = str(values, 'namespace') ?? 'default';
    if (values['all'] === true) {
      await callApi(context, 'DELETE', `/services/${enc(namespace)}/${enc(service)}`);
      out(`deleted service ${service}.${namespace}`);
      return 0;
    }
    const address = str(values, 'address');
    const port = str(values, 'port');
    const id = str(values, 'id') ?? (address && port ? `${address}:${port}` : undefined);
    if (!id) throw new UsageError('give --id, or --address and --port, or --all');
    await callApi(context, 'DELETE', `/instances/${enc(namespace)}/${enc(service)}/${enc(id)}`);
    out(`deregistered ${id} from ${service}.${namespace}`);
    return 0;
  },
};

export const heartbeatCommand: Command = {
  summary: 'refresh the TTL of a service instance',
  usage: 'trellis heartbeat --service NAME [--namespace NS] --id ID',
  options: { ...CONNECTION_OPTIONS, service: { type: 'string' }, namespace: { type: 'string' }, id: { type: 'string' } },
  async run(values, out) {
    const context = resolveContext({ server: str(values, 'server'), token: str(values, 'token'), data: str(values, 'data') });
    const service = required(values, 'service');
    const namespace = str(values, 'namespace') ?? 'default';
    const id = required(values, 'id');
    await callApi(context, 'POST', `/instances/${enc(namespace)}/${enc(service)}/${enc(id)}/heartbeat`);
    out(`heartbeat sent for ${id}`);
    return 0;
  },
};

export const servicesCommand: Command = {
  summary: 'list services and their instances',
  usage: 'trellis services [--namespace NS] [--json]',
  options: { ...CONNECTION_OPTIONS, namespace: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, out) {
    const context = resolveContext({ server: str(values, 'server'), token: str(values, 'token'), data: str(values, 'data') });
    const answer = await callApi(context, 'GET', '/services');
    const services = extractArray(answer, 'services');
    const namespace = str(values, 'namespace');
    const shown = namespace ? services.filter((s) => s['namespace'] === namespace) : services;
    if (values['json'] === true) {
      out(JSON.stringify(shown, null, 2));
      return 0;
    }
    out(
      formatTable(
        ['SERVICE', 'NAMESPACE', 'PROTOCOL', 'INSTANCES', 'HEALTHY'],
        shown.map((s) => [String(s['name']), String(s['namespace']), String(s['protocol']), String(s['instances'] ?? ''), String(s['healthyInstances'] ?? '')]),
      ),
    );
    return 0;
  },
};

function enc(part: string): string {
  return encodeURIComponent(part);
}

/** The array under `key` (or the answer itself when it is an array). */
export function extractArray(answer: unknown, key: string): Array<Record<string, unknown>> {
  const value = Array.isArray(answer) ? answer : answer && typeof answer === 'object' ? (answer as Record<string, unknown>)[key] : undefined;
  return Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
}
