/**
 * Pure registry state transitions. A mutation is described as a Plan (store operations plus the
 * services and instance lists it replaces); `applyPlan` turns the current snapshot and a plan
 * into the next snapshot and the RegistryChange, copying only what the plan touches so unchanged
 * service records and instance arrays keep their object identity across revisions.
 */
import type { StoreOperation } from '../store/types.ts';
import { patchMap } from '../util/patched-map.ts';
import type { InstanceRecord, RegistryChange, RegistrySnapshot, ServiceKey, ServiceRecord } from './types.ts';

export interface Plan {
  readonly operations: StoreOperation[];
  /** Services created or redefined (a record) or deleted (undefined). */
  readonly services: Map<ServiceKey, ServiceRecord | undefined>;
  /** New instance lists (sorted by id) for services whose instances change. */
  readonly instances: Map<ServiceKey, readonly InstanceRecord[]>;
}

export function emptyPlan(): Plan {
  return { operations: [], services: new Map(), instances: new Map() };
}

/** A revision-0 snapshot of loaded state (instance lists must already be sorted by id). */
export function snapshotOf(
  services: ReadonlyMap<ServiceKey, ServiceRecord>,
  instances: ReadonlyMap<ServiceKey, readonly InstanceRecord[]>,
): RegistrySnapshot {
  const frozenServices = new Map<ServiceKey, ServiceRecord>();
  const frozenInstances = new Map<ServiceKey, readonly InstanceRecord[]>();
  for (const [key, record] of services) {
    frozenServices.set(key, Object.freeze({ ...record }));
    frozenInstances.set(key, Object.freeze((instances.get(key) ?? []).map(freezeInstance)));
  }
  return Object.freeze({ revision: 0, services: frozenServices, instances: frozenInstances });
}

/**
 * The snapshot after `plan`, and what changed; undefined when the plan changes nothing.
 * `servicesChanged` lists services created, deleted or redefined; `endpointsChanged` lists the
 * other services whose instances changed in anything but heartbeatAt (the two are disjoint). A
 * change with both lists empty touched only liveness data (heartbeats): routing is unaffected.
 */
export function applyPlan(
  current: RegistrySnapshot,
  plan: Plan,
): { snapshot: RegistrySnapshot; change: RegistryChange } | undefined {
  if (plan.operations.length === 0) return undefined;
  // Most plans change instances only (registrations, heartbeats): the service map is then kept
  // and the instance map patched copy-on-write, so an event costs O(changed services), not a
  // copy of both maps of the mesh.
  const servicesChanged = new Set<ServiceKey>();
  const deleted = new Set<ServiceKey>();
  const replacements = new Map<ServiceKey, readonly InstanceRecord[]>();
  let services = current.services;
  if (plan.services.size > 0) {
    const next = new Map(current.services);
    for (const [key, record] of plan.services) {
      if (record === undefined) {
        if (!next.delete(key)) continue;
        deleted.add(key);
      } else {
        const before = next.get(key);
        if (before !== undefined && before.protocol === record.protocol) continue;
        next.set(key, Object.freeze({ ...record }));
        if (!current.instances.has(key)) replacements.set(key, Object.freeze([]));
      }
      servicesChanged.add(key);
    }
    services = next;
  }
  const endpointsChanged: ServiceKey[] = [];
  for (const [key, list] of plan.instances) {
    if (!services.has(key)) continue;
    replacements.set(key, Object.freeze(list.map(freezeInstance)));
    if (!servicesChanged.has(key) && !sameRouting(current.instances.get(key) ?? [], list)) endpointsChanged.push(key);
  }
  const instances = (deleted.size === 0 ? patchMap(current.instances, replacements) : undefined) ?? rebuilt(current.instances, deleted, replacements);
  const revision = current.revision + 1;
  return {
    snapshot: Object.freeze({ revision, services, instances }),
    change: Object.freeze({ revision, endpointsChanged: endpointsChanged.sort(), servicesChanged: [...servicesChanged].sort() }),
  };
}

/** A new instance map: `base` without `deleted`, with `replacements` (in place, new keys last). */
function rebuilt<V>(base: ReadonlyMap<ServiceKey, V>, deleted: ReadonlySet<ServiceKey>, replacements: ReadonlyMap<ServiceKey, V>): Map<ServiceKey, V> {
  const next = new Map(base);
  for (const key of deleted) next.delete(key);
  for (const [key, value] of replacements) next.set(key, value);
  return next;
}

/** Freezes the record and its nested objects (already-frozen records are returned as they are). */
function freezeInstance(instance: InstanceRecord): InstanceRecord {
  if (Object.isFrozen(instance)) return instance;
  Object.freeze(instance.labels);
  Object.freeze(instance.ports);
  Object.freeze(instance.locality);
  return Object.freeze(instance);
}

/** The list with `instance` inserted or replacing the one with the same id, still sorted by id. */
export function upsertSorted(list: readonly InstanceRecord[], instance: InstanceRecord): InstanceRecord[] {
  const next = list.filter((i) => i.id !== instance.id);
  const at = next.findIndex((i) => i.id > instance.id);
  next.splice(at < 0 ? next.length : at, 0, instance);
  return next;
}

/** Same instances with the same routing-relevant fields (everything but heartbeatAt). */
function sameRouting(a: readonly InstanceRecord[], b: readonly InstanceRecord[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return y !== undefined && (x === y || routingJson(x) === routingJson(y));
  });
}

function routingJson(instance: InstanceRecord): string {
  const { heartbeatAt: _ignored, ...rest } = instance;
  return canonicalJson(rest);
}

/** JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` labels compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
