/**
 * Snapshot consistency: what a proxy needs to warm every resource it is given. Checked before a
 * snapshot is published (a failure keeps the last good one): every EDS cluster has its
 * ClusterLoadAssignment, every RDS name its RouteConfiguration, every scope (SRDS) the
 * RouteConfiguration it names, every cluster named by a route (target or mirror) or tcp_proxy
 * exists, and names are unique per type. Scope keys are unique (Envoy refuses an SRDS update
 * with two scopes of one key), and scoped HCMs take their route configurations from RDS and all
 * carry the same `scoped_routes` name: SRDS is a wildcard subscription, so every scoped HCM of a
 * proxy receives every scope.
 */
import { messageNameOf, TypeUrl } from '../type-urls.ts';
import { anyTypeName, TCP_PROXY_TYPE } from './envoy-values.ts';
import { HCM_TYPE } from './http-connection-manager.ts';

/** Resources by type URL as translation produces them (plain objects). */
export type ResourcesByType = Partial<Record<TypeUrl, ReadonlyArray<{ readonly name: string; readonly value: object }>>>;

/**
 * What one resource needs from the others of its proxy, and what is wrong with it alone. Read
 * once per resource object (memoized resources are shared by many views), so checking a view
 * is set lookups only. Most resources need nothing, and share the empty lists.
 */
interface Refs {
  readonly name: string;
  /** How problems name this resource: `cluster`, `route configuration`, `scope`, `listener`. */
  readonly kind: string;
  /** Cluster: the CLA an EDS cluster waits for. */
  readonly edsName?: string;
  /** Clusters named by routes (targets, mirrors) and tcp_proxy filters. */
  readonly clusters: readonly string[];
  /** Route configurations named by RDS or by a scope. */
  readonly routeConfigs: readonly string[];
  /** A scope's key (JSON of its fragments). */
  readonly scopeKey?: string;
  /** Listener: the scoped_routes names of its HCMs. */
  readonly scopedNames: readonly string[];
  readonly problems: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);
const refsCache = new WeakMap<object, Refs>();

function routeConfigClusters(routeConfig: Record<string, unknown> | undefined, into: string[]): void {
  for (const vhost of list(routeConfig?.['virtual_hosts'])) {
    for (const route of list(record(vhost)?.['routes'])) {
      const action = record(record(route)?.['route']);
      if (!action) continue;
      const single = stringField(action, 'cluster');
      if (single) into.push(single);
      for (const weighted of list(record(action['weighted_clusters'])?.['clusters'])) into.push(stringField(record(weighted), 'name'));
      for (const mirror of list(action['request_mirror_policies'])) into.push(stringField(record(mirror), 'cluster'));
    }
  }
}

/**
 * A scope's key for comparison: the fragment count, then the fragments joined by NUL (no header
 * value holds one). Cheaper than JSON for 10k scopes; `scopeKeyText` shows it in a problem.
 */
function scopeKeyOf(fragments: readonly string[]): string {
  return `${fragments.length}:${fragments.join('\0')}`;
}

function scopeKeyText(key: string): string {
  const colon = key.indexOf(':');
  return JSON.stringify(key.slice(0, colon) === '0' ? [] : key.slice(colon + 1).split('\0'));
}

