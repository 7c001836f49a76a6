/**
 * Bootstraps for ADS over TLS (`--xds-tls`): gRPC's channel_creds `tls` with the bundle file (no
 * insecure fallback), Envoy's trellis_xds cluster with an UpstreamTlsContext that checks the
 * chain and the dialled host; and the serving certificate's SANs `trellis serve` asks for.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { xdsServingNames } from '../../src/cli/commands/serve.ts';
import { envoyBootstrap, envoyBootstrapJson, grpcBootstrap } from '../../src/xds/bootstrap.ts';
import { expectValidEnvoy } from '../support/envoy-assert.ts';

const base = { service: 'echo', namespace: 'demo', xdsAddress: '127.0.0.1:18000' };
const xdsTls = { caCertificateFile: '/etc/trellis/bundle.pem' };

type Json = Record<string, unknown>;
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Json)[key] : undefined), value);

describe('gRPC bootstrap with --xds-tls', () => {
  it('names only tls channel credentials with the bundle file', () => {
    const bootstrap = grpcBootstrap({ ...base, xdsTls });
    expect(at(bootstrap, 'xds_servers', 0, 'channel_creds')).toEqual([{ type: 'tls', config: { ca_certificate_file: '/etc/trellis/bundle.pem' } }]);
    expect(at(grpcBootstrap(base), 'xds_servers', 0, 'channel_creds')).toEqual([{ type: 'insecure' }]);
  });

  it('grpc-js-xds 1.14 refuses it (it has no tls channel_creds) instead of falling back to plaintext', () => {
    const require = createRequire(import.meta.url);
    const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap.js') as { validateBootstrapConfig: (o: unknown) => unknown };
    expect(() => validateBootstrapConfig(grpcBootstrap(base))).not.toThrow();
    expect(() => validateBootstrapConfig(grpcBootstrap({ ...base, xdsTls }))).toThrow(/channel_creds/);
  });
});

describe('Envoy bootstrap with --xds-tls', () => {
  it('is valid (PGV rules included) for an IP and a DNS xDS address', () => {
    expectValidEnvoy('envoy.config.bootstrap.v3.Bootstrap', envoyBootstrap({ ...base, xdsTls }));
    expectValidEnvoy('envoy.config.bootstrap.v3.Bootstrap', envoyBootstrap({ ...base, xdsAddress: 'trellis.internal:18000', xdsTls }));
  });

  it('checks the chain against the bundle and the SAN against the dialled IP', () => {
    const json = envoyBootstrapJson({ ...base, xdsTls });
    const socket = at(json, 'static_resources', 'clusters', 0, 'transport_socket');
    expect(at(socket, 'name')).toBe('envoy.transport_sockets.tls');
    expect(at(socket, 'typed_config', '@type')).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    expect(at(socket, 'typed_config', 'sni')).toBeUndefined();
    const validation = at(socket, 'typed_config', 'common_tls_context', 'validation_context');
    expect(at(validation, 'trusted_ca')).toEqual({ filename: '/etc/trellis/bundle.pem' });
    expect(at(validation, 'match_typed_subject_alt_names')).toEqual([{ san_type: 'IP_ADDRESS', matcher: { exact: '127.0.0.1' } }]);
  });

  it('sends SNI and checks a DNS SAN for a host name; plaintext without the option', () => {
    const json = envoyBootstrapJson({ ...base, xdsAddress: 'trellis.internal:18000', xdsTls });
    const config = at(json, 'static_resources', 'clusters', 0, 'transport_socket', 'typed_config');
    expect(at(config, 'sni')).toBe('trellis.internal');
    expect(at(config, 'common_tls_context', 'validation_context', 'match_typed_subject_alt_names')).toEqual([{ san_type: 'DNS', matcher: { exact: 'trellis.internal' } }]);
    expect(at(envoyBootstrapJson(base), 'static_resources', 'clusters', 0, 'transport_socket')).toBeUndefined();
  });
});

describe('xDS serving certificate names', () => {
  it('localhost and the listening IP, plus extra names sorted into DNS and IP', () => {
    expect(xdsServingNames('127.0.0.1', ['xds.example.org', '10.1.2.3', '127.0.0.1'])).toEqual({
      dnsNames: ['localhost', 'xds.example.org'],
      ipAddresses: ['127.0.0.1', '10.1.2.3'],
    });
  });

  it('a wildcard host gives the loopback addresses and the machine name instead', () => {
    expect(xdsServingNames('0.0.0.0', [], 'node-7')).toEqual({ dnsNames: ['localhost', 'node-7'], ipAddresses: ['127.0.0.1', '::1'] });
    expect(xdsServingNames('::', [], 'node-7').ipAddresses).not.toContain('::');
  });
});
