/**
 * Registry snapshot (+ effective config) → mesh model.
 *
 * Without config every service gets one default cluster of all its instances (round robin, 1 s
 * connect timeout) and one route `default` (prefix '/') to it: the behaviour before layered
 * config. With a ConfigLookup, services named only by config exist too (no instances), and each
 * service's effective settings shape its protocol, subset clusters, cluster policies, routes,
 * dependencies, inbound rate limit and mTLS mode (see service-model.ts), and its authorization
 * rules become matchers (authorization.ts). Every service gets the
 * SPIFFE id `spiffe://<trust domain>/ns/<namespace>/sa/<name>`.
 *
 * Identity reuse: a ServiceModel is reused unchanged (same object) when `previous` holds it and
 * the registry still has the same ServiceRecord and instance array objects, the lookup returns
 * the same EffectiveServiceConfig and EffectiveAuthorization objects, and the targets its routes could not resolve are the
 * same; so later stages can memoize per service by object identity and an unrelated change
 * rebuilds nothing.
 *
 * Endpoint-only changes: `updateMeshModel` rebuilds just the named services and shares the rest
 * of the previous model (its services map is patched copy-on-write), so its cost does not grow
 * with the mesh; its result equals what `buildMeshModel` would return.
 */
import { DEFAULT_TRUST_DOMAIN } from '../ca/types.ts';
import { sameTree } from '../util/same-tree.ts';
import type { ConfigLookup, EffectiveAuthorization, EffectiveServiceConfig } from '../config/types.ts';
import type { InstanceRecord, RegistrySnapshot, ServiceRecord } from '../registry/types.ts';
import type { Diagnostic } from '../util/errors.ts';
import { authorizationModel } from './authorization.ts';
import { buildConfiguredServiceModel, unresolvedTargets } from './service-model.ts';
import type { MeshModel, ServiceKey, ServiceModel } from './types.ts';
import { patchMap } from '../util/patched-map.ts';

export { buildServiceModel } from './service-model.ts';

interface BuiltFrom {
  readonly trustDomain: string;
  readonly instances: readonly InstanceRecord[];
  readonly config: EffectiveServiceConfig | undefined;
  readonly authorization: EffectiveAuthorization | undefined;
  readonly unresolved: string;
  readonly model: ServiceModel;
}

/**
 * Keyed by ServiceRecord (or, for a service known only from config, by its effective config
 * object) rather than by instance array: a registry may share one frozen empty array between
 * services without instances, which would make array keys collide.
 */
const builtFrom = new WeakMap<object, BuiltFrom>();

const NO_INSTANCES: readonly InstanceRecord[] = [];

/** Options of a model build that come from the control plane itself rather than registry or config. */
export interface MeshModelOptions {
  /** SPIFFE trust domain of every identity (default DEFAULT_TRUST_DOMAIN, `trellis.local`). */
  readonly trustDomain?: string;
}

/** What a full build computed from the config lookup, so an endpoint-only update need not redo it. */
interface BuildContext {
  readonly config: ConfigLookup | undefined;
  readonly trustDomain: string;
  readonly known: ReadonlyMap<ServiceKey, ReadonlySet<string>>;
  readonly registryServices: RegistrySnapshot['services'];
}

const contexts = new WeakMap<MeshModel, BuildContext>();

/** The ServiceModel of `key`: the cached one when nothing it was built from changed (see the module comment). */
function serviceModelFor(
  key: ServiceKey,
  registry: RegistrySnapshot,
  previous: MeshModel | undefined,
  config: ConfigLookup | undefined,
  e: EffectiveServiceConfig | undefined,
  known: ReadonlyMap<ServiceKey, ReadonlySet<string>>,
  trustDomain: string,
): ServiceModel | undefined {
  const record = registry.services.get(key);
  const identity: object | undefined = record ?? e;
  if (!identity) return undefined;
  const instances = registry.instances.get(key) ?? NO_INSTANCES;
  const authorization = config?.authorizationFor(key);
  const unresolved = e ? unresolvedTargets(key, e.settings, known).join(',') : '';
  const cached = builtFrom.get(identity);
  if (
    previous &&
    cached &&
    cached.trustDomain === trustDomain &&
    cached.instances === instances &&
    cached.config === e &&
    cached.authorization === authorization &&
    cached.unresolved === unresolved &&
    previous.services.get(key) === cached.model
  ) {
    return cached.model;
  }
  const authz = authorizationModel(key, authorization, trustDomain);
  const built = buildConfiguredServiceModel(key, record, instances, e?.settings, known, trustDomain, authz);
  const model = keepEqualClusters(previous?.services.get(key), built);
  builtFrom.set(identity, { trustDomain, instances, config: e, authorization, unresolved, model });
  return model;
}