function readRefs(url: TypeUrl, name: string, value: object): Refs {
  const fields = record(value);
  if (url === TypeUrl.Cluster) {
    const edsName = fields?.['type'] === 'EDS' ? stringField(record(fields['eds_cluster_config']), 'service_name') || name : undefined;
    return edsName === undefined
      ? { name, kind: 'cluster', clusters: NONE, routeConfigs: NONE, scopedNames: NONE, problems: NONE }
      : { name, kind: 'cluster', clusters: NONE, routeConfigs: NONE, scopedNames: NONE, problems: NONE, edsName };
  }
  if (url === TypeUrl.RouteConfiguration) {
    const clusters: string[] = [];
    routeConfigClusters(fields, clusters);
    return { name, kind: 'route configuration', clusters, routeConfigs: NONE, scopedNames: NONE, problems: NONE };
  }
  if (url === TypeUrl.ScopedRouteConfiguration) {
    const scopeKey = scopeKeyOf(list(record(fields?.['key'])?.['fragments']).map((f) => stringField(record(f), 'string_key')));
    return { name, kind: 'scope', clusters: NONE, routeConfigs: [stringField(fields, 'route_configuration_name')], scopedNames: NONE, problems: NONE, scopeKey };
  }
  if (url !== TypeUrl.Listener) return { name, kind: 'resource', clusters: NONE, routeConfigs: NONE, scopedNames: NONE, problems: NONE };
  const where = `listener ${JSON.stringify(name)}`;
  const clusters: string[] = [];
  const routeConfigs: string[] = [];
  const scopedNames: string[] = [];
  const problems: string[] = [];
  const configs: unknown[] = [record(fields?.['api_listener'])?.['api_listener']];
  for (const chain of list(fields?.['filter_chains'])) {
    for (const filter of list(record(chain)?.['filters'])) configs.push(record(filter)?.['typed_config']);
  }
  for (const config of configs) {
    const typeName = anyTypeName(config);
    const hcm = record(config);
    if (typeName === TCP_PROXY_TYPE) clusters.push(stringField(hcm, 'cluster'));
    if (typeName !== HCM_TYPE) continue;
    const rds = stringField(record(hcm?.['rds']), 'route_config_name');
    if (rds) routeConfigs.push(rds);
    const scoped = record(hcm?.['scoped_routes']);
    if (scoped) {
      scopedNames.push(stringField(scoped, 'name'));
      if (!record(scoped['scoped_rds'])) problems.push(`${where} has scoped routes without scoped_rds`);
      if (!record(scoped['rds_config_source'])) problems.push(`${where} has scoped routes without rds_config_source`);
    }
    routeConfigClusters(record(hcm?.['route_config']), clusters);
  }
  return { name, kind: 'listener', clusters, routeConfigs, scopedNames, problems };
}

function refsOf(url: TypeUrl, name: string, value: object): Refs {
  const cached = refsCache.get(value);
  if (cached && cached.name === name) return cached;
  const refs = readRefs(url, name, value);
  refsCache.set(value, refs);
  return refs;
}

// Lists shared by many views (their outbound parts) are read once.
const NO_RESOURCES: ReadonlyArray<{ readonly name: string }> = Object.freeze([]);
const namesCache = new WeakMap<ReadonlyArray<{ readonly name: string }>, { names: ReadonlySet<string>; duplicates: readonly string[] }>();

function namesOf(list: ReadonlyArray<{ readonly name: string }>): { names: ReadonlySet<string>; duplicates: readonly string[] } {
  let cached = namesCache.get(list);
  if (!cached) {
    const names = new Set<string>();
    const duplicates: string[] = [];
    for (const { name } of list) {
      if (names.has(name)) duplicates.push(name);
      names.add(name);
    }
    namesCache.set(list, (cached = { names, duplicates }));
  }
  return cached;
}

type Has = (url: TypeUrl, name: string) => boolean;

/**
 * Reference checks of `items` against the names `has` knows; collects the scoped_routes names of
 * listeners into `scopedNames`. Scope keys must be unique among the scopes in `items`.
 */
function checkReferences(items: ResourcesByType, has: Has, scopedNames: Set<string>, problems: string[]): void {
  const scopeKeys = new Map<string, string>();
  for (const url of [TypeUrl.Cluster, TypeUrl.RouteConfiguration, TypeUrl.ScopedRouteConfiguration, TypeUrl.Listener]) {
    for (const { name, value } of items[url] ?? []) {
      const refs = refsOf(url, name, value);
      if (refs.problems.length > 0) problems.push(...refs.problems);
      if (refs.edsName !== undefined && !has(TypeUrl.ClusterLoadAssignment, refs.edsName)) {
        problems.push(`cluster ${JSON.stringify(name)} has no ClusterLoadAssignment ${JSON.stringify(refs.edsName)}`);
      }
      for (const cluster of refs.clusters) {
        if (!has(TypeUrl.Cluster, cluster)) problems.push(`${refs.kind} ${JSON.stringify(name)} names unknown cluster ${JSON.stringify(cluster)}`);
      }
      for (const routeConfig of refs.routeConfigs) {
        if (!has(TypeUrl.RouteConfiguration, routeConfig)) problems.push(`${refs.kind} ${JSON.stringify(name)} names unknown route configuration ${JSON.stringify(routeConfig)}`);
      }
      if (refs.scopeKey !== undefined) {
        const holder = scopeKeys.get(refs.scopeKey);
        if (holder !== undefined) problems.push(`scope ${JSON.stringify(name)} has the same key ${scopeKeyText(refs.scopeKey)} as scope ${JSON.stringify(holder)}`);
        else scopeKeys.set(refs.scopeKey, name);
      }
      for (const scoped of refs.scopedNames) scopedNames.add(scoped);
    }
  }
}

