/**
 * fast-check arbitraries for valid ServiceConfig documents: each value is the typed spec the
 * parser must produce, and `raw` (what a user writes, durations as strings) is derived from it.
 */
import fc from 'fast-check';
import { formatDuration, LB_POLICIES, MAX_DURATION_MS, RETRY_ON } from '../../../src/config/parse/index.ts';
import type { LoadBalancerSpec, RouteSpec, RouteTargetSpec, ServiceSettings } from '../../../src/config/types.ts';

const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);
const ms = fc.integer({ min: 0, max: MAX_DURATION_MS });
const positiveMs = fc.integer({ min: 1, max: MAX_DURATION_MS });
const percent = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100));
const count = fc.integer({ min: 1, max: 100_000 });
const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,10}$/);
const headerValue = fc.string({ maxLength: 12 });

/** `n` integer weights summing to 100. */
function weights(n: number): fc.Arbitrary<number[]> {
  return fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const sorted = [0, ...cuts.sort((a, b) => a - b), 100];
    return sorted.slice(1).map((cut, i) => cut - (sorted[i] ?? 0));
  });
}

function route(subsets: readonly string[], index: number): fc.Arbitrary<RouteSpec> {
  const targets = fc.shuffledSubarray([...subsets], { minLength: 1 }).chain((chosen): fc.Arbitrary<RouteTargetSpec[]> =>
    chosen.length === 1 && index % 2 === 0
      ? fc.constant([{ subset: chosen[0] ?? '' }])
      : weights(chosen.length).map((w) => chosen.map((subset, i) => ({ subset, weight: w[i] ?? 0 }))));
  return fc.record({
    name: fc.constant(`r${index}`),
    // Every route but a last catch-all has a distinct path, so no route is unreachable.
    match: fc.record({ pathPrefix: fc.constant(`/p${index}`), headers: fc.dictionary(headerName, headerValue, { maxKeys: 2 }) }, { requiredKeys: ['pathPrefix'] }),
    to: targets,
    timeout: ms,
    retries: fc.record({ attempts: fc.integer({ min: 0, max: 10 }), perTryTimeout: ms, on: fc.uniqueArray(fc.constantFrom(...RETRY_ON), { maxLength: 4 }) }, { requiredKeys: [] }),
    fault: fc.record({ delay: fc.record({ percent, fixed: ms }), abort: fc.record({ percent, httpStatus: fc.integer({ min: 200, max: 599 }) }) }, { requiredKeys: ['delay'] }),
    mirror: fc.record({ subset: fc.constantFrom(...subsets), percent }),
  }, { requiredKeys: ['name', 'match', 'to'] });
}

export interface GeneratedServiceConfig {
  readonly name: string;
  readonly namespace: string;
  readonly spec: ServiceSettings;
}

export const serviceConfigArbitrary: fc.Arbitrary<GeneratedServiceConfig> = fc.record({
  name: label,
  namespace: label,
  subsetNames: fc.uniqueArray(label, { minLength: 1, maxLength: 4 }),
}).chain(({ name, namespace, subsetNames }) => fc.record({
  name: fc.constant(name),
  namespace: fc.constant(namespace),
  spec: fc.record({
    protocol: fc.constantFrom('http' as const, 'grpc' as const, 'tcp' as const),
    subsets: fc.constant(Object.fromEntries(subsetNames.map((s) => [s, { version: s }]))),
    dependencies: fc.uniqueArray(fc.tuple(label, label).map(([a, b]) => `${a}.${b}`), { maxLength: 3 })
      .map((deps) => deps.filter((d) => d !== `${name}.${namespace}`)),
    routes: fc.integer({ min: 0, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => route(subsetNames, i)))),
    timeout: ms,
    retries: fc.record({ attempts: fc.integer({ min: 0, max: 10 }), on: fc.uniqueArray(fc.constantFrom(...RETRY_ON), { minLength: 1, maxLength: 3 }) }),
    headers: fc.record({ request: fc.record({ set: fc.dictionary(headerName, headerValue, { maxKeys: 2 }), remove: fc.uniqueArray(headerName, { maxLength: 2 }) }) }),
    loadBalancer: fc.constantFrom(...LB_POLICIES).chain((policy): fc.Arbitrary<LoadBalancerSpec> => policy === 'ring_hash'
      ? fc.record({ policy: fc.constant(policy), hashHeader: headerName })
      : fc.constant({ policy })),
    connectionPool: fc.record({ maxConnections: count, maxPendingRequests: count, maxRequests: count, maxRetries: count }, { requiredKeys: [] }),
    outlierDetection: fc.record({ consecutive5xx: count, interval: positiveMs, baseEjectionTime: positiveMs, maxEjectionPercent: percent, failurePercentageThreshold: percent }, { requiredKeys: [] }),
    rateLimit: fc.integer({ min: 1, max: 10_000 }).chain((rps) => fc.record({ requestsPerSecond: fc.constant(rps), burst: fc.integer({ min: rps, max: rps * 4 }) }, { requiredKeys: ['requestsPerSecond'] })),
  }, { requiredKeys: ['subsets'] }),
}));

const DURATION_KEYS = new Set(['timeout', 'perTryTimeout', 'fixed', 'interval', 'baseEjectionTime']);

/** What a user would write for `spec`: durations spelled as strings (`1.5s`, `250ms`). */
export function toRaw(value: unknown, key?: string): unknown {
  if (typeof value === 'number' && key !== undefined && DURATION_KEYS.has(key)) return formatDuration(value);
  if (Array.isArray(value)) return value.map((item) => toRaw(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toRaw(v, k)]));
  }
  return value;
}