/**
 * `next` with each cluster equal to one of `previous` replaced by that object. A config change
 * that touches a service's routes only (a default timeout, say) then leaves its clusters, and so
 * their translated and encoded Clusters and ClusterLoadAssignments, untouched.
 */
function keepEqualClusters(previous: ServiceModel | undefined, next: ServiceModel): ServiceModel {
  if (!previous || previous.clusters.length === 0) return next;
  const before = new Map(previous.clusters.map((c) => [c.name, c] as const));
  let reused = 0;
  const clusters = next.clusters.map((cluster) => {
    const old = before.get(cluster.name);
    if (old && sameTree(old, cluster)) {
      reused += 1;
      return old;
    }
    return cluster;
  });
  return reused === 0 ? next : { ...next, clusters };
}

/** Builds the mesh model for `registry` and `config`, reusing ServiceModels of `previous` that did not change. */
export function buildMeshModel(registry: RegistrySnapshot, previous?: MeshModel, config?: ConfigLookup, options?: MeshModelOptions): MeshModel {
  const trustDomain = options?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const keySet = new Set(registry.services.keys());
  if (config) for (const key of config.configuredServices()) keySet.add(key);
  const keys = [...keySet].sort();

  const effective = new Map<ServiceKey, EffectiveServiceConfig>();
  const known = new Map<ServiceKey, ReadonlySet<string>>();
  for (const key of keys) {
    const e = config?.forService(key);
    if (e) effective.set(key, e);
    known.set(key, new Set(Object.keys(e?.settings.subsets ?? {})));
  }

  const services = new Map<ServiceKey, ServiceModel>();
  const diagnostics: Diagnostic[] = [];
  for (const key of keys) {
    const model = serviceModelFor(key, registry, previous, config, effective.get(key), known, trustDomain);
    if (!model) continue;
    services.set(key, model);
    if (model.diagnostics) diagnostics.push(...model.diagnostics);
  }
  const base = { revision: registry.revision, trustDomain, services };
  const built: MeshModel = diagnostics.length > 0 ? { ...base, diagnostics } : base;
  contexts.set(built, { config, trustDomain, known, registryServices: registry.services });
  return built;
}

/**
 * The model after only the instances of `changed` services changed in `registry` (no service
 * created, deleted or redefined, the same config lookup and trust domain as `previous` was built
 * with). Costs O(changed), not O(services). Returns undefined when that does not hold (or
 * diagnostics could change), so the caller falls back to `buildMeshModel`.
 */
export function updateMeshModel(
  previous: MeshModel,
  registry: RegistrySnapshot,
  changed: readonly ServiceKey[],
  config?: ConfigLookup,
  options?: MeshModelOptions,
): MeshModel | undefined {
  const context = contexts.get(previous);
  const trustDomain = options?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  if (!context || context.config !== config || context.trustDomain !== trustDomain) return undefined;
  // Same service records map (or the same size with the same records for the changed keys): no service came or went.
  if (registry.services !== context.registryServices && registry.services.size !== context.registryServices.size) return undefined;
  const replacements: Array<readonly [ServiceKey, ServiceModel]> = [];
  for (const key of new Set(changed)) {
    const before = previous.services.get(key);
    const record = registry.services.get(key);
    if (!before || !record || record !== context.registryServices.get(key)) return undefined;
    const model = serviceModelFor(key, registry, previous, config, config?.forService(key), context.known, trustDomain);
    // Diagnostics are collected model-wide in key order: leave any change there to a full build.
    if (!model || before.diagnostics !== undefined || model.diagnostics !== undefined) return undefined;
    if (model !== before) replacements.push([key, model]);
  }
  const services = replacements.length === 0 ? previous.services : patchMap(previous.services, replacements);
  if (!services) return undefined;
  const next: MeshModel = { ...previous, revision: registry.revision, services };
  contexts.set(next, { ...context, registryServices: registry.services });
  return next;
}
