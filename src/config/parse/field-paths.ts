/**
 * The field paths of ServiceSettings that a PlatformPolicy may bound, with the kind of value at
 * each (which decides what a bound may say about it). Shared with the merge stage.
 */
import { PROTOCOLS } from '../../registry/types.ts';
import { MTLS_MODES } from '../types.ts';
import { LB_POLICIES } from './cluster.ts';
import { RETRY_ON } from './traffic.ts';

/** number/duration: min and max; string/string-list: values; every kind: allowed. */
export type SettingsFieldKind = 'number' | 'duration' | 'string' | 'string-list' | 'object' | 'map' | 'list';

export const SETTINGS_FIELD_KINDS: Readonly<Record<string, SettingsFieldKind>> = Object.freeze({
  protocol: 'string',
  subsets: 'map',
  dependencies: 'string-list',
  routes: 'list',
  timeout: 'duration',
  retries: 'object',
  'retries.attempts': 'number',
  'retries.perTryTimeout': 'duration',
  'retries.on': 'string-list',
  fault: 'object',
  'fault.abort': 'object',
  'fault.abort.percent': 'number',
  'fault.abort.httpStatus': 'number',
  'fault.abort.grpcStatus': 'number',
  'fault.delay': 'object',
  'fault.delay.percent': 'number',
  'fault.delay.fixed': 'duration',
  mirror: 'object',
  'mirror.service': 'string',
  'mirror.subset': 'string',
  'mirror.percent': 'number',
  headers: 'object',
  'headers.request': 'object',
  'headers.request.set': 'map',
  'headers.request.add': 'map',
  'headers.request.remove': 'string-list',
  'headers.response': 'object',
  'headers.response.set': 'map',
  'headers.response.add': 'map',
  'headers.response.remove': 'string-list',
  loadBalancer: 'object',
  'loadBalancer.policy': 'string',
  'loadBalancer.hashHeader': 'string',
  connectionPool: 'object',
  'connectionPool.maxConnections': 'number',
  'connectionPool.maxPendingRequests': 'number',
  'connectionPool.maxRequests': 'number',
  'connectionPool.maxRetries': 'number',
  outlierDetection: 'object',
  'outlierDetection.consecutive5xx': 'number',
  'outlierDetection.consecutiveGatewayErrors': 'number',
  'outlierDetection.interval': 'duration',
  'outlierDetection.baseEjectionTime': 'duration',
  'outlierDetection.maxEjectionPercent': 'number',
  'outlierDetection.failurePercentageThreshold': 'number',
  'outlierDetection.failurePercentageMinimumHosts': 'number',
  'outlierDetection.failurePercentageRequestVolume': 'number',
  rateLimit: 'object',
  'rateLimit.requestsPerSecond': 'number',
  'rateLimit.burst': 'number',
  mtls: 'object',
  'mtls.mode': 'string',
});

/** For string fields with a closed set of values: that set (a bound's `values` must come from it). */
export const SETTINGS_FIELD_ENUMS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  protocol: PROTOCOLS,
  'loadBalancer.policy': LB_POLICIES,
  'retries.on': RETRY_ON,
  'mtls.mode': MTLS_MODES,
});

/** The kind of a bounded field path, or undefined for a path ServiceSettings does not have. */
export function settingsFieldKind(path: string): SettingsFieldKind | undefined {
  return Object.hasOwn(SETTINGS_FIELD_KINDS, path) ? SETTINGS_FIELD_KINDS[path] : undefined;
}
