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

/** Problems found in `resources`, one readable line each; [] when consistent. */
export function checkConsistency(resources: ResourcesByType): string[] {
  const problems: string[] = [];
  for (const url of Object.values(TypeUrl)) {
    const seen = new Set<string>();
    for (const { name } of resources[url] ?? []) {
      if (seen.has(name)) problems.push(`${messageNameOf(url)} ${JSON.stringify(name)} appears twice`);
      seen.add(name);
    }
  }
  const clusters = new Set((resources[TypeUrl.Cluster] ?? []).map((r) => r.name));
  const assignments = new Set((resources[TypeUrl.ClusterLoadAssignment] ?? []).map((r) => r.name));
  const routeConfigs = new Set((resources[TypeUrl.RouteConfiguration] ?? []).map((r) => r.name));

  for (const { name, value } of resources[TypeUrl.Cluster] ?? []) {
    const cluster = record(value);
    if (cluster?.['type'] !== 'EDS') continue;
    const edsName = stringField(record(cluster['eds_cluster_config']), 'service_name') || name;
    if (!assignments.has(edsName)) problems.push(`cluster ${JSON.stringify(name)} has no ClusterLoadAssignment ${JSON.stringify(edsName)}`);
  }

  const needCluster = (cluster: string, where: string): void => {
    if (!clusters.has(cluster)) problems.push(`${where} names unknown cluster ${JSON.stringify(cluster)}`);
  };
  const checkRouteConfig = (routeConfig: Record<string, unknown> | undefined, where: string): void => {
    for (const vhost of list(routeConfig?.['virtual_hosts'])) {
      for (const route of list(record(vhost)?.['routes'])) {
        const action = record(record(route)?.['route']);
        if (!action) continue;
        const single = stringField(action, 'cluster');
        if (single) needCluster(single, where);
        for (const weighted of list(record(action['weighted_clusters'])?.['clusters'])) {
          needCluster(stringField(record(weighted), 'name'), where);
        }
        for (const mirror of list(action['request_mirror_policies'])) needCluster(stringField(record(mirror), 'cluster'), where);
      }
    }
  };

  for (const { name, value } of resources[TypeUrl.RouteConfiguration] ?? []) {
    checkRouteConfig(record(value), `route configuration ${JSON.stringify(name)}`);
  }
  const scopeKeys = new Map<string, string>();
  for (const { name, value } of resources[TypeUrl.ScopedRouteConfiguration] ?? []) {
    const scope = record(value);
    const where = `scope ${JSON.stringify(name)}`;
    const routeConfig = stringField(scope, 'route_configuration_name');
    if (!routeConfigs.has(routeConfig)) problems.push(`${where} names unknown route configuration ${JSON.stringify(routeConfig)}`);
    const key = JSON.stringify(list(record(scope?.['key'])?.['fragments']).map((f) => stringField(record(f), 'string_key')));
    const holder = scopeKeys.get(key);
    if (holder !== undefined) problems.push(`${where} has the same key ${key} as scope ${JSON.stringify(holder)}`);
    else scopeKeys.set(key, name);
  }
  const scopedNames = new Set<string>();
  for (const { name, value } of resources[TypeUrl.Listener] ?? []) {
    const listener = record(value);
    const where = `listener ${JSON.stringify(name)}`;
    const configs: unknown[] = [record(listener?.['api_listener'])?.['api_listener']];
    for (const chain of list(listener?.['filter_chains'])) {
      for (const filter of list(record(chain)?.['filters'])) configs.push(record(filter)?.['typed_config']);
    }
    for (const config of configs) {
      const typeName = anyTypeName(config);
      const fields = record(config);
      if (typeName === TCP_PROXY_TYPE) needCluster(stringField(fields, 'cluster'), where);
      if (typeName !== HCM_TYPE) continue;
      const rds = stringField(record(fields?.['rds']), 'route_config_name');
      if (rds && !routeConfigs.has(rds)) problems.push(`${where} names unknown route configuration ${JSON.stringify(rds)}`);
      const scoped = record(fields?.['scoped_routes']);
      if (scoped) {
        scopedNames.add(stringField(scoped, 'name'));
        if (!record(scoped['scoped_rds'])) problems.push(`${where} has scoped routes without scoped_rds`);
        if (!record(scoped['rds_config_source'])) problems.push(`${where} has scoped routes without rds_config_source`);
      }
      checkRouteConfig(record(fields?.['route_config']), where);
    }
  }
  if (scopedNames.size > 1) problems.push(`scoped routes ${[...scopedNames].map((n) => JSON.stringify(n)).join(', ')} would share one wildcard SRDS subscription`);
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
