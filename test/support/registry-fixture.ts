/**
 * Builds RegistrySnapshot objects directly from plain test data, shaped like the registry API's
 * input (service, namespace, address, port, labels, locality, weight, health, protocol, id), with
 * the API's defaults. Independent of the registry module on purpose: translation tests must not
 * break when registry internals change.
 */
import type { Health, InstanceRecord, Locality, Protocol, RegistrySnapshot, ServiceRecord } from '../../src/registry/types.ts';
import { serviceKey } from '../../src/registry/types.ts';

export interface FixtureService {
  readonly name: string;
  readonly namespace?: string;
  readonly protocol?: Protocol;
}

export interface FixtureInstance {
  readonly service: string;
  readonly namespace?: string;
  readonly address: string;
  readonly port: number;
  readonly id?: string;
  readonly labels?: Record<string, string>;
  readonly locality?: Partial<Locality>;
  readonly weight?: number;
  readonly health?: Health;
  readonly protocol?: Protocol;
}

export interface FixtureRegistry {
  readonly revision?: number;
  readonly services?: readonly FixtureService[];
  readonly instances?: readonly FixtureInstance[];
}

/** One InstanceRecord with the registry API's defaults filled in. */
export function instanceRecord(input: FixtureInstance): InstanceRecord {
  return {
    id: input.id ?? `${input.address}:${input.port}`,
    service: input.service,
    namespace: input.namespace ?? 'default',
    address: input.address,
    port: input.port,
    ports: {},
    labels: input.labels ?? {},
    locality: { region: input.locality?.region ?? '', zone: input.locality?.zone ?? '', subZone: input.locality?.subZone ?? '' },
    weight: input.weight ?? 1,
    health: input.health ?? 'healthy',
    ttlSeconds: 0,
    heartbeatAt: 0,
    origin: 'file',
  };
}

/**
 * A registry snapshot: declared services (protocol default http) plus services implied by
 * instances (protocol from the first instance naming one); instances sorted by id per service.
 */
export function registryFixture(input: FixtureRegistry): RegistrySnapshot {
  const services = new Map<string, ServiceRecord>();
  const instances = new Map<string, InstanceRecord[]>();
  const declare = (name: string, namespace: string, protocol: Protocol | undefined): string => {
    const key = serviceKey(name, namespace);
    if (!services.has(key)) {
      services.set(key, { name, namespace, protocol: protocol ?? 'http' });
      instances.set(key, []);
    }
    return key;
  };
  for (const s of input.services ?? []) declare(s.name, s.namespace ?? 'default', s.protocol);
  for (const i of input.instances ?? []) {
    const record = instanceRecord(i);
    instances.get(declare(record.service, record.namespace, i.protocol))?.push(record);
  }
  for (const list of instances.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { revision: input.revision ?? 1, services, instances };
}
