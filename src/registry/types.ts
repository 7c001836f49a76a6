/**
 * Registry data: what is running where. Plain, serializable values; the registry module owns
 * mutation and persistence, every later stage only reads snapshots of it.
 */

import type { Diagnostic } from '../util/errors.ts';

export type Protocol = 'http' | 'grpc' | 'tcp';
export const PROTOCOLS: readonly Protocol[] = ['http', 'grpc', 'tcp'];

export type Health = 'healthy' | 'unhealthy' | 'draining' | 'unknown';
export const HEALTH_VALUES: readonly Health[] = ['healthy', 'unhealthy', 'draining', 'unknown'];

/** Where an instance came from: the HTTP API or CLI, a proxy's own ADS connection, or an example file. */
export type InstanceOrigin = 'api' | 'ads' | 'file';

/** Region/zone/sub-zone; an empty string means unknown. */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** `name.namespace`: how services are keyed everywhere in Trellis. */
export type ServiceKey = string;

export function serviceKey(name: string, namespace: string): ServiceKey {
  return `${name}.${namespace}`;
}

/** A service exists from its first registration until it is deleted, even with no instances. */
export interface ServiceRecord {
  readonly name: string;
  readonly namespace: string;
  readonly protocol: Protocol;
}

export interface InstanceRecord {
  /** Unique within its service; defaults to `address:port`. */
  readonly id: string;
  readonly service: string;
  readonly namespace: string;
  /** An IP literal (proxyless gRPC clients accept nothing else). */
  readonly address: string;
  /** The serving port. */
  readonly port: number;
  /** Further named ports (metrics, admin, ...), kept for operators; translation uses `port`. */
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  /** Load-balancing weight, 1..128. */
  readonly weight: number;
  readonly health: Health;
  /** 0 means no TTL; otherwise the instance is removed when no heartbeat came for this long. */
  readonly ttlSeconds: number;
  /** Epoch milliseconds of registration or the last heartbeat. */
  readonly heartbeatAt: number;
  readonly origin: InstanceOrigin;
}

/** An immutable view of the whole registry at one revision. */
export interface RegistrySnapshot {
  /** Increases by one with every committed change. */
  readonly revision: number;
  readonly services: ReadonlyMap<ServiceKey, ServiceRecord>;
  /** Instances per service, sorted by id. Services with no instances map to an empty array. */
  readonly instances: ReadonlyMap<ServiceKey, readonly InstanceRecord[]>;
}

/** What changed between two registry revisions, so later stages recompute only that. */
export interface RegistryChange {
  readonly revision: number;
  /** Services whose instances changed (endpoint-only changes). */
  readonly endpointsChanged: readonly ServiceKey[];
  /** Services created, deleted, or whose definition (protocol) changed. */
  readonly servicesChanged: readonly ServiceKey[];
}

/** The outcome of a registration: the stored instance, or what was wrong with the input. */
export type RegisterResult =
  | { readonly ok: true; readonly instance: InstanceRecord }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Receives every committed change with the snapshot after it. */
export type RegistryListener = (change: RegistryChange, snapshot: RegistrySnapshot) => void;

/**
 * The service registry (created by `createRegistry` in registry.ts). Every mutation is persisted
 * in one atomic store batch before memory changes and listeners fire, and mutations run one at a
 * time. Input problems are returned as diagnostics; store failures reject with TrellisError
 * kind 'store'; unknown instances reject with kind 'not-found' where noted.
 */
export interface Registry {
  /** Validates plain JSON input and upserts the instance (same id replaces it). */
  register(input: unknown, origin: InstanceOrigin): Promise<RegisterResult>;
  /** `register(input, 'ads')`, also cancelling a pending proxy removal of that instance. */
  registerFromProxy(input: unknown): Promise<RegisterResult>;
  /** Resolves false when there was no such instance. */
  deregister(namespace: string, service: string, id: string): Promise<boolean>;
  /** Removes the service and all its instances; resolves false when there was no such service. */
  deleteService(namespace: string, service: string): Promise<boolean>;
  /** Refreshes heartbeatAt; rejects with kind 'not-found' for an unknown instance. */
  heartbeat(namespace: string, service: string, id: string): Promise<InstanceRecord>;
  /** Sets the health; rejects with kind 'not-found' for an unknown instance. */
  setHealth(namespace: string, service: string, id: string, health: Health): Promise<InstanceRecord>;
  /** The current immutable snapshot. */
  snapshot(): RegistrySnapshot;
  /** Subscribes to committed changes; returns the unsubscribe function. */
  onChange(listener: RegistryListener): () => void;
  /** Removes instances whose TTL ran out (one batch, one change); resolves to how many. */
  sweepExpired(): Promise<number>;
  /** Runs `sweepExpired` every `intervalMs` until the returned stop function (or close) is called. */
  startTtlSweeper(intervalMs: number): () => void;
  /** Removes an 'ads' instance after `graceMs` unless it re-registers (or is re-registered) first. */
  scheduleProxyRemoval(namespace: string, service: string, id: string, graceMs: number): void;
  /** Stops timers and waits for queued mutations; does not close the store. */
  close(): Promise<void>;
}
