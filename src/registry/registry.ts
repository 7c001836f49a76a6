/**
 * The service registry: validated registrations, persisted one atomic batch per mutation before
 * memory changes, mutations serialized, immutable snapshots plus change events, TTL expiry and
 * delayed removal of instances registered by proxies over ADS.
 */
import type { KeyValueStore } from '../store/types.ts';
import { TrellisError } from '../util/errors.ts';
import type { Diagnostic } from '../util/errors.ts';
import { createLogger } from '../util/log.ts';
import type { Logger } from '../util/log.ts';
import { delInstance, delService, loadState, putInstance, putService } from './persistence.ts';
import { createSerialQueue } from './serial-queue.ts';
import { applyPlan, emptyPlan, snapshotOf, upsertSorted } from './state.ts';
import type { Plan } from './state.ts';
import { HEALTH_VALUES, serviceKey } from './types.ts';
import type {
  Health, InstanceOrigin, InstanceRecord, RegisterResult, Registry, RegistryListener, RegistrySnapshot,
  ServiceRecord,
} from './types.ts';
import { validateRegistration } from './validate.ts';

export interface RegistryOptions {
  readonly store: KeyValueStore;
  /** Epoch milliseconds; injectable so tests can drive TTLs with a fake clock. */
  readonly now?: () => number;
  readonly log?: Logger;
  /** Grace period given on startup to persisted 'ads' instances before they are removed (default 60 s). */
  readonly proxyStartupGraceMs?: number;
}

export const DEFAULT_PROXY_STARTUP_GRACE_MS = 60_000;

