/**
 * Who a connected proxy is, read from its xDS node. Conventions (node metadata is a
 * google.protobuf.Struct, handed over as a plain object):
 *
 * | key                 | value                          | default                                   |
 * |---------------------|--------------------------------|-------------------------------------------|
 * | `trellis.kind`      | sidecar, proxyless, gateway    | proxyless if user_agent_name has "grpc", else sidecar |
 * | `trellis.service`   | DNS label                      | node.cluster when it is a DNS label, else '' |
 * | `trellis.namespace` | DNS label                      | `default`                                 |
 * | `trellis.address`   | IP literal                     | ''                                        |
 * | `trellis.port`      | 1..65535, number or digits     | 0                                         |
 * | `trellis.protocol`  | http, grpc, tcp                | http                                      |
 * | `trellis.labels`    | object of strings              | {}                                        |
 * | `trellis.token`     | join token (string, secret)    | ''                                        |
 *
 * Locality comes from node.locality {region, zone, sub_zone}. A bad value never throws: it is
 * replaced by the default and reported as a diagnostic naming `node.metadata.<key>`.
 *
 * The join token is a secret: it goes into `ProxyIdentity.joinToken` as given and nowhere else;
 * a diagnostic about it never quotes it. `spiffeId` is '' here: only the pipeline, after
 * verifying the token, may set it.
 */
import { isIP } from 'node:net';
import type { Diagnostic } from '../util/errors.ts';
import type { NodeInfo } from '../xds/cache/types.ts';
import { isDnsLabel } from './names.ts';
import type { Locality, ProxyIdentity, ProxyKind, Protocol } from './types.ts';

const KINDS: readonly ProxyKind[] = ['sidecar', 'proxyless', 'gateway'];
const PROTOCOLS: readonly Protocol[] = ['http', 'grpc', 'tcp'];

/** Parses a node into a ProxyIdentity; every problem is a diagnostic, never an exception. */
export function parseNodeIdentity(node: NodeInfo): { identity: ProxyIdentity; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const source = `node ${node.id}`;
  const metadata: Readonly<Record<string, unknown>> = isPlainObject(node.metadata) ? node.metadata : {};
  const problem = (key: string, message: string): void => {
    diagnostics.push({ severity: 'error', field: `node.metadata.${key}`, message, source });
  };

  /** A string metadata value checked by `accept`; undefined when absent or bad (bad is reported). */
  const stringValue = (key: string, accept: (v: string) => boolean, allowed: string): string | undefined => {
    const raw = metadata[key];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'string' && accept(raw)) return raw;
    problem(key, `${describe(raw)} is not allowed; expected ${allowed}`);
    return undefined;
  };

  const defaultKind: ProxyKind = (node.user_agent_name ?? '').toLowerCase().includes('grpc') ? 'proxyless' : 'sidecar';
  const kind = (stringValue('trellis.kind', (v) => includes(KINDS, v), KINDS.join(' | ')) as ProxyKind | undefined) ?? defaultKind;
  const service =
    stringValue('trellis.service', isDnsLabel, 'a DNS label ([a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters)') ??
    (typeof node.cluster === 'string' && isDnsLabel(node.cluster) ? node.cluster : '');
  const namespace = stringValue('trellis.namespace', isDnsLabel, 'a DNS label') ?? 'default';
  const address = stringValue('trellis.address', (v) => isIP(v) !== 0, 'an IPv4 or IPv6 literal') ?? '';
  const protocol =
    (stringValue('trellis.protocol', (v) => includes(PROTOCOLS, v), PROTOCOLS.join(' | ')) as Protocol | undefined) ?? 'http';
  const port = parsePort(metadata['trellis.port'], (message) => problem('trellis.port', message));
  const labels = parseLabels(metadata['trellis.labels'], problem);
  const joinToken = parseToken(metadata['trellis.token'], (message) => problem('trellis.token', message));

  const identity: ProxyIdentity = {
    nodeId: node.id,
    kind,
    service,
    namespace,
    address,
    port,
    protocol,
    labels,
    locality: parseLocality(node.locality),
    joinToken,
    spiffeId: '',
  };
  return { identity, diagnostics };
}

/** The token as given; a non-string is dropped with a diagnostic that names its type only (never its value). */
function parseToken(raw: unknown, report: (message: string) => void): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  report(`a ${Array.isArray(raw) ? 'list' : typeof raw} is not allowed; expected the join token as a string (value not shown)`);
  return '';
}

function parsePort(raw: unknown, report: (message: string) => void): number {
  if (raw === undefined || raw === null) return 0;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  report(`${describe(raw)} is not allowed; expected an integer port 1..65535 (number or numeric string)`);
  return 0;
}

function parseLabels(raw: unknown, problem: (key: string, message: string) => void): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) {
    problem('trellis.labels', `${describe(raw)} is not allowed; expected an object of string values`);
    return {};
  }
  const labels: Record<string, string> = {};
  for (const key of Object.keys(raw).sort()) {
    const value = raw[key];
    if (typeof value === 'string') labels[key] = value;
    else problem(`trellis.labels.${key}`, `${describe(value)} is not allowed; label values must be strings`);
  }
  return labels;
}

function parseLocality(raw: NodeInfo['locality'] | undefined): Locality {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { region: text(raw?.region), zone: text(raw?.zone), subZone: text(raw?.sub_zone) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function includes<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/** A short, safe rendering of a bad value for a diagnostic (metadata never holds secrets we use). */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
