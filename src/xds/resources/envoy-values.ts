/**
 * Small shared pieces of Envoy resources, as plain objects in the codec's conventions (proto
 * snake_case field names, `Any` as `{'@type': url, ...fields}`, durations `{seconds, nanos}`,
 * wrapper types such as UInt32Value as `{value}`, enums by name).
 */

/** A resource or nested message as a plain object. */
export type EnvoyObject = Record<string, unknown>;

/** Fixed ports and names of the Envoy sidecar's listeners (traffic is redirected to them). */
export const SIDECAR_PORTS = {
  /** Outbound HTTP/gRPC traffic from the application (listener `outbound_http`). */
  outboundHttp: 15001,
  /** Inbound traffic to the application (listener `inbound|<port>`). */
  inbound: 15006,
} as const;

/** Resource names that are fixed by convention. */
export const RESOURCE_NAMES = {
  outboundHttpListener: 'outbound_http',
  /**
   * The outbound HCM's `scoped_routes` name, and the prefix of the sidecar's per-service route
   * configurations (`outbound_http/<name>.<ns>`) and scopes (`outbound_http/<authority>`).
   */
  outboundHttpRoute: 'outbound_http',
} as const;

export const HCM_FILTER_NAME = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_FILTER_NAME = 'envoy.filters.network.tcp_proxy';
export const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

const TYPE_PREFIX = 'type.googleapis.com/';

/** `google.protobuf.Any` of the message `fullName` with `fields`. */
export function typed(fullName: string, fields: EnvoyObject): EnvoyObject {
  return { '@type': `${TYPE_PREFIX}${fullName}`, ...fields };
}

/** The message name inside an Any's `@type`, or undefined when `value` is no Any. */
export function anyTypeName(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const url = (value as EnvoyObject)['@type'];
  return typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : undefined;
}

/** ConfigSource pointing at the ADS stream the resource came on (xDS v3). */
export function adsConfigSource(): EnvoyObject {
  return { ads: {}, resource_api_version: 'V3' };
}

/** A google.protobuf.Duration from milliseconds. */
export function duration(ms: number): EnvoyObject {
  const whole = Math.floor(ms / 1000);
  return { seconds: whole, nanos: Math.round((ms - whole * 1000) * 1e6) };
}

/** `envoy.config.core.v3.Address` for an IP literal and port. */
export function socketAddress(address: string, port: number): EnvoyObject {
  return { socket_address: { address, port_value: port } };
}

/** `HttpProtocolOptions` making a cluster speak HTTP/2 upstream (gRPC needs it). */
export function http2ProtocolOptions(): EnvoyObject {
  const name = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
  return { [name]: typed(name, { explicit_http_config: { http2_protocol_options: {} } }) };
}

/** Who reads a resource: Envoy, or a proxyless gRPC client (which supports a subset). */
export type ClientFlavor = 'envoy' | 'grpc';

/**
 * `envoy.type.v3.FractionalPercent` for a percentage 0..100: denominator HUNDRED for whole
 * numbers, TEN_THOUSAND for two decimals, else MILLION (rounded to four decimals).
 */
export function fractionalPercent(percent: number): EnvoyObject {
  const p = Math.min(100, Math.max(0, percent));
  if (Number.isInteger(p)) return { numerator: p, denominator: 'HUNDRED' };
  const hundredths = Math.round(p * 100);
  if (Math.abs(hundredths - p * 100) < 1e-9) return { numerator: hundredths, denominator: 'TEN_THOUSAND' };
  return { numerator: Math.round(p * 10_000), denominator: 'MILLION' };
}
