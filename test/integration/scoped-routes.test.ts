/**
 * Sidecar outbound routes by Scoped RDS over real ADS streams of an assembled Trellis: adding a
 * service sends (delta) only its Cluster, ClusterLoadAssignment, RouteConfiguration and scopes,
 * and editing one service's routes sends only that service's RouteConfiguration, however large
 * the mesh. One SotW and one delta Envoy-like client watch the same sidecar identity.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, startTrellis, type RunningTrellis } from '../../src/main.ts';
import { connect, type AdsClient, type ResponseRecord } from '../../src/xds/client/ads-client.ts';
import { TYPE_SHORT_NAMES, TypeUrl } from '../../src/xds/type-urls.ts';

const SERVICES = 30;
const NAMESPACES = 3;
const PORT = 8080;

let dataDir: string;
let trellis: RunningTrellis;
let token: string;
let sotw: AdsClient;
let delta: AdsClient;

async function api(method: string, path: string, body: unknown): Promise<number> {
  const response = await fetch(`${trellis.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}

const register = (service: string, namespace: string, address: string): Promise<number> =>
  api('POST', '/api/v1/instances', { service, namespace, address, port: PORT, protocol: 'http' });

function client(mode: 'sotw' | 'delta'): AdsClient {
  // No address or port: the client's own instance is not auto-registered, so nothing else changes.
  return connect(
    trellis.xdsAddress,
    {
      id: `sidecar-${mode}~caller.ns-0`,
      cluster: 'caller',
      metadata: { 'trellis.kind': 'sidecar', 'trellis.service': 'caller', 'trellis.namespace': 'ns-0' },
      locality: { region: 'r', zone: 'a' },
      user_agent_name: 'envoy',
    },
    mode,
    { deadlineMs: 60_000 },
  );
}

/** Resolves once neither client got a response for `quietMs`. */
async function quiet(quietMs = 300, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  let counts = [sotw.responses.length, delta.responses.length];
  let since = Date.now();
  while (Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = [sotw.responses.length, delta.responses.length];
    if (now[0] !== counts[0] || now[1] !== counts[1]) {
      counts = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
  throw new Error('clients did not go quiet');
}

/** Resource names per short type name in `records`, and their bytes. */
function summary(records: readonly ResponseRecord[]): { names: Record<string, string[]>; removed: string[]; bytes: number } {
  const names: Record<string, string[]> = {};
  const removed: string[] = [];
  let bytes = 0;
  for (const r of records) {
    const short = TYPE_SHORT_NAMES[r.typeUrl as TypeUrl];
    (names[short] ??= []).push(...r.names);
    removed.push(...r.removed);
    bytes += r.bytes;
  }
  for (const list of Object.values(names)) list.sort();
  return { names, removed, bytes };
}

/** Bytes of every resource `c` holds: what a full state-of-the-world push of its config weighs. */
function stateBytes(c: AdsClient): number {
  let bytes = 0;
  for (const url of Object.values(TypeUrl)) for (const r of c.resources(url).values()) bytes += r.any.length;
  return bytes;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trellis-srds-'));
  trellis = await startTrellis({ ...DEFAULT_OPTIONS, xdsPort: 0, apiPort: 0, dataDir, examples: [] });
  const admin = trellis.newAdminToken;
  if (admin === undefined) throw new Error('a fresh data folder must yield an admin token');
  token = admin;
  for (let i = 0; i < SERVICES; i += 1) {
    expect(await register(`svc-${i}`, `ns-${i % NAMESPACES}`, `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`)).toBe(201);
  }
  sotw = client('sotw');
  delta = client('delta');
  // Every service has a route configuration; services of ns-0 have 2 scopes (name.ns, name), the others 1.
  const inNs0 = Math.ceil(SERVICES / NAMESPACES);
  const scopes = SERVICES + inNs0;
  for (const c of [sotw, delta]) {
    await c.waitFor((x) => x.resources(TypeUrl.RouteConfiguration).size === SERVICES && x.resources(TypeUrl.ScopedRouteConfiguration).size === scopes, 10_000);
  }
  await quiet();
}, 30_000);

afterAll(async () => {
  sotw?.close();
  delta?.close();
  await trellis?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('sidecar routes by scoped RDS', () => {
  it('subscribes to SRDS as a wildcard and to RDS for the route configurations its scopes name', () => {
    for (const c of [sotw, delta]) {
      expect(c.subscription(TypeUrl.ScopedRouteConfiguration).wildcard).toBe(true);
      expect(c.subscription(TypeUrl.RouteConfiguration).names.size).toBe(SERVICES);
      expect(c.decoded(TypeUrl.ScopedRouteConfiguration, 'outbound_http/svc-3')).toEqual({
        name: 'outbound_http/svc-3',
        route_configuration_name: 'outbound_http/svc-3.ns-0',
        key: { fragments: [{ string_key: 'svc-3' }] },
      });
    }
  });

  it('sends, in delta, only the new service\'s cluster, endpoints, route configuration and scopes when one is added', async () => {
    const sotwMark = sotw.responses.length;
    const deltaMark = delta.responses.length;
    expect(await register('svc-new', 'ns-1', '10.9.0.1')).toBe(201);
    for (const c of [sotw, delta]) await c.waitFor((x) => x.resources(TypeUrl.RouteConfiguration).has('outbound_http/svc-new.ns-1'), 5000);
    await quiet();

    const d = summary(delta.responses.slice(deltaMark));
    expect(d.names).toEqual({
      CDS: ['outbound|svc-new.ns-1'],
      EDS: ['outbound|svc-new.ns-1'],
      SRDS: ['outbound_http/svc-new.ns-1'],
      RDS: ['outbound_http/svc-new.ns-1'],
    });
    expect(d.removed).toEqual([]);
    // SotW resends the full-state types (CDS, SRDS: every scope) and at least the new route configuration.
    const s = summary(sotw.responses.slice(sotwMark));
    expect(s.names['RDS']).toContain('outbound_http/svc-new.ns-1');
    expect(s.names['SRDS']?.length).toBe(SERVICES + Math.ceil(SERVICES / NAMESPACES) + 1);
    // Delta costs the new resources plus framing, O(1) in the mesh size; SotW costs O(mesh).
    const added = (c: AdsClient, url: TypeUrl, names: readonly string[]): number =>
      names.reduce((sum, n) => sum + (c.resources(url).get(n)?.any.length ?? 0), 0);
    const newBytes =
      added(delta, TypeUrl.Cluster, ['outbound|svc-new.ns-1']) +
      added(delta, TypeUrl.ClusterLoadAssignment, ['outbound|svc-new.ns-1']) +
      added(delta, TypeUrl.RouteConfiguration, ['outbound_http/svc-new.ns-1']) +
      added(delta, TypeUrl.ScopedRouteConfiguration, ['outbound_http/svc-new.ns-1']);
    expect(d.bytes).toBeLessThan(newBytes * 2 + 1000);
    expect(d.bytes * 5).toBeLessThan(stateBytes(sotw));
    expect(d.bytes * 5).toBeLessThan(s.bytes);
  });

  it('sends only the edited service\'s route configuration when its routes change', async () => {
    const sotwMark = sotw.responses.length;
    const deltaMark = delta.responses.length;
    const before = delta.resources(TypeUrl.RouteConfiguration).get('outbound_http/svc-3.ns-0')?.version;
    const yaml = 'apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfig\nmetadata: {name: svc-3, namespace: ns-0}\nspec: {timeout: 7s}\n';
    expect(await api('POST', '/api/v1/config/apply', { files: [{ name: 'svc-3.yaml', text: yaml }] })).toBeLessThan(300);
    await delta.waitFor((x) => x.resources(TypeUrl.RouteConfiguration).get('outbound_http/svc-3.ns-0')?.version !== before, 5000);
    await quiet();

    const d = summary(delta.responses.slice(deltaMark));
    expect(d.names).toEqual({ RDS: ['outbound_http/svc-3.ns-0'] });
    const route = delta.decoded(TypeUrl.RouteConfiguration, 'outbound_http/svc-3.ns-0') as {
      virtual_hosts: Array<{ domains: string[]; routes: Array<{ route: { timeout?: { seconds?: number } } }> }>;
    };
    expect(route.virtual_hosts[0]?.domains).toEqual(['*']);
    expect(Number(route.virtual_hosts[0]?.routes[0]?.route.timeout?.seconds)).toBe(7);
    // SotW: RDS only too (no listener, scope or cluster changed).
    const s = summary(sotw.responses.slice(sotwMark));
    expect(Object.keys(s.names)).toEqual(['RDS']);
    expect(s.names['RDS']).toContain('outbound_http/svc-3.ns-0');
    expect(d.bytes * 20).toBeLessThan(stateBytes(delta));
  });
});
