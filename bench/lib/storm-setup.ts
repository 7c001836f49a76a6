/**
 * Shared setup of the connection scenarios (connect-storm, memory, reconnect): a generated mesh
 * of N services with a dependency fan-out k, P sidecar nodes spread over the services, peak-RSS
 * sampling and forced GC of this (the server's) process.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { outboundClusterName } from '../../src/model/names.ts';
import { serviceKey } from '../../src/registry/types.ts';
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import { sidecarClientNode } from './load-protocol.ts';
import { generateInstances, namespaceOf, serviceName } from './mesh-generator.ts';
import type { BenchTrellis } from './trellis-instance.ts';

const NAMESPACES = 10;
export const ENDPOINTS_PER_SERVICE = 3;

/** Dependencies per sidecar: a count (PlatformPolicy defaults) or 'all' (no policy: the whole mesh). */
export type FanOut = number | 'all';

/** A PlatformPolicy (YAML) giving every service of the mesh the first `k` services as dependencies. */
export function fanOutPolicyYaml(services: number, k: number): string {
  const deps = Array.from({ length: Math.min(k, services) }, (_, i) => `${serviceName(i)}.${namespaceOf(i, NAMESPACES)}`);
  return [
    'apiVersion: trellis.dev/v1alpha1',
    'kind: PlatformPolicy',
    'metadata: {name: bench-fan-out}',
    'spec:',
    "  scope: {namespaces: ['*']}",
    `  defaults: {dependencies: [${deps.join(', ')}]}`,
    '',
  ].join('\n');
}

/** The generated mesh of N services (E = 3) the connection scenarios register. */
export function stormInstances(services: number): Record<string, unknown>[] {
  return generateInstances({ services, endpointsPerService: ENDPOINTS_PER_SERVICE, namespaces: NAMESPACES });
}

/** The cluster every sidecar of a numeric fan-out depends on first (service 0), and one of its instances. */
export function sharedDependency(services: number): { cluster: string; instance: Record<string, unknown> } {
  const instance = stormInstances(services).find((i) => i['service'] === serviceName(0));
  if (!instance) throw new Error('the generated mesh has no instance of service 0');
  return { cluster: outboundClusterName(serviceKey(serviceName(0), namespaceOf(0, NAMESPACES))), instance };
}

/**
 * Registers N services (E = 3) and, for a numeric fan-out k, applies a PlatformPolicy giving
 * every service the first k services as dependencies. Resolves with the registration time (ms).
 */
export async function loadScopedMesh(trellis: BenchTrellis, services: number, fanOut: FanOut): Promise<number> {
  const loadMs = await trellis.load(stormInstances(services));
  if (fanOut !== 'all') {
    const policy = fanOutPolicyYaml(services, fanOut);
    const reply = await trellis.request('POST', '/api/v1/config/apply', { files: [{ name: 'bench-fan-out.yaml', text: policy }] });
    if (reply.status >= 300) throw new Error(`scoping policy refused: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return loadMs;
}

/** P sidecar nodes; node i belongs to service i mod N, so P > N puts several sidecars on one service (one view). */
export function stormNodes(streams: number, services: number): ClientNode[] {
  return Array.from({ length: streams }, (_, i) => {
    const s = i % services;
    return sidecarClientNode(i, serviceName(s), namespaceOf(s, NAMESPACES), i % 2 === 0 ? 'a' : 'b');
  });
}

let gcFunction: (() => void) | undefined;

/** A full GC of this process (the in-process server), even without --expose-gc. */
export function forceGc(): void {
  if (!gcFunction) {
    // Exposes `gc` to contexts created from now on; this process's flags are otherwise untouched.
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
  gcFunction();
}

/** RSS and heap of this process after a forced GC and a short settle. */
export async function settledMemory(): Promise<{ rss: number; heapUsed: number; external: number }> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  forceGc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external + usage.arrayBuffers };
}

/** Samples this process's RSS every `everyMs`; `stop` resolves with the peak seen. */
export function sampleRss(everyMs = 50): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Server-side check from GET /api/v1/status: proxies listed, and those with every type ACKed at the version sent. */
export function ackedProxies(status: unknown): { proxies: number; acked: number; views: number } {
  const record = (typeof status === 'object' && status !== null ? status : {}) as Record<string, unknown>;
  const proxies = Array.isArray(record['proxies']) ? (record['proxies'] as unknown[]) : [];
  const views = Array.isArray(record['views']) ? record['views'].length : 0;
  const acked = proxies.filter((proxy) => {
    const types = (proxy as { types?: Record<string, { versionSent?: string; versionAcked?: string; awaitingAck?: boolean }> }).types ?? {};
    const list = Object.values(types);
    return list.length >= 4 && list.every((t) => !t.awaitingAck && t.versionSent !== undefined && t.versionSent === t.versionAcked);
  }).length;
  return { proxies: proxies.length, acked, views };
}