function scopedRoutesProblem(scopedNames: ReadonlySet<string>): string[] {
  if (scopedNames.size <= 1) return [];
  return [`scoped routes ${[...scopedNames].map((n) => JSON.stringify(n)).join(', ')} would share one wildcard SRDS subscription`];
}

/** Problems found in `resources`, one readable line each; [] when consistent. */
export function checkConsistency(resources: ResourcesByType): string[] {
  const problems: string[] = [];
  // One name set per type serves both the duplicate check and the lookups.
  const namesByType = new Map<TypeUrl, ReadonlySet<string>>();
  for (const url of Object.values(TypeUrl)) {
    const { names, duplicates } = namesOf(resources[url] ?? NO_RESOURCES);
    for (const name of duplicates) problems.push(`${messageNameOf(url)} ${JSON.stringify(name)} appears twice`);
    namesByType.set(url, names);
  }
  const scopedNames = new Set<string>();
  checkReferences(resources, (url, name) => namesByType.get(url)?.has(name) === true, scopedNames, problems);
  problems.push(...scopedRoutesProblem(scopedNames));
  return problems;
}

interface SharedVerdict {
  readonly problems: readonly string[];
  readonly scopedNames: ReadonlySet<string>;
}

const sharedVerdicts = new WeakMap<ResourcesByType, SharedVerdict>();

/**
 * `checkConsistency` of a view made of `shared` (one object shared by many views, never
 * mutated) plus its `own` resources, with the same result. The shared part is checked once: when
 * it is consistent by itself its references hold in every view that contains it, so a view costs
 * only the checks of its own resources.
 */
export function checkViewConsistency(shared: ResourcesByType, own: ResourcesByType): string[] {
  let verdict = sharedVerdicts.get(shared);
  if (!verdict) {
    const scopedNames = new Set<string>();
    const problems = checkConsistency(shared);
    checkReferences({ [TypeUrl.Listener]: shared[TypeUrl.Listener] ?? [] }, () => true, scopedNames, []);
    sharedVerdicts.set(shared, (verdict = { problems, scopedNames }));
  }
  const union = (): ResourcesByType => {
    const out: ResourcesByType = {};
    for (const url of Object.values(TypeUrl)) out[url] = [...(shared[url] ?? []), ...(own[url] ?? [])];
    return out;
  };
  // A shared problem, or own scopes (their keys must be unique with the shared ones): check it all.
  if (verdict.problems.length > 0 || (own[TypeUrl.ScopedRouteConfiguration]?.length ?? 0) > 0) return checkConsistency(union());
  const problems: string[] = [];
  const ownNames = new Map<TypeUrl, ReadonlySet<string>>();
  const sharedNamesByType = new Map<TypeUrl, ReadonlySet<string>>();
  for (const url of Object.values(TypeUrl)) {
    const sharedNames = namesOf(shared[url] ?? NO_RESOURCES).names;
    sharedNamesByType.set(url, sharedNames);
    const names = new Set<string>();
    for (const { name } of own[url] ?? []) {
      if (names.has(name) || sharedNames.has(name)) problems.push(`${messageNameOf(url)} ${JSON.stringify(name)} appears twice`);
      names.add(name);
    }
    ownNames.set(url, names);
  }
  const has: Has = (url, name) => ownNames.get(url)?.has(name) === true || sharedNamesByType.get(url)?.has(name) === true;
  const scopedNames = new Set(verdict.scopedNames);
  checkReferences(own, has, scopedNames, problems);
  problems.push(...scopedRoutesProblem(scopedNames));
  return problems;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringField(value: Record<string, unknown> | undefined, field: string): string {
  const v = value?.[field];
  return typeof v === 'string' ? v : '';
}
