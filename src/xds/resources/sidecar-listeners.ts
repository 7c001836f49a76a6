/**
 * Envoy sidecar listeners:
 * - `outbound_http` on 127.0.0.1:15001, HCM with scoped routes: the whole `:authority` header
 *   picks a scope (SRDS), the scope a service's RouteConfiguration (RDS); see scoped-routes.ts;
 * - `outbound_tcp|<port>|<key>` on 127.0.0.1:<port> for each visible tcp service with a port,
 *   tcp_proxy to its default cluster; on a port clash the first by key wins, the others get a
 *   warning diagnostic and no listener;
 * - `inbound|<inboundPort>` on 0.0.0.0:15006 (sidecars with an inbound port only): HCM with an
 *   inline route to the inbound cluster for http/grpc (with the local rate limit filter when the
 *   own service sets one, and RBAC filters when it has authorization rules), tcp_proxy for tcp. mTLS per mtls-plan.ts: STRICT one filter chain
 *   with the TLS transport socket; PERMISSIVE the TLS inspector and two chains (`mtls` matching
 *   transport_protocol tls, `plaintext` matching raw_buffer); no listener for an unproven STRICT
 *   sidecar.
 * Gateways get the outbound listeners only (gateway support is a later issue).
 */
import { inboundClusterName } from '../../model/names.ts';
import type { ProxyView, ServiceModel } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import {
  HCM_FILTER_NAME,
  RESOURCE_NAMES,
  SIDECAR_PORTS,
  socketAddress,
  TCP_PROXY_FILTER_NAME,
  TCP_PROXY_TYPE,
  typed,
  type EnvoyObject,
} from './envoy-values.ts';
import { buildHttpConnectionManager } from './http-connection-manager.ts';
import { sidecarInbound } from './mtls-plan.ts';
import { isHttpService } from './routes.ts';
import { buildOutboundScopedRoutes } from './scoped-routes.ts';
import { envoyDownstreamTls } from './tls.ts';

const TLS_INSPECTOR_NAME = 'envoy.filters.listener.tls_inspector';
const TLS_INSPECTOR_TYPE = 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

const LOOPBACK = '127.0.0.1';
const ANY_ADDRESS = '0.0.0.0';

/** Every listener of a sidecar (or gateway) view, plus warnings for tcp port clashes. */
export function buildSidecarListeners(view: ProxyView): { listeners: EnvoyObject[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const listeners: EnvoyObject[] = [outboundHttpListener(view)];
  // Ports already bound on 127.0.0.1 by this proxy, with who holds them.
  const taken = new Map<number, string>([[SIDECAR_PORTS.outboundHttp, `listener ${RESOURCE_NAMES.outboundHttpListener}`]]);
  const inbound = view.kind === 'sidecar' && view.inboundPort > 0 && sidecarInbound(view) !== 'none';
  if (inbound) taken.set(SIDECAR_PORTS.inbound, 'the inbound listener');
  for (const service of view.visibleServices) {
    if (service.protocol !== 'tcp' || service.port <= 0) continue;
    const holder = taken.get(service.port);
    if (holder !== undefined) {
      diagnostics.push({
        severity: 'warning',
        field: 'port',
        message: `tcp port ${service.port} is already used by ${holder}; no outbound listener for this service`,
        source: `service ${service.key}`,
      });
      continue;
    }
    taken.set(service.port, `service ${service.key}`);
    listeners.push(outboundTcpListener(service));
  }
  if (inbound) listeners.push(inboundListener(view));
  return { listeners, diagnostics };
}

/** The outbound HCM's filters depend on the routes of every visible http/grpc service (fault). */
function outboundHttpListener(view: ProxyView): EnvoyObject {
  const name = RESOURCE_NAMES.outboundHttpListener;
  const routes = view.visibleServices.filter(isHttpService).flatMap((s) => s.routes);
  const hcm = buildHttpConnectionManager(name, { scopedRoutes: buildOutboundScopedRoutes() }, { side: 'outbound', routes });
  return {
    name,
    address: socketAddress(LOOPBACK, SIDECAR_PORTS.outboundHttp),
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [{ name: HCM_FILTER_NAME, typed_config: hcm }] }],
  };
}

function outboundTcpListener(service: ServiceModel): EnvoyObject {
  const cluster = service.clusters[0]?.name ?? '';
  return {
    name: `outbound_tcp|${service.port}|${service.key}`,
    address: socketAddress(LOOPBACK, service.port),
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [tcpProxy(`outbound_tcp|${service.key}`, cluster)] }],
  };
}

function inboundListener(view: ProxyView): EnvoyObject {
  const name = `inbound|${view.inboundPort}`;
  const cluster = inboundClusterName(view.inboundPort, view.serviceKey);
  const filter =
    view.inboundProtocol === 'tcp'
      ? tcpProxy(name, cluster)
      : {
          name: HCM_FILTER_NAME,
          typed_config: buildHttpConnectionManager(
            name,
            {
              routeConfig: {
                name,
                virtual_hosts: [
                  { name: 'inbound', domains: ['*'], routes: [{ name: 'inbound', match: { prefix: '/' }, route: { cluster } }] },
                ],
              },
            },
            {
              side: 'inbound',
              ...(view.inboundRateLimit ? { rateLimit: view.inboundRateLimit } : {}),
              ...(view.inboundAuthorization ? { authorization: view.inboundAuthorization, applicationPort: view.inboundPort } : {}),
            },
          ),
        };
  const base = { name, address: socketAddress(ANY_ADDRESS, SIDECAR_PORTS.inbound), traffic_direction: 'INBOUND' };
  const tls = (): EnvoyObject => envoyDownstreamTls(view.inboundProtocol !== 'tcp');
  switch (sidecarInbound(view)) {
    case 'mtls':
      return { ...base, filter_chains: [{ name: 'mtls', filters: [filter], transport_socket: tls() }] };
    case 'mtls-and-plaintext':
      return {
        ...base,
        listener_filters: [{ name: TLS_INSPECTOR_NAME, typed_config: typed(TLS_INSPECTOR_TYPE, {}) }],
        filter_chains: [
          { name: 'mtls', filter_chain_match: { transport_protocol: 'tls' }, filters: [filter], transport_socket: tls() },
          { name: 'plaintext', filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [filter] },
        ],
      };
    default:
      return { ...base, filter_chains: [{ filters: [filter] }] };
  }
}

function tcpProxy(statPrefix: string, cluster: string): EnvoyObject {
  return { name: TCP_PROXY_FILTER_NAME, typed_config: typed(TCP_PROXY_TYPE, { stat_prefix: statPrefix, cluster }) };
}
