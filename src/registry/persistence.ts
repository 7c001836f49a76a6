/**
 * How registry records live in the KeyValueStore: one JSON value per service under
 * `registry/services/<ns>/<name>` and per instance under `registry/instances/<ns>/<name>/<id>`.
 * Loading checks each record (cheaply when it has the shape Trellis writes, else through full
 * validation), so a hand-edited or corrupt entry is skipped with a warning instead of poisoning
 * the registry.
 */
import type { StoreOperation, KeyValueStore } from '../store/types.ts';
import type { Logger } from '../util/log.ts';
import { serviceKey, PROTOCOLS } from './types.ts';
import type { InstanceRecord, ServiceKey, ServiceRecord } from './types.ts';
import { ORIGINS, trustedInstance } from './stored-record.ts';
import { isDnsLabel, isPlainObject, validateRegistration } from './validate.ts';

/** Everything the registry stores lives under this prefix (instances sort before services). */
export const REGISTRY_PREFIX = 'registry/';
export const SERVICES_PREFIX = 'registry/services/';
export const INSTANCES_PREFIX = 'registry/instances/';

export function serviceStoreKey(namespace: string, name: string): string {
  return `${SERVICES_PREFIX}${namespace}/${name}`;
}

export function instanceStoreKey(namespace: string, service: string, id: string): string {
  return `${INSTANCES_PREFIX}${namespace}/${service}/${id}`;
}

export function putService(service: ServiceRecord): StoreOperation {
  const value: ServiceRecord = { name: service.name, namespace: service.namespace, protocol: service.protocol };
  return { type: 'put', key: serviceStoreKey(service.namespace, service.name), value: JSON.stringify(value) };
}

export function delService(service: ServiceRecord): StoreOperation {
  return { type: 'del', key: serviceStoreKey(service.namespace, service.name) };
}

export function putInstance(instance: InstanceRecord): StoreOperation {
  return {
    type: 'put',
    key: instanceStoreKey(instance.namespace, instance.service, instance.id),
    value: JSON.stringify(instance),
  };
}

export function delInstance(instance: InstanceRecord): StoreOperation {
  return { type: 'del', key: instanceStoreKey(instance.namespace, instance.service, instance.id) };
}

export interface LoadedState {
  readonly services: Map<ServiceKey, ServiceRecord>;
  /** Sorted by id. */
  readonly instances: Map<ServiceKey, InstanceRecord[]>;
}

/**
 * Reads every persisted service and instance (one pass over the store); invalid entries, and
 * instances of a service that is not stored, are logged and skipped.
 */
export async function loadState(store: KeyValueStore, log: Logger): Promise<LoadedState> {
  const services = new Map<ServiceKey, ServiceRecord>();
  const instances = new Map<ServiceKey, InstanceRecord[]>();
  // Instances come first in key order, so they are grouped by service and kept if it exists.
  const grouped = new Map<ServiceKey, InstanceRecord[]>();
  for (const [key, value] of await store.list(REGISTRY_PREFIX)) {
    if (key.startsWith(INSTANCES_PREFIX)) {
      const record = decodeInstance(value);
      if (record === undefined || instanceStoreKey(record.namespace, record.service, record.id) !== key) {
        log.warn('skipping invalid persisted instance', { key });
        continue;
      }
      const skey = serviceKey(record.service, record.namespace);
      let group = grouped.get(skey);
      if (group === undefined) grouped.set(skey, (group = []));
      group.push(record);
    } else if (key.startsWith(SERVICES_PREFIX)) {
      const record = decodeService(value);
      if (record === undefined || serviceStoreKey(record.namespace, record.name) !== key) {
        log.warn('skipping invalid persisted service', { key });
        continue;
      }
      const skey = serviceKey(record.name, record.namespace);
      services.set(skey, record);
      const list = grouped.get(skey) ?? [];
      // Store order is by UTF-8 key; ids are ASCII, so this is usually sorted already.
      if (!isSortedById(list)) list.sort((a, b) => compareIds(a.id, b.id));
      instances.set(skey, list);
    }
  }
  for (const [skey, group] of grouped) {
    if (services.has(skey)) continue;
    for (const i of group) log.warn('skipping persisted instance of an unknown service', { key: instanceStoreKey(i.namespace, i.service, i.id) });
  }
  return { services, instances };
}

function isSortedById(list: readonly InstanceRecord[]): boolean {
  for (let i = 1; i < list.length; i += 1) if (compareIds(list[i - 1]?.id ?? '', list[i]?.id ?? '') > 0) return false;
  return true;
}

/** The order of instances within a service: by id, in UTF-16 code unit order. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeService(value: string): ServiceRecord | undefined {
  const parsed = parseJson(value);
  if (!isPlainObject(parsed)) return undefined;
  const { name, namespace, protocol } = parsed;
  const knownProtocol = PROTOCOLS.find((p) => p === protocol);
  if (typeof name !== 'string' || typeof namespace !== 'string' || !isDnsLabel(name) || !isDnsLabel(namespace) || knownProtocol === undefined) {
    return undefined;
  }
  return { name, namespace, protocol: knownProtocol };
}

/** A stored instance: the parsed record itself when it has the shape Trellis writes, else validated. */
export function decodeInstance(value: string): InstanceRecord | undefined {
  const parsed = parseJson(value);
  const trusted = trustedInstance(parsed);
  if (trusted !== undefined) return trusted;
  return validatedInstance(parsed);
}

/** The slow path: full validation, defaults applied, IPv6 canonicalized (a new record). */
export function validatedInstance(parsed: unknown): InstanceRecord | undefined {
  if (!isPlainObject(parsed)) return undefined;
  const { heartbeatAt, origin, ...fields } = parsed;
  const validated = validateRegistration(fields);
  const knownOrigin = ORIGINS.find((o) => o === origin);
  if (!validated.ok || knownOrigin === undefined || typeof heartbeatAt !== 'number' || !Number.isFinite(heartbeatAt)) {
    return undefined;
  }
  const v = validated.value;
  return {
    id: v.id, service: v.service, namespace: v.namespace, address: v.address, port: v.port, ports: v.ports,
    labels: v.labels, locality: v.locality, weight: v.weight, health: v.health, ttlSeconds: v.ttlSeconds,
    heartbeatAt, origin: knownOrigin,
  };
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
