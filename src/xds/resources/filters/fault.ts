/**
 * Fault injection (`envoy.filters.http.fault`). The HCM carries the filter with an empty
 * HTTPFault (no fault) whenever one of its routes injects faults; each such route carries its
 * own HTTPFault in `typed_per_filter_config`, which Envoy and gRPC (grpc-js-xds) both honour as
 * a per-route override. gRPC knows this filter on clients only (not on A36 servers), so it is
 * never added to a server-side HCM.
 */
import type { FaultModel } from '../../../model/types.ts';
import { duration, fractionalPercent, typed, type EnvoyObject } from '../envoy-values.ts';
import type { HttpFilterEntry } from './context.ts';

export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';
export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

/** The per-route HTTPFault Any for `fault`. */
export function buildFaultConfig(fault: FaultModel): EnvoyObject {
  const fields: EnvoyObject = {};
  if (fault.delay) {
    fields['delay'] = { fixed_delay: duration(fault.delay.fixedMs), percentage: fractionalPercent(fault.delay.percent) };
  }
  if (fault.abort) {
    const code = fault.abort.grpcStatus !== undefined ? { grpc_status: fault.abort.grpcStatus } : { http_status: fault.abort.httpStatus };
    fields['abort'] = { ...code, percentage: fractionalPercent(fault.abort.percent) };
  }
  return typed(FAULT_TYPE, fields);
}

/** In the outbound (client) HCM only, and only when a route there injects faults. */
export const faultFilter: HttpFilterEntry = {
  name: FAULT_FILTER_NAME,
  build: (context) =>
    context.side === 'outbound' && (context.routes ?? []).some((r) => r.fault !== undefined)
      ? { name: FAULT_FILTER_NAME, typed_config: typed(FAULT_TYPE, {}) }
      : undefined,
};
