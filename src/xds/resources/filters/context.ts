/** What an HTTP filter entry sees when the HCM that would hold it is built. */
import type { RateLimitModel, RouteModel } from '../../../model/types.ts';
import type { EnvoyObject } from '../envoy-values.ts';

/** Where the HCM sits: outbound (sidecar outbound, gRPC client), inbound (sidecar), server (gRPC A36). */
export type HttpFilterSide = 'outbound' | 'inbound' | 'server';

export interface HttpFilterContext {
  readonly side: HttpFilterSide;
  /** The routes served through this HCM (outbound), for filters configured per route. */
  readonly routes?: readonly RouteModel[];
  /** Inbound: the own service's local rate limit. */
  readonly rateLimit?: RateLimitModel;
}

export interface HttpFilterEntry {
  readonly name: string;
  /** The HttpFilter message for `context`, or undefined to leave the filter out there. */
  readonly build: (context: HttpFilterContext) => EnvoyObject | undefined;
}
