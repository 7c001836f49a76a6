/**
 * Validation of registration input: plain JSON from the HTTP API, the CLI, a YAML file or a
 * proxy's node metadata. Pure: no registry state (the protocol conflict check needs state and
 * lives in the registry). Every problem becomes a diagnostic naming the field, what is wrong and
 * what is allowed; all problems are reported at once, not just the first.
 */
import { isIP } from 'node:net';
import type { Diagnostic } from '../util/errors.ts';
import { HEALTH_VALUES, PROTOCOLS } from './types.ts';
import type { Health, Locality, Protocol } from './types.ts';

/** A registration that passed validation, with defaults applied. */
export interface ValidRegistration {
  readonly id: string;
  readonly service: string;
  readonly namespace: string;
  readonly address: string;
  readonly port: number;
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  readonly weight: number;
  readonly health: Health;
  readonly ttlSeconds: number;
  /** Undefined when the input did not say: the service keeps its protocol (or gets 'http'). */
  readonly protocol: Protocol | undefined;
}

export type ValidationResult =
  | { readonly ok: true; readonly value: ValidRegistration }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

export const REGISTRATION_FIELDS = [
  'id', 'service', 'namespace', 'address', 'port', 'ports', 'labels', 'locality',
  'weight', 'health', 'ttlSeconds', 'protocol',
] as const;
const LOCALITY_FIELDS = ['region', 'zone', 'subZone'] as const;

export const DEFAULT_NAMESPACE = 'default';
export const MAX_TTL_SECONDS = 86_400;
export const MAX_WEIGHT = 128;
const MAX_LABELS = 64;
const MAX_PORTS = 32;
export const MAX_ID_LENGTH = 128;
const MAX_LOCALITY_LENGTH = 128;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
// Ids appear in store keys and URL paths, so no '/', no spaces, no '%'.
/** What an instance id may look like (besides its length, 1..MAX_ID_LENGTH). */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9[]([A-Za-z0-9._:[\]-]*)$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** True for a Kubernetes-style DNS label: lowercase alphanumerics and '-', 1..63 chars. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** The instance id used when the input gives none: `address:port`, IPv6 in brackets. */
export function defaultInstanceId(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Validates `input` and applies defaults; never throws. */
export function validateRegistration(input: unknown): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const fail = (field: string, message: string): void => {
    diagnostics.push({ severity: 'error', field, message });
  };
  if (!isPlainObject(input)) {
    fail('', `expected an object with fields ${REGISTRATION_FIELDS.join(', ')}, got ${describe(input)}`);
    return { ok: false, diagnostics };
  }
  for (const key of Object.keys(input)) {
    if (!(REGISTRATION_FIELDS as readonly string[]).includes(key)) {
      fail(key, `unknown field; allowed fields are ${REGISTRATION_FIELDS.join(', ')}`);
    }
  }

  const service = dnsLabelField(input['service'], 'service', undefined, fail);
  const namespace = dnsLabelField(input['namespace'], 'namespace', DEFAULT_NAMESPACE, fail);
  const address = addressField(input['address'], fail);
  const port = integerField(input['port'], 'port', 1, 65_535, undefined, fail);
  const ports = portsField(input['ports'], fail);
  const labels = labelsField(input['labels'], fail);
  const locality = localityField(input['locality'], fail);
  const weight = integerField(input['weight'], 'weight', 1, MAX_WEIGHT, 1, fail);
  const ttlSeconds = integerField(input['ttlSeconds'], 'ttlSeconds', 0, MAX_TTL_SECONDS, 0, fail);
  const health = enumField(input['health'], 'health', HEALTH_VALUES, 'healthy', fail);
  const protocol = enumField(input['protocol'], 'protocol', PROTOCOLS, undefined, fail);
  let id: string | undefined;
  if (input['id'] === undefined) {
    if (address !== undefined && port !== undefined) id = defaultInstanceId(address, port);
  } else if (typeof input['id'] !== 'string' || input['id'].length === 0 || input['id'].length > MAX_ID_LENGTH ||
    !INSTANCE_ID_PATTERN.test(input['id'])) {
    fail('id', `must be 1..${MAX_ID_LENGTH} characters of letters, digits, '.', '_', '-', ':', '[', ']' ` +
      `starting with a letter, digit or '[' (default: address:port), got ${describe(input['id'])}`);
  } else {
    id = input['id'];
  }

  if (diagnostics.length > 0 || service === undefined || namespace === undefined || address === undefined ||
    port === undefined || ports === undefined || labels === undefined || locality === undefined ||
    weight === undefined || ttlSeconds === undefined || health === undefined || id === undefined) {
    return { ok: false, diagnostics };
  }
  return {
    ok: true,
    value: { id, service, namespace, address, port, ports, labels, locality, weight, health, ttlSeconds, protocol },
  };
}

type Fail = (field: string, message: string) => void;

