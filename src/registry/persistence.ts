/**
 * How registry records live in the KeyValueStore: one JSON value per service under
 * `registry/services/<ns>/<name>` and per instance under `registry/instances/<ns>/<name>/<id>`.
 * Loading re-validates each record, so a hand-edited or corrupt entry is skipped with a warning
 * instead of poisoning the registry.
 */
import type { StoreOperation, KeyValueStore } from '../store/types.ts';
import type { Logger } from '../util/log.ts';
import { serviceKey, PROTOCOLS } from './types.ts';
import type { InstanceOrigin, InstanceRecord, ServiceKey, ServiceRecord } from './types.ts';
import { isPlainObject, validateRegistration } from './validate.ts';

export const SERVICES_PREFIX = 'registry/services/';
export const INSTANCES_PREFIX = 'registry/instances/';
const ORIGINS: readonly InstanceOrigin[] = ['api', 'ads', 'file'];

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

/** Reads every persisted service and instance; invalid entries are logged and skipped. */
export async function loadState(store: KeyValueStore, log: Logger): Promise<LoadedState> {
  const services = new Map<ServiceKey, ServiceRecord>();
  const instances = new Map<ServiceKey, InstanceRecord[]>();
  for (const [key, value] of await store.list(SERVICES_PREFIX)) {
    const record = decodeService(value);
    if (record === undefined || serviceStoreKey(record.namespace, record.name) !== key) {
      log.warn('skipping invalid persisted service', { key });
      continue;
    }
    const skey = serviceKey(record.name, record.namespace);
    services.set(skey, record);
    instances.set(skey, []);
  }
  for (const [key, value] of await store.list(INSTANCES_PREFIX)) {
    const record = decodeInstance(value);
    if (record === undefined || instanceStoreKey(record.namespace, record.service, record.id) !== key) {
      log.warn('skipping invalid persisted instance', { key });
      continue;
    }
    const list = instances.get(serviceKey(record.service, record.namespace));
    if (list === undefined) {
      log.warn('skipping persisted instance of an unknown service', { key });
      continue;
    }
    list.push(record);
  }
  for (const list of instances.values()) list.sort((a, b) => compareIds(a.id, b.id));
  return { services, instances };
}

/** The order of instances within a service: by id, in UTF-16 code unit order. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeService(value: string): ServiceRecord | undefined {
  const parsed = parseJson(value);
  if (!isPlainObject(parsed)) return undefined;
  const { name, namespace, protocol } = parsed;
  const validated = validateRegistration({ service: name, namespace, address: '127.0.0.1', port: 1 });
  const knownProtocol = PROTOCOLS.find((p) => p === protocol);
  if (!validated.ok || knownProtocol === undefined || typeof name !== 'string' || typeof namespace !== 'string') {
    return undefined;
  }
  return { name, namespace, protocol: knownProtocol };
}

function decodeInstance(value: string): InstanceRecord | undefined {
  const parsed = parseJson(value);
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
