/**
 * Effective service settings → the service's RouteModels. Each route value (timeout, retries,
 * fault, mirror, headers) falls back to the service-level value when the route leaves it unset;
 * retries merge field by field (a route may set only `attempts`). Targets resolve to cluster
 * names (`outbound|<key>` or `outbound|<key>|<subset>`); a target naming a service or subset the
 * mesh does not have is dropped with a diagnostic, and a route left with no target is dropped.
 */
import type {
  FaultSpec,
  HeaderMatchSpec,
  HeaderMutationSpec,
  MirrorSpec,
  RetrySpec,
  RouteSpec,
  RouteTargetSpec,
  ServiceSettings,
} from '../config/types.ts';
import type { Diagnostic } from '../util/errors.ts';
import { outboundClusterName } from './names.ts';
import type {
  FaultModel,
  HeaderMatchModel,
  HeaderMutationModel,
  Protocol,
  RetryModel,
  RouteMatchModel,
  RouteModel,
  ServiceKey,
  WeightedClusterModel,
} from './types.ts';

/** Subset names per service: every service the model will hold, with the subsets it declares. */
export type KnownClusters = ReadonlyMap<ServiceKey, ReadonlySet<string>>;

export interface RoutesResult {
  readonly routes: RouteModel[];
  /** Other services the routes send to (targets, mirrors), sorted. */
  readonly referencedServices: ServiceKey[];
  readonly diagnostics: Diagnostic[];
  /** Every target or mirror that could not be resolved, as `service|subset`: part of the reuse key. */
  readonly unresolved: string[];
}

/** Retry conditions when `retries.on` is unset: connection failures, plus what fits the protocol. */
const DEFAULT_RETRY_ON: Readonly<Record<Protocol, readonly string[]>> = {
  http: ['5xx', 'reset', 'connect-failure'],
  grpc: ['unavailable', 'reset', 'connect-failure'],
  tcp: ['reset', 'connect-failure'],
};

/** The routes of service `key` from its effective `settings` (pure). */
export function routesFromSettings(key: ServiceKey, protocol: Protocol, settings: ServiceSettings, known: KnownClusters): RoutesResult {
  const diagnostics: Diagnostic[] = [];
  const referenced = new Set<ServiceKey>();
  const unresolved: string[] = [];
  const source = `service ${key}`;
  const resolve = (target: { readonly service?: string; readonly subset?: string }, field: string): { cluster: string } | undefined => {
    const service = normalizeServiceKey(target.service, key);
    const subset = target.subset ?? '';
    const subsets = known.get(service);
    const problem =
      subsets === undefined ? `service ${service} is not in the mesh` : subset !== '' && !subsets.has(subset) ? `service ${service} has no subset ${JSON.stringify(subset)}` : '';
    if (problem !== '') {
      unresolved.push(`${service}|${subset}`);
      diagnostics.push({ severity: 'warning', field, message: `${problem}; target dropped`, source });
      return undefined;
    }
    if (service !== key) referenced.add(service);
    return { cluster: outboundClusterName(service, subset) };
  };

  const specs: readonly RouteSpec[] = settings.routes ?? [{ name: 'default', to: [{}] }];
  const routes: RouteModel[] = [];
  specs.forEach((spec, i) => {
    const field = settings.routes ? `routes[${i}]` : 'routes';
    const to: WeightedClusterModel[] = [];
    spec.to.forEach((target: RouteTargetSpec, j) => {
      const resolved = resolve(target, `${field}.to[${j}]`);
      // A single unweighted target gets weight 1; a split keeps the weights as written.
      if (resolved) to.push({ cluster: resolved.cluster, weight: target.weight ?? 1 });
    });
    if (to.length === 0 || to.every((t) => t.weight <= 0)) {
      diagnostics.push({ severity: 'warning', field, message: 'no usable target; route dropped', source });
      return;
    }
    const mirrorSpec: MirrorSpec | undefined = spec.mirror ?? settings.mirror;
    const mirrorTarget = mirrorSpec && mirrorSpec.percent > 0 ? resolve(mirrorSpec, spec.mirror ? `${field}.mirror` : 'mirror') : undefined;
    const retry = retryModel(mergeRetry(settings.retries, spec.retries), protocol);
    const fault = faultModel(spec.fault ?? settings.fault);
    const headers = headerModel(spec.headers ?? settings.headers);
    const timeoutMs = spec.timeout ?? settings.timeout;
    const hashHeader = settings.loadBalancer?.policy === 'ring_hash' ? settings.loadBalancer.hashHeader : undefined;
    routes.push({
      name: spec.name ?? (settings.routes ? `route-${i}` : 'default'),
      match: matchModel(spec),
      to,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(retry ? { retry } : {}),
      ...(fault ? { fault } : {}),
      ...(mirrorTarget && mirrorSpec ? { mirror: { cluster: mirrorTarget.cluster, percent: mirrorSpec.percent } } : {}),
      ...(headers ? { headers } : {}),
      ...(hashHeader !== undefined && hashHeader !== '' ? { hashHeader } : {}),
    });
  });
  return { routes, referencedServices: [...referenced].sort(), diagnostics, unresolved };
}

