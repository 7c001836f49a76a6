/**
 * A seeded synthetic mesh: N services with E endpoints each, spread over regions and zones,
 * so runs are repeatable and sizes comparable across machines.
 */
import type { InstanceRecord, Locality, RegistrySnapshot, ServiceRecord } from '../../src/registry/types.ts';
import { serviceKey } from '../../src/registry/types.ts';

/** A small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MeshSpec {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly namespaces?: number;
  readonly seed?: number;
}

const ZONES: readonly Locality[] = [
  { region: 'us-east', zone: 'a', subZone: '' },
  { region: 'us-east', zone: 'b', subZone: '' },
  { region: 'us-west', zone: 'a', subZone: '' },
];

export function serviceName(index: number): string {
  return `svc-${String(index).padStart(5, '0')}`;
}

export function namespaceOf(index: number, namespaces: number): string {
  return `ns-${index % namespaces}`;
}

/**
 * Registration inputs (as the HTTP API takes them) for the whole mesh, services in index order,
 * each service's endpoints together. Equal specs give equal output.
 */
export function generateInstances(spec: MeshSpec): Array<Record<string, unknown>> {
  const random = seededRandom(spec.seed ?? 1);
  const namespaces = spec.namespaces ?? 10;
  const out: Array<Record<string, unknown>> = [];
  for (let s = 0; s < spec.services; s += 1) {
    // Protocol belongs to the service: the registry refuses instances that disagree on it.
    const protocol = random() < 0.2 ? 'grpc' : 'http';
    for (let e = 0; e < spec.endpointsPerService; e += 1) {
      const n = s * spec.endpointsPerService + e;
      const locality = ZONES[Math.floor(random() * ZONES.length)] ?? ZONES[0];
      out.push({
        service: serviceName(s),
        namespace: namespaceOf(s, namespaces),
        address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        port: 8080,
        protocol,
        labels: { version: random() < 0.5 ? 'v1' : 'v2' },
        locality,
        weight: 1 + Math.floor(random() * 3),
      });
    }
  }
  return out;
}

/** The same mesh as a registry snapshot, for benchmarks that skip the store and the API. */
export function generateRegistrySnapshot(spec: MeshSpec, revision = 1): RegistrySnapshot {
  const services = new Map<string, ServiceRecord>();
  const instances = new Map<string, InstanceRecord[]>();
  for (const input of generateInstances(spec)) {
    const key = serviceKey(String(input['service']), String(input['namespace']));
    if (!services.has(key)) {
      services.set(key, { name: String(input['service']), namespace: String(input['namespace']), protocol: input['protocol'] as ServiceRecord['protocol'] });
      instances.set(key, []);
    }
    const address = String(input['address']);
    instances.get(key)?.push({
      id: `${address}:8080`,
      service: String(input['service']),
      namespace: String(input['namespace']),
      address,
      port: 8080,
      ports: {},
      labels: input['labels'] as Record<string, string>,
      locality: input['locality'] as Locality,
      weight: Number(input['weight']),
      health: 'healthy',
      ttlSeconds: 0,
      heartbeatAt: 0,
      origin: 'api',
    });
  }
  return { revision, services, instances };
}
