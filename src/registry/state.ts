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
  if (plan.services.size === 0) return applyInstancesOnly(current, plan);
  const services = new Map(current.services);
  const instances = new Map(current.instances);
  const servicesChanged = new Set<ServiceKey>();
  for (const [key, record] of plan.services) {
    if (record === undefined) {
      if (!services.delete(key)) continue;
      instances.delete(key);
    } else {
      const before = services.get(key);
      if (before !== undefined && before.protocol === record.protocol) continue;
      services.set(key, Object.freeze({ ...record }));
      if (!instances.has(key)) instances.set(key, Object.freeze([]));
    }
    servicesChanged.add(key);
  }
  const endpointsChanged: ServiceKey[] = [];
  for (const [key, list] of plan.instances) {
    if (!services.has(key)) continue;
    const before = instances.get(key) ?? [];
    instances.set(key, Object.freeze(list.map(freezeInstance)));
    if (!servicesChanged.has(key) && !sameRouting(before, list)) endpointsChanged.push(key);
  }
  const revision = current.revision + 1;
  return {
    snapshot: Object.freeze({ revision, services, instances }),
    change: Object.freeze({ revision, endpointsChanged: [...endpointsChanged].sort(), servicesChanged: [...servicesChanged].sort() }),
  };
}

/**
 * `applyPlan` for a plan that changes only instances (registrations, deregistrations, heartbeats):
 * the service map is kept and the instance map patched copy-on-write, so a registration costs
 * O(changed services), not O(mesh) (a copy of both maps of a 10k-service mesh on every event).
 */
function applyInstancesOnly(current: RegistrySnapshot, plan: Plan): { snapshot: RegistrySnapshot; change: RegistryChange } {
  const replacements: [ServiceKey, readonly InstanceRecord[]][] = [];
  const endpointsChanged: ServiceKey[] = [];
  for (const [key, list] of plan.instances) {
    if (!current.services.has(key)) continue;
    const frozen = Object.freeze(list.map(freezeInstance));
    replacements.push([key, frozen]);
    if (!sameRouting(current.instances.get(key) ?? [], list)) endpointsChanged.push(key);
  }
  const instances =
    patchMap(current.instances, replacements) ??
    new Map([...current.instances, ...replacements]);
  const revision = current.revision + 1;
  return {
    snapshot: Object.freeze({ revision, services: current.services, instances }),
    change: Object.freeze({ revision, endpointsChanged: endpointsChanged.sort(), servicesChanged: [] }),
  };
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
