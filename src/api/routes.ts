/**
 * The API's routes as one ordered table: method, path pattern, required action, handler.
 * Handlers get decoded path parameters and (for routes that take one) the parsed JSON body, and
 * return a status and body; they never touch the HTTP objects, so they are easy to test and to
 * extend (a new route is one row).
 */
import type { RegistrySnapshot } from '../registry/types.ts';
import { serviceKey } from '../registry/types.ts';
import { DEFAULT_NAMESPACE } from '../registry/validate.ts';
import type { WriteTarget } from './auth.ts';
import { CA_ROUTES } from './ca-routes.ts';
import { CONFIG_ROUTES } from './config-routes.ts';
import { errorBody, type Method, type Route, type RouteContext, type Reply } from './route-types.ts';
import { TOKEN_ROUTES } from './token-routes.ts';

export { API_PREFIX, errorBody } from './route-types.ts';
export type { Method, Reply, Route, RouteContext } from './route-types.ts';

const notFound = (what: string): Reply => ({ status: 404, body: errorBody(`${what} not found`) });

function param(context: RouteContext, name: string): string {
  return context.params[name] ?? '';
}

const REGISTRY_ROUTES: readonly Route[] = [
  { method: 'GET', pattern: ['healthz'], action: 'read', handle: async () => ({ status: 200, body: { ok: true } }) },
  { method: 'GET', pattern: ['status'], action: 'read', handle: async (c) => ({ status: 200, body: c.status() ?? null }) },
  {
    method: 'GET',
    pattern: ['services'],
    action: 'read',
    handle: async (c) => ({ status: 200, body: listServices(c.registry.snapshot()) }),
  },
  {
    method: 'GET',
    pattern: ['services', ':namespace', ':name'],
    action: 'read',
    handle: async (c) => {
      const snapshot = c.registry.snapshot();
      const key = serviceKey(param(c, 'name'), param(c, 'namespace'));
      const service = snapshot.services.get(key);
      if (service === undefined) return notFound(`service ${key}`);
      return { status: 200, body: { revision: snapshot.revision, service, instances: snapshot.instances.get(key) ?? [] } };
    },
  },
  {
    method: 'DELETE',
    pattern: ['services', ':namespace', ':name'],
    action: 'write',
    targets: (c) => [registryTarget(c, 'services')],
    handle: async (c) =>
      (await c.registry.deleteService(param(c, 'namespace'), param(c, 'name')))
        ? { status: 204 }
        : notFound(`service ${serviceKey(param(c, 'name'), param(c, 'namespace'))}`),
  },
  {
    method: 'POST',
    pattern: ['instances'],
    action: 'write',
    body: true,
    targets: (c) => [{ kind: 'registry', namespace: bodyNamespace(c.body), what: 'instances' }],
    handle: async (c) => {
      const result = await c.registry.register(c.body, 'api');
      if (!result.ok) return { status: 400, body: errorBody('invalid registration', result.diagnostics) };
      return { status: 201, body: result.instance };
    },
  },
  {
    method: 'DELETE',
    pattern: ['instances', ':namespace', ':service', ':id'],
    action: 'write',
    targets: (c) => [registryTarget(c, 'instances')],
    handle: async (c) =>
      (await c.registry.deregister(param(c, 'namespace'), param(c, 'service'), param(c, 'id')))
        ? { status: 204 }
        : notFound(`instance ${param(c, 'id')} of ${serviceKey(param(c, 'service'), param(c, 'namespace'))}`),
  },
  {
    method: 'POST',
    pattern: ['instances', ':namespace', ':service', ':id', 'heartbeat'],
    action: 'write',
    targets: (c) => [registryTarget(c, 'heartbeats')],
    // A not-found TrellisError from the registry becomes 404 in the server's error mapping.
    handle: async (c) => {
      await c.registry.heartbeat(param(c, 'namespace'), param(c, 'service'), param(c, 'id'));
      return { status: 204 };
    },
  },
];

/** Every route: registry, config, tokens, CA. */
export const ROUTES: readonly Route[] = [...REGISTRY_ROUTES, ...CONFIG_ROUTES, ...TOKEN_ROUTES, ...CA_ROUTES];

function registryTarget(c: RouteContext, what: string): WriteTarget {
  return { kind: 'registry', namespace: param(c, 'namespace'), what };
}

/** The namespace a registration body names (the registry's default when it names none). */
function bodyNamespace(body: unknown): string {
  const ns = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['namespace'] : undefined;
  return typeof ns === 'string' ? ns : DEFAULT_NAMESPACE;
}

/** Services sorted by key, each with instance counts. */
function listServices(snapshot: RegistrySnapshot): unknown {
  const services = [...snapshot.services.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, service]) => {
      const instances = snapshot.instances.get(key) ?? [];
      return {
        ...service,
        instances: instances.length,
        healthyInstances: instances.filter((i) => i.health === 'healthy').length,
      };
    });
  return { revision: snapshot.revision, services };
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly Method[] };

/** Finds the route for decoded path segments (after the prefix) and method. */
export function matchRoute(routes: readonly Route[], method: string, segments: readonly string[]): RouteMatch {
  const allow: Method[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
}

function matchPattern(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}
