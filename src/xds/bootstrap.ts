/**
 * Bootstrap files that point a workload at Trellis: an Envoy bootstrap (sidecars) and the gRPC
 * xDS bootstrap (proxyless gRPC, gRFC A27). Pure functions of their options; the CLI prints them.
 * Node metadata follows the convention parsed by src/model/node-identity.ts.
 */
import type { Protocol } from '../registry/types.ts';
import { toProto3Json } from './proto/json.ts';
import { toStruct } from './proto/struct.ts';

export interface BootstrapOptions {
  readonly service: string;
  readonly namespace: string;
  /** host:port of Trellis' xDS server. */
  readonly xdsAddress: string;
  readonly nodeId?: string;
  /** The workload's own address and serving port, for inbound config and auto-registration. */
  readonly address?: string;
  readonly port?: number;
  readonly protocol?: Protocol;
  readonly region?: string;
  readonly zone?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Envoy admin port on 127.0.0.1 (sidecars only). */
  readonly adminPort?: number;
  /** Reach Trellis' xDS server over TLS, verifying its certificate against this CA bundle file. */
  readonly xdsTls?: XdsTlsOptions;
}

/** ADS over TLS: the trust bundle (PEM file) that verifies the xDS server's certificate. */
export interface XdsTlsOptions {
  readonly caCertificateFile: string;
}

function splitHostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match?.[1] || !match[2]) throw new Error(`xDS address must be host:port, got "${address}"`);
  return { host: match[1], port: Number(match[2]) };
}

function nodeMetadata(options: BootstrapOptions, kind: 'sidecar' | 'proxyless'): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    'trellis.kind': kind,
    'trellis.service': options.service,
    'trellis.namespace': options.namespace,
  };
  if (options.address) metadata['trellis.address'] = options.address;
  if (options.port) metadata['trellis.port'] = options.port;
  if (options.protocol) metadata['trellis.protocol'] = options.protocol;
  if (options.labels && Object.keys(options.labels).length > 0) metadata['trellis.labels'] = { ...options.labels };
  return metadata;
}

function node(options: BootstrapOptions, kind: 'sidecar' | 'proxyless'): Record<string, unknown> {
  const suffix = `${options.service}.${options.namespace}`;
  return {
    id: options.nodeId ?? `${kind}~${options.address ?? 'unknown'}~${suffix}`,
    cluster: options.service,
    // gRPC requires a locality object; empty fields are left out.
    locality: { ...(options.region ? { region: options.region } : {}), ...(options.zone ? { zone: options.zone } : {}) },
    metadata: toStruct(nodeMetadata(options, kind)),
  };
}

const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/**
 * The trellis_xds cluster's TLS: chain checked against the bundle file and the SAN against the
 * host dialled (Envoy checks no host name unless told), SNI for a DNS name.
 */
function xdsTransportSocket(tls: XdsTlsOptions, host: string, isIp: boolean): Record<string, unknown> {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS,
      ...(isIp ? {} : { sni: host }),
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: tls.caCertificateFile },
          match_typed_subject_alt_names: [{ san_type: isIp ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } }],
        },
      },
    },
  };
}

/** An Envoy v3 bootstrap, a plain object in the codec's conventions (`envoyBootstrapJson` for files). */
export function envoyBootstrap(options: BootstrapOptions): Record<string, unknown> {
  const { host, port } = splitHostPort(options.xdsAddress);
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  const adsSource = { ads: {}, resource_api_version: 'V3' };
  return {
    node: node(options, 'sidecar'),
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: 'trellis_xds' } }],
      },
      cds_config: adsSource,
      lds_config: adsSource,
    },
    static_resources: {
      clusters: [
        {
          name: 'trellis_xds',
          type: isIp ? 'STATIC' : 'STRICT_DNS',
          connect_timeout: { seconds: 1 },
          ...(options.xdsTls ? { transport_socket: xdsTransportSocket(options.xdsTls, host, isIp) } : {}),
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: 'trellis_xds',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
          },
        },
      ],
    },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: options.adminPort ?? 15000 } } },
  };
}

/** The Envoy bootstrap in proto3 JSON, as Envoy reads it from a YAML or JSON file. */
export function envoyBootstrapJson(options: BootstrapOptions): unknown {
  return toProto3Json('envoy.config.bootstrap.v3.Bootstrap', envoyBootstrap(options));
}

/**
 * The gRPC xDS bootstrap JSON for proxyless clients and xDS-enabled servers. With `xdsTls` the
 * only channel_creds is `tls` (gRFC A65): no insecure fallback, so a client that lacks `tls`
 * (grpc-js-xds 1.14 supports only insecure and google_default) refuses the bootstrap rather
 * than fetching keys in the clear.
 */
export function grpcBootstrap(options: BootstrapOptions): Record<string, unknown> {
  splitHostPort(options.xdsAddress);
  const channelCreds = options.xdsTls
    ? [{ type: 'tls', config: { ca_certificate_file: options.xdsTls.caCertificateFile } }]
    : [{ type: 'insecure' }];
  return {
    xds_servers: [{ server_uri: options.xdsAddress, channel_creds: channelCreds, server_features: ['xds_v3'] }],
    // The gRPC bootstrap is plain JSON (not the codec form): metadata is a JSON object.
    node: { ...node(options, 'proxyless'), metadata: nodeMetadata(options, 'proxyless') },
    server_listener_resource_name_template: 'grpc/server?xds.resource.listening_address=%s',
  };
}
