/**
 * Proxyless gRPC (`@grpc/grpc-js-xds`) listeners.
 * - Client: an `api_listener` per http/grpc service, named by its key (and by its short name when
 *   the proxy is in the same namespace, since `xds:///<name>` asks for the name as written), each
 *   also with `:<port>` when the service has a port (`xds:///echo.demo:50051`),
 *   whose HCM takes routes by RDS from the RouteConfiguration named by the service key.
 * - Server (gRFC A36): `grpc/server?xds.resource.listening_address=<host>:<port>` with `address`
 *   equal to the bind address, one filter chain without filter_chain_match, an inline route
 *   config whose only route carries `non_forwarding_action`; with mTLS (`requireMtls`) the
 *   chain carries the A29 DownstreamTlsContext (provider instance `default`, client cert required);
 *   the service's authorization rules become RBAC filters in its HCM (filters/rbac.ts).
 */
import { isIP } from 'node:net';
import type { AuthorizationModel, ServerListenerModel, ServiceModel } from '../../model/types.ts';
import { HCM_FILTER_NAME, socketAddress, type EnvoyObject } from './envoy-values.ts';
import { buildHttpConnectionManager } from './http-connection-manager.ts';
import { isHttpService } from './routes.ts';
import { grpcDownstreamTls } from './tls.ts';

/** Client listeners for `service` as seen from `proxyNamespace`; [] for tcp services. */
export function buildApiListeners(service: ServiceModel, proxyNamespace: string): EnvoyObject[] {
  if (!isHttpService(service)) return [];
  const bare = service.namespace === proxyNamespace ? [service.key, service.name] : [service.key];
  const names = service.port > 0 ? bare.flatMap((n) => [n, `${n}:${service.port}`]) : bare;
  return names.map((name) => ({
    name,
    api_listener: {
      api_listener: buildHttpConnectionManager(service.key, { rds: service.key }, { side: 'outbound', routes: service.routes }),
    },
  }));
}

/** The A36 resource name for a server listening on `address:port` (IPv6 in brackets). */
export function serverListenerName(l: ServerListenerModel): string {
  return `grpc/server?xds.resource.listening_address=${hostPort(l)}`;
}

/**
 * The A36 server Listener for `l`, requiring mTLS from every client when `requireMtls`, and
 * enforcing `authorization` with RBAC filters (gRFC A41) when given.
 */
export function buildServerListener(l: ServerListenerModel, requireMtls = false, authorization?: AuthorizationModel): EnvoyObject {
  const name = serverListenerName(l);
  const routeConfig = {
    name: `inbound|${hostPort(l)}`,
    virtual_hosts: [
      { name: 'inbound', domains: ['*'], routes: [{ name: 'inbound', match: { prefix: '' }, non_forwarding_action: {} }] },
    ],
  };
  return {
    name,
    address: socketAddress(l.address, l.port),
    filter_chains: [
      {
        name: 'inbound',
        filters: [{ name: HCM_FILTER_NAME, typed_config: buildHttpConnectionManager(requireMtls ? 'inbound_mtls' : 'inbound', { routeConfig }, authorization ? { side: 'server', authorization } : 'server') }],
        ...(requireMtls ? { transport_socket: grpcDownstreamTls() } : {}),
      },
    ],
  };
}

function hostPort(l: ServerListenerModel): string {
  return isIP(l.address) === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}
