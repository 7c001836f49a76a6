/**
 * Follows a request through translated resources the way Envoy (or gRPC) would: listener →
 * HttpConnectionManager → route configuration (RDS, inline, or scoped: the scope whose key equals
 * the extracted header element, e.g. the host part of `:authority`, names it) → virtual host by
 * domain → first matching route (path, prefix, headers: exact, prefix, safe_regex, present) → cluster(s), all of
 * a weighted split with their weights → endpoints. Behavioural tests assert on where a request
 * ends up, not on resource shapes. Only the features Trellis emits are understood.
 */
import type { ResourcesByType } from '../../src/xds/resources/consistency.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

export interface SimulatedRequest {
  readonly listener: string;
  readonly host: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type SimulationResult =
  | {
      readonly ok: true;
      readonly virtualHost: string;
      readonly route: string;
      /** One entry, or several for a weighted split (with weights). */
      readonly clusters: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
      /** `address:port` of every endpoint of those clusters, in resource order. */
      readonly endpoints: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

type Obj = Record<string, unknown>;

const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** Where `request` goes, or why it goes nowhere. */
export function simulateRequest(resources: ResourcesByType, request: SimulatedRequest): SimulationResult {
  const listener = find(resources, TypeUrl.Listener, request.listener);
  if (!listener) return fail(`no listener ${request.listener}`);
  const configs: unknown[] = [obj(listener['api_listener'])?.['api_listener']];
  for (const chain of arr(listener['filter_chains'])) for (const f of arr(obj(chain)?.['filters'])) configs.push(obj(f)?.['typed_config']);
  const tcp = configs.map(obj).find((c) => typeName(c) === TCP_PROXY_TYPE);
  if (tcp) return target(resources, 'tcp_proxy', 'tcp_proxy', [{ name: str(tcp['cluster']), weight: 1 }]);
  const hcm = configs.map(obj).find((c) => typeName(c) === HCM_TYPE);
  if (!hcm) return fail(`listener ${request.listener} has no HTTP connection manager`);

  const scoped = obj(hcm['scoped_routes']);
  let rdsName = str(obj(hcm['rds'])?.['route_config_name']);
  if (scoped) {
    const key = scopeKey(scoped, request);
    if (key === undefined) return fail(`no scope key for ${request.host} (404)`);
    const scope = resources[TypeUrl.ScopedRouteConfiguration]?.map((r) => obj(r.value)).find((v) => sameKey(v, key));
    if (!scope) return fail(`no scope for key ${JSON.stringify(key)} (404)`);
    rdsName = str(scope['route_configuration_name']);
  }
  const routeConfig = rdsName ? find(resources, TypeUrl.RouteConfiguration, rdsName) : obj(hcm['route_config']);
  if (!routeConfig) return fail(`no route configuration ${rdsName}`);

  const vhost = selectVirtualHost(arr(routeConfig['virtual_hosts']).map(obj).filter(isObj), request.host);
  if (!vhost) return fail(`no virtual host for ${request.host}`);
  const route = arr(vhost['routes']).map(obj).filter(isObj).find((r) => matches(obj(r['match']) ?? {}, request));
  if (!route) return fail(`no route in virtual host ${str(vhost['name'])} matches ${request.path}`);
  const action = obj(route['route']);
  if (!action) return fail(`route ${str(route['name'])} does not forward`);
  const single = str(action['cluster']);
  const clusters = single
    ? [{ name: single, weight: 1 }]
    : arr(obj(action['weighted_clusters'])?.['clusters']).map((w) => ({
        name: str(obj(w)?.['name']),
        weight: num(obj(obj(w)?.['weight'])?.['value']),
      }));
  return target(resources, str(vhost['name']), str(route['name']), clusters);
}

/**
 * The scope key fragments of `request`, or undefined when a header or element is missing. As
 * Envoy's HeaderValueExtractor: with an `element_separator` the value is split on it and element
 * `index` is the fragment; without one the whole value is (index must then be 0).
 */
function scopeKey(scoped: Obj, request: SimulatedRequest): string[] | undefined {
  const key: string[] = [];
  for (const fragment of arr(obj(scoped['scope_key_builder'])?.['fragments'])) {
    const extractor = obj(obj(fragment)?.['header_value_extractor']);
    const name = str(extractor?.['name']).toLowerCase();
    const value = name === ':authority' || name === 'host' ? request.host : request.headers?.[name];
    if (value === undefined) return undefined;
    const separator = str(extractor?.['element_separator']);
    const index = num(extractor?.['index']);
    const element = separator === '' ? (index === 0 ? value : undefined) : value.split(separator)[index];
    if (element === undefined) return undefined;
    key.push(element);
  }
  return key;
}

function sameKey(scope: Obj | undefined, key: readonly string[]): scope is Obj {
  const fragments = arr(obj(scope?.['key'])?.['fragments']).map((f) => str(obj(f)?.['string_key']));
  return fragments.length === key.length && fragments.every((f, i) => f === key[i]);
}

function target(resources: ResourcesByType, virtualHost: string, route: string, clusters: Array<{ name: string; weight: number }>): SimulationResult {
  const endpoints: string[] = [];
  for (const { name } of clusters) {
    const cluster = find(resources, TypeUrl.Cluster, name);
    if (!cluster) return fail(`no cluster ${name}`);
    let assignment = obj(cluster['load_assignment']);
    if (cluster['type'] === 'EDS') {
      const edsName = str(obj(cluster['eds_cluster_config'])?.['service_name']) || name;
      assignment = find(resources, TypeUrl.ClusterLoadAssignment, edsName);
      if (!assignment) return fail(`no ClusterLoadAssignment ${edsName}`);
    }
    for (const locality of arr(assignment?.['endpoints'])) {
      for (const lb of arr(obj(locality)?.['lb_endpoints'])) {
        const socket = obj(obj(obj(obj(lb)?.['endpoint'])?.['address'])?.['socket_address']);
        endpoints.push(`${str(socket?.['address'])}:${num(socket?.['port_value'])}`);
      }
    }
  }
  return { ok: true, virtualHost, route, clusters, endpoints };
}

/** Envoy's order: exact domain, then suffix wildcards (`*.x`), then prefix wildcards (`x.*`), longest first, then `*`. */
function selectVirtualHost(vhosts: readonly Obj[], rawHost: string): Obj | undefined {
  const host = rawHost.toLowerCase();
  const domainsOf = (v: Obj): string[] => arr(v['domains']).map((d) => str(d).toLowerCase());
  const exact = vhosts.find((v) => domainsOf(v).includes(host));
  if (exact) return exact;
  let best: { vhost: Obj; length: number; kind: number } | undefined;
  for (const vhost of vhosts) {
    for (const d of domainsOf(vhost)) {
      if (d === '*') continue;
      const suffix = d.startsWith('*') && host.length > d.length - 1 && host.endsWith(d.slice(1));
      const prefix = d.endsWith('*') && host.length > d.length - 1 && host.startsWith(d.slice(0, -1));
      const kind = suffix ? 2 : prefix ? 1 : 0;
      if (kind === 0) continue;
      if (!best || kind > best.kind || (kind === best.kind && d.length > best.length)) best = { vhost, length: d.length, kind };
    }
  }
  return best?.vhost ?? vhosts.find((v) => domainsOf(v).includes('*'));
}

function matches(match: Obj, request: SimulatedRequest): boolean {
  if (typeof match['path'] === 'string' && request.path !== match['path']) return false;
  if (typeof match['prefix'] === 'string' && !request.path.startsWith(match['prefix'])) return false;
  for (const raw of arr(match['headers'])) {
    const h = obj(raw) ?? {};
    const value = request.headers?.[str(h['name']).toLowerCase()];
    const sm = obj(h['string_match']);
    if (h['present_match'] === true && value === undefined) return false;
    if (sm && typeof sm['exact'] === 'string' && value !== sm['exact']) return false;
    if (sm && typeof sm['prefix'] === 'string' && !(value ?? '').startsWith(sm['prefix'])) return false;
    if (sm && typeof sm['prefix'] === 'string' && value === undefined) return false;
    const regex = str(obj(sm?.['safe_regex'])?.['regex']);
    // Envoy's safe_regex matches the whole value (RE2; JS RegExp is close enough for tests).
    if (regex && (value === undefined || !new RegExp(`^(?:${regex})$`).test(value))) return false;
  }
  return true;
}

function find(resources: ResourcesByType, url: TypeUrl, name: string): Obj | undefined {
  return obj(resources[url]?.find((r) => r.name === name)?.value);
}

function typeName(value: Obj | undefined): string {
  const url = str(value?.['@type']);
  return url.slice(url.lastIndexOf('/') + 1);
}

const fail = (reason: string): SimulationResult => ({ ok: false, reason });
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const isObj = (v: Obj | undefined): v is Obj => v !== undefined;
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