function dnsLabelField(value: unknown, field: string, fallback: string | undefined, fail: Fail): string | undefined {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && isDnsLabel(value)) return value;
  const required = value === undefined ? 'is required and ' : '';
  fail(field, `${required}must be a DNS label (lowercase letters, digits and '-', starting and ending ` +
    `with a letter or digit, at most 63 characters)${value === undefined ? '' : `, got ${describe(value)}`}`);
  return undefined;
}

function addressField(value: unknown, fail: Fail): string | undefined {
  if (typeof value === 'string' && !value.includes('%')) {
    const family = isIP(value);
    if (family === 4) return value;
    // Canonical IPv6 form (lowercase, zeros compressed) so `::0001` and `::1` are one instance.
    if (family === 6) return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  }
  fail('address', value === undefined
    ? 'is required: an IPv4 or IPv6 literal such as 10.0.0.7 or fd00::7 (host names are not accepted)'
    : `must be an IPv4 or IPv6 literal without zone id, such as 10.0.0.7 or fd00::7, got ${describe(value)}`);
  return undefined;
}

function integerField(value: unknown, field: string, min: number, max: number, fallback: number | undefined,
  fail: Fail): number | undefined {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  fail(field, `${value === undefined ? 'is required and ' : ''}must be an integer from ${min} to ${max}` +
    `${value === undefined ? '' : `, got ${describe(value)}`}`);
  return undefined;
}

function enumField<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T | undefined,
  fail: Fail): T | undefined {
  if (value === undefined) return fallback;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) fail(field, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  return match;
}

function portsField(value: unknown, fail: Fail): Record<string, number> | undefined {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    fail('ports', `must be an object mapping port names to port numbers, got ${describe(value)}`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_PORTS) {
    fail('ports', `has ${entries.length} entries; at most ${MAX_PORTS} are allowed`);
    return undefined;
  }
  const ports: Record<string, number> = {};
  let ok = true;
  for (const [name, port] of entries) {
    if (!isDnsLabel(name)) {
      fail(`ports.${name}`, 'port name must be a DNS label (lowercase letters, digits and \'-\', at most 63 characters)');
      ok = false;
    } else if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      fail(`ports.${name}`, `must be an integer from 1 to 65535, got ${describe(port)}`);
      ok = false;
    } else {
      ports[name] = port;
    }
  }
  return ok ? ports : undefined;
}

function labelsField(value: unknown, fail: Fail): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    fail('labels', `must be an object mapping label keys to string values, got ${describe(value)}`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_LABELS) {
    fail('labels', `has ${entries.length} entries; at most ${MAX_LABELS} are allowed`);
    return undefined;
  }
  const labels: Record<string, string> = {};
  let ok = true;
  for (const [key, labelValue] of entries) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) {
      fail(`labels.${key}`, keyProblem);
      ok = false;
    } else if (typeof labelValue !== 'string') {
      fail(`labels.${key}`, `value must be a string (quote numbers and booleans), got ${describe(labelValue)}`);
      ok = false;
    } else if (labelValue !== '' && (labelValue.length > 63 || !LABEL_NAME.test(labelValue))) {
      fail(`labels.${key}`, 'value must be empty or at most 63 characters of letters, digits, \'-\', \'_\', \'.\', ' +
        `starting and ending with a letter or digit, got ${describe(labelValue)}`);
      ok = false;
    } else {
      labels[key] = labelValue;
    }
  }
  return ok ? labels : undefined;
}

/** Kubernetes label key rules: `[prefix/]name`, prefix a DNS subdomain (≤253), name ≤63. */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !prefix.split('.').every(isDnsLabel))) {
    return 'key prefix (before \'/\') must be a DNS subdomain: dot-separated DNS labels, at most 253 characters';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return 'key name must be 1..63 characters of letters, digits, \'-\', \'_\', \'.\', ' +
      'starting and ending with a letter or digit (optionally prefixed by a DNS subdomain and \'/\')';
  }
  return undefined;
}

function localityField(value: unknown, fail: Fail): Locality | undefined {
  if (value === undefined) return { region: '', zone: '', subZone: '' };
  if (!isPlainObject(value)) {
    fail('locality', `must be an object with optional string fields region, zone, subZone, got ${describe(value)}`);
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(value)) {
    if (!(LOCALITY_FIELDS as readonly string[]).includes(key)) {
      fail(`locality.${key}`, `unknown field; allowed fields are ${LOCALITY_FIELDS.join(', ')}`);
      ok = false;
    }
  }
  const part = (key: (typeof LOCALITY_FIELDS)[number]): string => {
    const v = value[key];
    if (v === undefined) return '';
    if (typeof v === 'string' && v.length <= MAX_LOCALITY_LENGTH && !CONTROL_CHARS.test(v)) return v;
    fail(`locality.${key}`, `must be a string of at most ${MAX_LOCALITY_LENGTH} characters without control ` +
      `characters, got ${describe(v)}`);
    ok = false;
    return '';
  };
  const locality = { region: part('region'), zone: part('zone'), subZone: part('subZone') };
  return ok ? locality : undefined;
}

/** True for a non-null, non-array object (what JSON.parse makes of `{...}`). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of a bad value for messages (truncated, never a whole body). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
