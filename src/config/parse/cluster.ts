/** Service-level (cluster and inbound) settings: load balancing, connection pool, outlier detection, rate limit. */
import type { ConnectionPoolSpec, LbPolicyName, LoadBalancerSpec, OutlierDetectionSpec, RateLimitSpec } from '../types.ts';
import { compact, readCount, readDuration, readEnum, readHeaderName, readNumber, readObject, readPercent, readString, MAX_INT } from './checker.ts';
import type { Checker } from './checker.ts';
import type { Path } from './paths.ts';

export const LB_POLICIES: readonly LbPolicyName[] = ['round_robin', 'least_request', 'ring_hash', 'random'];
export const MAX_REQUESTS_PER_SECOND = 1_000_000;

export function readLoadBalancer(c: Checker, value: unknown, path: Path): LoadBalancerSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['policy', 'hashHeader'], 'a load balancer');
  if (o === undefined) return undefined;
  const policy = readEnum(c, o['policy'], [...path, 'policy'], LB_POLICIES);
  const headerText = readString(c, o['hashHeader'], [...path, 'hashHeader'], 'a header name');
  const hashHeader = headerText === undefined ? undefined : readHeaderName(c, headerText, [...path, 'hashHeader'], true);
  if (o['hashHeader'] !== undefined && o['policy'] !== 'ring_hash') {
    c.fail([...path, 'hashHeader'], 'hashHeader only applies with policy: ring_hash');
  }
  return compact<LoadBalancerSpec>({ policy, hashHeader });
}

const POOL_FIELDS = ['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRetries'] as const;

export function readConnectionPool(c: Checker, value: unknown, path: Path): ConnectionPoolSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, POOL_FIELDS, 'a connection pool');
  if (o === undefined) return undefined;
  return compact<ConnectionPoolSpec>(Object.fromEntries(POOL_FIELDS.map((field) => [field, readCount(c, o[field], [...path, field])])));
}

const OUTLIER_COUNTS = ['consecutive5xx', 'consecutiveGatewayErrors', 'failurePercentageMinimumHosts', 'failurePercentageRequestVolume'] as const;
const OUTLIER_PERCENTS = ['maxEjectionPercent', 'failurePercentageThreshold'] as const;
const OUTLIER_DURATIONS = ['interval', 'baseEjectionTime'] as const;
const OUTLIER_FIELDS = [...OUTLIER_COUNTS, ...OUTLIER_DURATIONS, ...OUTLIER_PERCENTS];

export function readOutlierDetection(c: Checker, value: unknown, path: Path): OutlierDetectionSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, OUTLIER_FIELDS, 'outlier detection');
  if (o === undefined) return undefined;
  const out: Array<[string, number | undefined]> = [
    ...OUTLIER_COUNTS.map((f): [string, number | undefined] => [f, readCount(c, o[f], [...path, f])]),
    // Envoy requires a positive interval and ejection time.
    ...OUTLIER_DURATIONS.map((f): [string, number | undefined] => [f, readDuration(c, o[f], [...path, f], true)]),
    ...OUTLIER_PERCENTS.map((f): [string, number | undefined] => [f, readPercent(c, o[f], [...path, f])]),
  ];
  return compact<OutlierDetectionSpec>(Object.fromEntries(out));
}

/** Local rate limit. burst (whole tokens) defaults to requestsPerSecond rounded up; it is not filled in here so layers merge cleanly. */
export function readRateLimit(c: Checker, value: unknown, path: Path): RateLimitSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['requestsPerSecond', 'burst'], 'a rate limit');
  if (o === undefined) return undefined;
  if (o['requestsPerSecond'] === undefined) c.fail(path, 'requestsPerSecond is required (a number > 0)');
  let rps = readNumber(c, o['requestsPerSecond'], [...path, 'requestsPerSecond'], 0, MAX_REQUESTS_PER_SECOND, false,
    `a number > 0 (at most ${MAX_REQUESTS_PER_SECOND})`);
  if (rps === 0) {
    c.fail([...path, 'requestsPerSecond'], 'must be greater than 0 (to block all traffic use a fault abort)');
    rps = undefined;
  }
  const burst = readNumber(c, o['burst'], [...path, 'burst'], 1, MAX_INT, true, 'a positive integer (tokens)');
  if (rps !== undefined && burst !== undefined && burst < rps) {
    c.fail([...path, 'burst'], `burst must be at least requestsPerSecond (${rps}), got ${burst}`);
    return undefined;
  }
  if (rps === undefined) return undefined;
  return compact<RateLimitSpec>({ requestsPerSecond: rps, burst });
}
