/**
 * TLS transport sockets for mesh mTLS, in the two ways clients get certificates:
 * - Envoy (sidecars, gateways): SDS over the ADS stream, secrets `default` (the workload's
 *   certificate and key) and `ROOTCA` (the trust bundle); see secrets.ts.
 * - Proxyless gRPC (gRFC A29): certificate provider instance `default` from the gRPC bootstrap
 *   (files kept fresh by `trellis agent`), never over xDS.
 * Server SAN checks pin the target service's SPIFFE id. Envoy takes the typed matcher inside a
 * combined validation context; grpc-js-xds reads only `match_subject_alt_names` (it ignores the
 * typed variant, so a wrong SAN would pass) and rejects SDS validation contexts.
 * Inbound contexts require a client certificate signed by the trust bundle; which identities may
 * call is authorization (a later step), not this.
 */
import { adsConfigSource, typed, type EnvoyObject } from './envoy-values.ts';

export const TLS_TRANSPORT_SOCKET_NAME = 'envoy.transport_sockets.tls';
const UPSTREAM_TLS_TYPE = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const DOWNSTREAM_TLS_TYPE = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** SDS secret names every Envoy proxy uses. */
export const SECRET_NAMES = {
  /** The workload's certificate chain and private key (tls_certificate). */
  certificate: 'default',
  /** The trust bundle (validation_context.trusted_ca). */
  trustBundle: 'ROOTCA',
} as const;

/** The gRPC bootstrap certificate provider instance proxyless resources name (written by `trellis agent`). */
export const CERTIFICATE_PROVIDER_INSTANCE = 'default';

/** ALPN a TLS-terminating Envoy listener offers for http/grpc so HTTP/2 clients keep HTTP/2. */
const HTTP_ALPN = ['h2', 'http/1.1'];

function sdsSecret(name: string): EnvoyObject {
  return { name, sds_config: adsConfigSource() };
}

function providerInstance(): EnvoyObject {
  return { instance_name: CERTIFICATE_PROVIDER_INSTANCE };
}

function transportSocket(typeName: string, context: EnvoyObject): EnvoyObject {
  return { name: TLS_TRANSPORT_SOCKET_NAME, typed_config: typed(typeName, context) };
}

/** Envoy calling a mesh service over mTLS: SDS `default` certificate, ROOTCA plus a URI SAN pin on `serverSpiffeId`. */
export function envoyUpstreamTls(serverSpiffeId: string): EnvoyObject {
  return transportSocket(UPSTREAM_TLS_TYPE, {
    common_tls_context: {
      tls_certificate_sds_secret_configs: [sdsSecret(SECRET_NAMES.certificate)],
      combined_validation_context: {
        default_validation_context: {
          match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: serverSpiffeId } }],
        },
        validation_context_sds_secret_config: sdsSecret(SECRET_NAMES.trustBundle),
      },
    },
  });
}

/** Envoy accepting mTLS: SDS `default` certificate, a client certificate required and checked against ROOTCA. */
export function envoyDownstreamTls(http: boolean): EnvoyObject {
  return transportSocket(DOWNSTREAM_TLS_TYPE, {
    require_client_certificate: { value: true },
    common_tls_context: {
      tls_certificate_sds_secret_configs: [sdsSecret(SECRET_NAMES.certificate)],
      validation_context_sds_secret_config: sdsSecret(SECRET_NAMES.trustBundle),
      ...(http ? { alpn_protocols: HTTP_ALPN } : {}),
    },
  });
}

/** A proxyless gRPC client calling a mesh service over mTLS (A29 provider instances, SAN pinned to `serverSpiffeId`). */
export function grpcUpstreamTls(serverSpiffeId: string): EnvoyObject {
  return transportSocket(UPSTREAM_TLS_TYPE, {
    common_tls_context: {
      tls_certificate_provider_instance: providerInstance(),
      validation_context: {
        ca_certificate_provider_instance: providerInstance(),
        match_subject_alt_names: [{ exact: serverSpiffeId }],
      },
    },
  });
}

/** An xDS-enabled gRPC server (A36) accepting mTLS only: provider instance certificate, client certificate required. */
export function grpcDownstreamTls(): EnvoyObject {
  return transportSocket(DOWNSTREAM_TLS_TYPE, {
    require_client_certificate: { value: true },
    common_tls_context: {
      tls_certificate_provider_instance: providerInstance(),
      validation_context: { ca_certificate_provider_instance: providerInstance() },
    },
  });
}
