/** What an HTTP filter entry sees when the HCM that would hold it is built. */
import type { AuthorizationModel, RateLimitModel, RouteModel } from '../../../model/types.ts';
import type { EnvoyObject } from '../envoy-values.ts';

/** Where the HCM sits: outbound (sidecar outbound, gRPC client), inbound (sidecar), server (gRPC A36). */
export type HttpFilterSide = 'outbound' | 'inbound' | 'server';

export interface HttpFilterContext {
  readonly side: HttpFilterSide;
  /** The routes served through this HCM (outbound), for filters configured per route. */
  readonly routes?: readonly RouteModel[];
  /** Inbound: the own service's local rate limit. */
  readonly rateLimit?: RateLimitModel;
  /** Inbound and server: the own service's authorization rules (RBAC filters). */
  readonly authorization?: AuthorizationModel;
  /**
   * Sidecar inbound: the application port the listener fronts. Port conditions are decided
   * against it when the HCM is built, because the connection's own port is the sidecar's 15006.
   */
  readonly applicationPort?: number;
}

export interface HttpFilterEntry {
  readonly name: string;
  /** The HttpFilter message for `context`, or undefined to leave the filter out there. */
  readonly build: (context: HttpFilterContext) => EnvoyObject | undefined;
}
