/**
 * Fast checks for registry records as Trellis itself writes them, used when loading the store.
 * Re-validating every record through `validateRegistration` copies each one several times over,
 * which dominated start-up for large registries. These checks accept a record only when it has
 * exactly the written shape and every value is one that validation keeps unchanged; the parsed
 * object is then used as it is. Anything else (an IPv6 address to canonicalize, named ports,
 * label keys with a prefix, a missing or extra field) returns undefined, and the caller falls
 * back to full validation: so a record is accepted here only if validation would accept it and
 * produce an equal record (a property the tests check).
 */
import { isIP } from 'node:net';
import { HEALTH_VALUES } from './types.ts';
import type { InstanceOrigin, InstanceRecord } from './types.ts';
import { INSTANCE_ID_PATTERN, isDnsLabel, isPlainObject, MAX_ID_LENGTH, MAX_TTL_SECONDS, MAX_WEIGHT } from './validate.ts';

/** Every origin a stored instance may carry. */
export const ORIGINS: readonly InstanceOrigin[] = ['api', 'ads', 'file'];

/** The fields `JSON.stringify(instance)` writes, in order; the fast path needs exactly these. */
const INSTANCE_KEYS = [
  'id', 'service', 'namespace', 'address', 'port', 'ports', 'labels', 'locality', 'weight', 'health',
  'ttlSeconds', 'heartbeatAt', 'origin',
] as const;
const LOCALITY_KEYS = ['region', 'zone', 'subZone'] as const;
// Label keys without a prefix and label values: what validation accepts for names, unchanged.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_LABELS = 64;
const MAX_LOCALITY_LENGTH = 128;

/**
 * `parsed` as an InstanceRecord when it has exactly the stored shape and values validation keeps
 * as they are; undefined when full validation must decide. Allocates nothing.
 */
export function trustedInstance(parsed: unknown): InstanceRecord | undefined {
  if (!isPlainObject(parsed)) return undefined;
  let count = 0;
  for (const key in parsed) {
    if (!Object.hasOwn(parsed, key)) return undefined;
    count += 1;
  }
  if (count !== INSTANCE_KEYS.length) return undefined;
  const { id, service, namespace, address, port, ports, labels, locality, weight, health, ttlSeconds, heartbeatAt, origin } = parsed;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !INSTANCE_ID_PATTERN.test(id)) return undefined;
  if (typeof service !== 'string' || !isDnsLabel(service)) return undefined;
  if (typeof namespace !== 'string' || !isDnsLabel(namespace)) return undefined;
  // IPv4 only: validation rewrites IPv6 literals to their canonical form.
  if (typeof address !== 'string' || isIP(address) !== 4) return undefined;
  if (!isInteger(port, 1, 65_535) || !isInteger(weight, 1, MAX_WEIGHT) || !isInteger(ttlSeconds, 0, MAX_TTL_SECONDS)) return undefined;
  if (typeof heartbeatAt !== 'number' || !Number.isFinite(heartbeatAt)) return undefined;
  if (!HEALTH_VALUES.some((h) => h === health) || !ORIGINS.some((o) => o === origin)) return undefined;
  if (!isPlainObject(ports) || !isEmpty(ports)) return undefined;
  if (!simpleLabels(labels) || !exactLocality(locality)) return undefined;
  // Every field was checked above against the InstanceRecord types.
  return parsed as unknown as InstanceRecord;
}

function isInteger(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isEmpty(value: Record<string, unknown>): boolean {
  for (const _key in value) return false;
  return true;
}

function simpleLabels(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    count += 1;
    const labelValue = value[key];
    if (count > MAX_LABELS || key.length > 63 || !LABEL_NAME.test(key)) return false;
    if (typeof labelValue !== 'string' || (labelValue !== '' && (labelValue.length > 63 || !LABEL_NAME.test(labelValue)))) return false;
  }
  return true;
}

function exactLocality(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    count += 1;
  }
  if (count !== LOCALITY_KEYS.length) return false;
  return LOCALITY_KEYS.every((key) => {
    const part = value[key];
    return typeof part === 'string' && part.length <= MAX_LOCALITY_LENGTH && !CONTROL_CHARS.test(part);
  });
}