/**
 * Loads persisted state and returns a live Registry (contract on the Registry interface).
 * On load, TTL instances get a fresh TTL window (the control plane was down, so their
 * heartbeats could not arrive) and 'ads' instances get a fresh proxy grace period.
 */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? createLogger('registry');
  const queue = createSerialQueue();
  const listeners = new Set<RegistryListener>();
  const pendingRemovals = new Map<string, { timer: NodeJS.Timeout }>();
  const sweepers = new Set<NodeJS.Timeout>();
  let closed = false;

  const loaded = await loadState(store, log).catch((error: unknown) => {
    throw storeError('loading the registry', error);
  });
  const startedAt = now();
  for (const list of loaded.instances.values()) {
    list.forEach((instance, index) => {
      if (instance.ttlSeconds > 0 && instance.heartbeatAt < startedAt) {
        list[index] = { ...instance, heartbeatAt: startedAt };
      }
    });
  }
  let current: RegistrySnapshot = snapshotOf(loaded.services, loaded.instances);

  function findInstance(namespace: string, service: string, id: string): InstanceRecord | undefined {
    return current.instances.get(serviceKey(service, namespace))?.find((i) => i.id === id);
  }

  /** Persists the plan, then swaps the snapshot and notifies; false when it changes nothing. */
  async function commit(plan: Plan): Promise<boolean> {
    const next = applyPlan(current, plan);
    if (next === undefined) return false;
    try {
      await store.batch(plan.operations);
    } catch (error) {
      throw storeError('writing the registry', error);
    }
    current = next.snapshot;
    for (const listener of [...listeners]) {
      try {
        listener(next.change, current);
      } catch (error) {
        log.error('registry change listener failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    return true;
  }

  function mutate<T>(task: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new TrellisError('internal', 'the registry is closed'));
    return queue.run(task);
  }

  function removalPlan(instances: readonly InstanceRecord[]): Plan {
    const plan = emptyPlan();
    for (const instance of instances) {
      const key = serviceKey(instance.service, instance.namespace);
      const list = plan.instances.get(key) ?? current.instances.get(key) ?? [];
      plan.instances.set(key, list.filter((i) => i.id !== instance.id));
      plan.operations.push(delInstance(instance));
    }
    return plan;
  }

  function cancelRemoval(namespace: string, service: string, id: string): void {
    const key = removalKey(namespace, service, id);
    const pending = pendingRemovals.get(key);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    pendingRemovals.delete(key);
  }

  async function register(input: unknown, origin: InstanceOrigin): Promise<RegisterResult> {
    const validated = validateRegistration(input);
    if (!validated.ok) return validated;
    const v = validated.value;
    return mutate(async () => {
      const key = serviceKey(v.service, v.namespace);
      const existing = current.services.get(key);
      if (existing !== undefined && v.protocol !== undefined && v.protocol !== existing.protocol) {
        const diagnostic: Diagnostic = {
          severity: 'error',
          field: 'protocol',
          message: `service ${key} already has protocol ${existing.protocol}; this registration says ` +
            `${v.protocol} (omit protocol, or delete the service first to change it)`,
        };
        return { ok: false, diagnostics: [diagnostic] };
      }
      // Two instances at one address:port would be one endpoint listed twice: gRPC NACKs that.
      const sameEndpoint = (current.instances.get(key) ?? []).find((i) => i.id !== v.id && i.address === v.address && i.port === v.port);
      if (sameEndpoint !== undefined) {
        const diagnostic: Diagnostic = {
          severity: 'error',
          field: 'address',
          message: `${v.address} port ${v.port} is already registered in ${key} as instance "${sameEndpoint.id}" ` +
            `(re-register with id "${sameEndpoint.id}" to update it, or deregister it first)`,
        };
        return { ok: false, diagnostics: [diagnostic] };
      }
      const service: ServiceRecord = existing ?? { name: v.service, namespace: v.namespace, protocol: v.protocol ?? 'http' };
      const instance: InstanceRecord = {
        id: v.id, service: v.service, namespace: v.namespace, address: v.address, port: v.port, ports: v.ports,
        labels: v.labels, locality: v.locality, weight: v.weight, health: v.health, ttlSeconds: v.ttlSeconds,
        heartbeatAt: now(), origin,
      };
      const plan = emptyPlan();
      if (existing === undefined) {
        plan.services.set(key, service);
        plan.operations.push(putService(service));
      }
      plan.instances.set(key, upsertSorted(current.instances.get(key) ?? [], instance));
      plan.operations.push(putInstance(instance));
      await commit(plan);
      // The instance is back (or was replaced), so a pending proxy removal no longer applies.
      cancelRemoval(v.namespace, v.service, v.id);
      return { ok: true, instance: findInstance(v.namespace, v.service, v.id) ?? instance };
    });
  }

  async function updateInstance(namespace: string, service: string, id: string,
    change: (instance: InstanceRecord) => InstanceRecord): Promise<InstanceRecord> {
    return mutate(async () => {
      const instance = findInstance(namespace, service, id);
      if (instance === undefined) {
        throw new TrellisError('not-found', `no instance ${id} in service ${serviceKey(service, namespace)}`);
      }
      const updated = change(instance);
      const key = serviceKey(service, namespace);
      const plan = emptyPlan();
      plan.instances.set(key, upsertSorted(current.instances.get(key) ?? [], updated));
      plan.operations.push(putInstance(updated));
      await commit(plan);
      return findInstance(namespace, service, id) ?? updated;
    });
  }

  async function sweepExpired(): Promise<number> {
    return mutate(async () => {
      const at = now();
      const expired: InstanceRecord[] = [];
      for (const list of current.instances.values()) {
        for (const i of list) if (i.ttlSeconds > 0 && at - i.heartbeatAt > i.ttlSeconds * 1000) expired.push(i);
      }
      if (expired.length === 0) return 0;
      await commit(removalPlan(expired));
      log.info('removed instances whose TTL expired', { count: expired.length });
      return expired.length;
    });
  }

  function scheduleProxyRemoval(namespace: string, service: string, id: string, graceMs: number): void {
    if (closed) return;
    cancelRemoval(namespace, service, id);
    const key = removalKey(namespace, service, id);
    const entry = {
      timer: setTimeout(() => {
        mutate(async () => {
          // Re-registration (or a newer schedule) replaced or deleted this entry: keep the instance.
          if (pendingRemovals.get(key) !== entry) return;
          pendingRemovals.delete(key);
          const instance = findInstance(namespace, service, id);
          if (instance === undefined || instance.origin !== 'ads') return;
          await commit(removalPlan([instance]));
          log.info('removed proxy instance after its grace period', { service: serviceKey(service, namespace), id });
        }).catch((error: unknown) => {
          log.error('proxy instance removal failed', { id, error: error instanceof Error ? error.message : String(error) });
        });
      }, Math.max(0, graceMs)),
    };
    entry.timer.unref();
    pendingRemovals.set(key, entry);
  }

  for (const list of current.instances.values()) {
    for (const i of list) {
      if (i.origin === 'ads') {
        scheduleProxyRemoval(i.namespace, i.service, i.id, options.proxyStartupGraceMs ?? DEFAULT_PROXY_STARTUP_GRACE_MS);
      }
    }
  }

  return {
    register,
    registerFromProxy: (input) => register(input, 'ads'),
    deregister: (namespace, service, id) =>
      mutate(async () => {
        const instance = findInstance(namespace, service, id);
        if (instance === undefined) return false;
        await commit(removalPlan([instance]));
        return true;
      }),
    deleteService: (namespace, service) =>
      mutate(async () => {
        const key = serviceKey(service, namespace);
        const record = current.services.get(key);
        if (record === undefined) return false;
        const plan = emptyPlan();
        plan.services.set(key, undefined);
        plan.operations.push(delService(record));
        for (const instance of current.instances.get(key) ?? []) plan.operations.push(delInstance(instance));
        await commit(plan);
        return true;
      }),
    heartbeat: (namespace, service, id) =>
      updateInstance(namespace, service, id, (instance) => ({ ...instance, heartbeatAt: now() })),
    setHealth: (namespace, service, id, health: Health) => {
      if (!HEALTH_VALUES.includes(health)) {
        return Promise.reject(new TrellisError('internal', `health must be one of ${HEALTH_VALUES.join(', ')}`));
      }
      return updateInstance(namespace, service, id, (instance) => ({ ...instance, health }));
    },
    snapshot: () => current,
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    sweepExpired,
    startTtlSweeper(intervalMs) {
      const timer = setInterval(() => {
        if (closed) return;
        sweepExpired().catch((error: unknown) => {
          log.error('TTL sweep failed', { error: error instanceof Error ? error.message : String(error) });
        });
      }, intervalMs);
      timer.unref();
      sweepers.add(timer);
      return () => {
        clearInterval(timer);
        sweepers.delete(timer);
      };
    },
    scheduleProxyRemoval,
    async close() {
      closed = true;
      for (const timer of sweepers) clearInterval(timer);
      sweepers.clear();
      for (const { timer } of pendingRemovals.values()) clearTimeout(timer);
      pendingRemovals.clear();
      await queue.idle();
    },
  };
}

function removalKey(namespace: string, service: string, id: string): string {
  return `${namespace}/${service}/${id}`;
}

function storeError(what: string, error: unknown): TrellisError {
  if (error instanceof TrellisError && error.kind === 'store') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TrellisError('store', `${what} failed: ${message}`, { cause: error });
}
