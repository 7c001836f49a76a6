/**
 * The per-route policies of an Envoy RouteAction / Route, from a RouteModel: retries, request
 * mirroring, header mutation and the ring-hash hash policy. Fault injection lives with its filter
 * (filters/fault.ts).
 */
import type { HeaderOperationsModel, MirrorModel, RetryModel } from '../../model/types.ts';
import { duration, fractionalPercent, type EnvoyObject } from './envoy-values.ts';

/**
 * `retry_policy`: conditions joined by commas (Envoy takes HTTP conditions and gRPC status names
 * in the same list; gRPC clients read the status names and ignore the rest), `num_retries` and
 * `per_try_timeout`.
 */
export function buildRetryPolicy(retry: RetryModel): EnvoyObject {
  return {
    retry_on: retry.on.join(','),
    num_retries: { value: retry.attempts },
    ...(retry.perTryTimeoutMs !== undefined ? { per_try_timeout: duration(retry.perTryTimeoutMs) } : {}),
  };
}

/** `request_mirror_policies` (Envoy only): a copy of `percent`% of requests to the mirror cluster. */
export function buildMirrorPolicies(mirror: MirrorModel): EnvoyObject[] {
  return [{ cluster: mirror.cluster, runtime_fraction: { default_value: fractionalPercent(mirror.percent) } }];
}

/** `hash_policy` for ring hash: hash the value of one request header. */
export function buildHashPolicy(header: string): EnvoyObject[] {
  return [{ header: { header_name: header } }];
}

/**
 * Route-level header mutation for one direction (`request` or `response`): `set` overwrites or
 * adds, `add` appends, `remove` deletes. Returns the Route fields to spread in.
 */
export function buildHeaderMutation(direction: 'request' | 'response', ops: HeaderOperationsModel | undefined): EnvoyObject {
  if (!ops) return {};
  const toAdd = [
    ...Object.entries(ops.set ?? {}).map(([key, value]) => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    ...Object.entries(ops.add ?? {}).map(([key, value]) => ({ header: { key, value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' })),
  ];
  const fields: EnvoyObject = {};
  if (toAdd.length > 0) fields[`${direction}_headers_to_add`] = toAdd;
  if (ops.remove && ops.remove.length > 0) fields[`${direction}_headers_to_remove`] = [...ops.remove];
  return fields;
}
