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
 */
import { DEFAULT_TRUST_DOMAIN } from '../ca/types.ts';
import type { ConfigLookup, EffectiveAuthorization, EffectiveServiceConfig } from '../config/types.ts';
import type { InstanceRecord, RegistrySnapshot, ServiceRecord } from '../registry/types.ts';
import type { Diagnostic } from '../util/errors.ts';
import { authorizationModel } from './authorization.ts';
import { buildConfiguredServiceModel, unresolvedTargets } from './service-model.ts';
import type { MeshModel, ServiceKey, ServiceModel } from './types.ts';

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
    const record = registry.services.get(key);
    const e = effective.get(key);
    const identity: object | undefined = record ?? e;
    if (!identity) continue;
    const instances = registry.instances.get(key) ?? NO_INSTANCES;
    const authorization = config?.authorizationFor(key);
    const unresolved = e ? unresolvedTargets(key, e.settings, known).join(',') : '';
    const cached = builtFrom.get(identity);
    let model: ServiceModel;
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
      model = cached.model;
    } else {
      const authz = authorizationModel(key, authorization, trustDomain);
      model = buildConfiguredServiceModel(key, record, instances, e?.settings, known, trustDomain, authz);
      builtFrom.set(identity, { trustDomain, instances, config: e, authorization, unresolved, model });
    }
    services.set(key, model);
    if (model.diagnostics) diagnostics.push(...model.diagnostics);
  }
  const base = { revision: registry.revision, trustDomain, services };
  return diagnostics.length > 0 ? { ...base, diagnostics } : base;
}