/** `name.namespace` as written, or a bare name resolved in the own service's namespace. */
export function normalizeServiceKey(service: string | undefined, ownKey: ServiceKey): ServiceKey {
  if (service === undefined || service === '') return ownKey;
  if (service.includes('.')) return service;
  return `${service}.${ownKey.slice(ownKey.indexOf('.') + 1)}`;
}

function matchModel(spec: RouteSpec): RouteMatchModel {
  const m = spec.match;
  const base: RouteMatchModel = m?.path !== undefined ? { path: m.path } : { pathPrefix: m?.pathPrefix ?? '/' };
  const headers = Object.entries(m?.headers ?? {}).map(([name, h]) => headerMatch(name, h));
  return headers.length > 0 ? { ...base, headers } : base;
}

function headerMatch(name: string, spec: HeaderMatchSpec): HeaderMatchModel {
  if (typeof spec === 'string') return { name, exact: spec };
  if (spec.exact !== undefined) return { name, exact: spec.exact };
  if (spec.prefix !== undefined) return { name, prefix: spec.prefix };
  if (spec.regex !== undefined) return { name, regex: spec.regex };
  return { name, present: spec.present ?? true };
}

function mergeRetry(service: RetrySpec | undefined, route: RetrySpec | undefined): RetrySpec | undefined {
  if (!service) return route;
  if (!route) return service;
  return { ...service, ...route };
}

/** No model for attempts 0 (gRPC rejects num_retries 0, and it means "no retries" anyway). */
function retryModel(spec: RetrySpec | undefined, protocol: Protocol): RetryModel | undefined {
  if (!spec || spec.attempts === undefined || spec.attempts < 1) return undefined;
  const on = spec.on && spec.on.length > 0 ? spec.on : DEFAULT_RETRY_ON[protocol];
  return { attempts: spec.attempts, on, ...(spec.perTryTimeout !== undefined ? { perTryTimeoutMs: spec.perTryTimeout } : {}) };
}

function faultModel(spec: FaultSpec | undefined): FaultModel | undefined {
  if (!spec) return undefined;
  const abort = spec.abort && (spec.abort.httpStatus !== undefined || spec.abort.grpcStatus !== undefined) ? spec.abort : undefined;
  // A zero delay injects nothing (and Envoy requires a positive fixed_delay).
  const delay = spec.delay && spec.delay.fixed > 0 ? { percent: spec.delay.percent, fixedMs: spec.delay.fixed } : undefined;
  if (!abort && !delay) return undefined;
  return { ...(abort ? { abort } : {}), ...(delay ? { delay } : {}) };
}

function headerModel(spec: HeaderMutationSpec | undefined): HeaderMutationModel | undefined {
  if (!spec || (!spec.request && !spec.response)) return undefined;
  return { ...(spec.request ? { request: spec.request } : {}), ...(spec.response ? { response: spec.response } : {}) };
}
