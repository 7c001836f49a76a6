/**
 * Registry snapshot → mesh model. For now every service gets one default cluster holding all its
 * instances (round robin, 1 s connect timeout) and one route `default` (prefix '/') to it.
 *
 * Identity reuse: a ServiceModel is reused unchanged (same object) when `previous` holds it and
 * the registry still has the same ServiceRecord and instance array objects, so later stages can
 * memoize per service by object identity and an unrelated change rebuilds nothing.
 */
import type { InstanceRecord, RegistrySnapshot, ServiceRecord } from '../registry/types.ts';
import { outboundClusterName } from './names.ts';
import type { ClusterModel, EndpointModel, MeshModel, RouteModel, ServiceKey, ServiceModel } from './types.ts';

const DEFAULT_CONNECT_TIMEOUT_MS = 1000;

interface BuiltFrom {
  readonly instances: readonly InstanceRecord[];
  readonly model: ServiceModel;
}

/**
 * Keyed by ServiceRecord rather than by instance array: a registry may share one frozen empty
 * array between services without instances, which would make array keys collide.
 */
const builtFrom = new WeakMap<ServiceRecord, BuiltFrom>();

const NO_INSTANCES: readonly InstanceRecord[] = [];

/** Builds the mesh model for `registry`, reusing ServiceModels of `previous` that did not change. */
export function buildMeshModel(registry: RegistrySnapshot, previous?: MeshModel): MeshModel {
  const keys = [...registry.services.keys()].sort();
  const services = new Map<ServiceKey, ServiceModel>();
  for (const key of keys) {
    const record = registry.services.get(key);
    if (!record) continue;
    const instances = registry.instances.get(key) ?? NO_INSTANCES;
    const cached = builtFrom.get(record);
    if (previous && cached && cached.instances === instances && previous.services.get(key) === cached.model) {
      services.set(key, cached.model);
      continue;
    }
    const model = buildServiceModel(key, record, instances);
    builtFrom.set(record, { instances, model });
    services.set(key, model);
  }
  return { revision: registry.revision, services };
}

/** One service's model from its record and instances (pure; exported for tests). */
export function buildServiceModel(
  key: ServiceKey,
  record: ServiceRecord,
  instances: readonly InstanceRecord[],
): ServiceModel {
  const endpoints = instances.map(endpointFrom);
  const defaultCluster: ClusterModel = {
    name: outboundClusterName(key),
    serviceKey: key,
    subset: '',
    protocol: record.protocol,
    endpoints,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    lbPolicy: 'round_robin',
  };
  const defaultRoute: RouteModel = {
    name: 'default',
    match: { pathPrefix: '/' },
    to: [{ cluster: defaultCluster.name, weight: 1 }],
  };
  return {
    key,
    name: record.name,
    namespace: record.namespace,
    protocol: record.protocol,
    port: mostCommonPort(instances),
    clusters: [defaultCluster],
    routes: [defaultRoute],
  };
}

function endpointFrom(instance: InstanceRecord): EndpointModel {
  return {
    instanceId: instance.id,
    address: instance.address,
    port: instance.port,
    weight: instance.weight,
    health: instance.health,
    locality: instance.locality,
    labels: instance.labels,
  };
}

/** The port most instances serve on; ties go to the lowest port; 0 with no instances. */
function mostCommonPort(instances: readonly InstanceRecord[]): number {
  const counts = new Map<number, number>();
  for (const instance of instances) counts.set(instance.port, (counts.get(instance.port) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [port, count] of counts) {
    if (count > bestCount || (count === bestCount && port < best)) {
      best = port;
      bestCount = count;
    }
  }
  return best;
}
