/**
 * Proxyless resources run through `@grpc/grpc-js-xds`'s own resource validators (the code that
 * decides ACK or NACK in a real client), for every proxyless golden case. Uses the package's
 * internal build paths: pinned to the 1.14 line in package.json; if they move, update BASE.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../src/xds/proto/codec.ts';
import { translateView } from '../../../src/xds/resources/translate.ts';
import { messageNameOf, TypeUrl } from '../../../src/xds/type-urls.ts';
import { goldenCaseNames, loadGoldenCase } from './golden-cases.ts';

interface GrpcResourceType {
  get(): { decode(context: unknown, resource: { type_url: string; value: Buffer }): { name: string; error?: string } };
}

const require = createRequire(import.meta.url);
// grpc-js-xds knows the RBAC filter (gRFC A41) only with this switch, read once when it loads: set
// it before the package is required (each test file runs in its own process). Servers that
// enforce authorization must run with it too, or they NACK a Listener with RBAC filters.
process.env['GRPC_XDS_EXPERIMENTAL_RBAC'] = 'true';
const BASE = '@grpc/grpc-js-xds/build/src/xds-resource-type/';
(require('@grpc/grpc-js-xds') as { register(): void }).register(); // registers the router, fault and RBAC filters
const load = (file: string, name: string): GrpcResourceType => (require(`${BASE}${file}`) as Record<string, GrpcResourceType>)[name] as GrpcResourceType;
const VALIDATORS: Partial<Record<TypeUrl, GrpcResourceType>> = {
  [TypeUrl.Listener]: load('listener-resource-type.js', 'ListenerResourceType'),
  [TypeUrl.RouteConfiguration]: load('route-config-resource-type.js', 'RouteConfigurationResourceType'),
  [TypeUrl.Cluster]: load('cluster-resource-type.js', 'ClusterResourceType'),
  [TypeUrl.ClusterLoadAssignment]: load('endpoint-resource-type.js', 'EndpointResourceType'),
};
/**
 * The decode context as grpc-js-xds builds it from its bootstrap. Its TLS validators check that
 * every provider instance a Cluster or Listener names is a key of `certificateProviders` (the
 * bootstrap's `certificate_providers`): `trellis agent` writes one named `default`.
 */
const CONTEXT = { server: {}, bootstrap: { certificateProviders: { default: { plugin_name: 'file_watcher', config: {} } } } };
const NO_PROVIDERS = { server: {}, bootstrap: { certificateProviders: {} } };

/** gRPC's verdict on one resource: 'OK' or its NACK message. */
function grpcVerdict(url: TypeUrl, value: object, context: object = CONTEXT): string {
  const validator = VALIDATORS[url];
  if (!validator) throw new Error(`no gRPC validator for ${url}`);
  const bytes = Buffer.from(encodeMessage(messageNameOf(url), value));
  return validator.get().decode(context, { type_url: url, value: bytes }).error ?? 'OK';
}

const proxylessCases = goldenCaseNames()
  .map((name) => ({ name, view: loadGoldenCase(name).view }))
  .filter(({ view }) => view.kind === 'proxyless');

describe('gRPC (grpc-js-xds) accepts proxyless resources', () => {
  it('has proxyless cases', () => {
    expect(proxylessCases.map((c) => c.name)).toEqual(
      expect.arrayContaining(['proxyless-client', 'proxyless-server', 'ipv6-endpoint', 'mtls-proxyless-client', 'mtls-proxyless-server', 'rbac-proxyless-server']),
    );
  });

  for (const { name, view } of proxylessCases) {
    it(name, () => {
      const { resources } = translateView(view);
      const verdicts = Object.values(TypeUrl)
        .filter((url) => url !== TypeUrl.Secret)
        .flatMap((url) => resources[url].map((r) => `${r.name}: ${grpcVerdict(url, r.value)}`));
      expect(verdicts.length).toBeGreaterThan(3);
      expect(verdicts.filter((v) => !v.endsWith(': OK'))).toEqual([]);
    });
  }

  it('rejects what it should (the check can fail)', () => {
    // The sidecar's STATIC inbound cluster, and a listener whose router is not the last filter.
    expect(grpcVerdict(TypeUrl.Cluster, { name: 'c', type: 'STATIC', connect_timeout: { seconds: 1 } })).not.toBe('OK');
    const hcm = { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'x', rds: { config_source: { ads: {} }, route_config_name: 'r' },
      http_filters: [
        { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
        { name: 'again', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
      ],
    };
    expect(grpcVerdict(TypeUrl.Listener, { name: 'l', api_listener: { api_listener: hcm } })).not.toBe('OK');
  });

  it('rejects least_request and random, which is why proxyless clusters fall back to round robin', () => {
    const eds = { name: 'c', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} }, service_name: 'c' }, connect_timeout: { seconds: 1 } };
    expect(grpcVerdict(TypeUrl.Cluster, { ...eds, lb_policy: 'ROUND_ROBIN' })).toBe('OK');
    expect(grpcVerdict(TypeUrl.Cluster, { ...eds, lb_policy: 'LEAST_REQUEST' })).not.toBe('OK');
    expect(grpcVerdict(TypeUrl.Cluster, { ...eds, lb_policy: 'RANDOM' })).not.toBe('OK');
  });

  it('validates the mTLS contexts: accepted with provider `default` in the bootstrap, refused without it', () => {
    const tlsResources = ['mtls-proxyless-client', 'mtls-proxyless-server'].flatMap((name) => {
      const { resources } = translateView(loadGoldenCase(name).view);
      return [TypeUrl.Cluster, TypeUrl.Listener].flatMap((url) =>
        resources[url].filter((r) => JSON.stringify(r.value).includes('transport_socket')).map((r) => ({ url, r })));
    });
    // echo's cluster (client and server cases) and the server listener.
    expect(tlsResources.map(({ r }) => r.name).sort()).toEqual([
      'grpc/server?xds.resource.listening_address=127.0.0.1:50051',
      'outbound|echo.demo',
      'outbound|echo.demo',
    ]);
    for (const { url, r } of tlsResources) {
      expect(grpcVerdict(url, r.value), r.name).toBe('OK');
      expect(grpcVerdict(url, r.value, NO_PROVIDERS), r.name).toMatch(/Unmatched .*instance_name: default/);
    }
  });

  it('refuses SDS-style (Envoy) TLS, which is why proxyless resources name provider instances', () => {
    const { resources } = translateView(loadGoldenCase('mtls-sidecar-strict').view);
    const envoyTls = resources[TypeUrl.Cluster].find((r) => r.name === 'outbound|ledger.payments');
    expect(JSON.stringify(envoyTls?.value)).toContain('tls_certificate_sds_secret_configs');
    expect(grpcVerdict(TypeUrl.Cluster, envoyTls?.value ?? {})).not.toBe('OK');
  });

  it('accepts the RBAC server listener only with GRPC_XDS_EXPERIMENTAL_RBAC=true (the check can fail)', () => {
    const { resources } = translateView(loadGoldenCase('rbac-proxyless-server').view);
    const listener = resources[TypeUrl.Listener].find((r) => r.name.startsWith('grpc/server?'));
    expect(JSON.stringify(listener?.value)).toContain('envoy.filters.http.rbac/allow');
    expect(grpcVerdict(TypeUrl.Listener, listener?.value ?? {})).toBe('OK');
    // The same bytes in a process without the switch: the unknown (non-optional) filter is refused.
    const bytes = Buffer.from(encodeMessage(messageNameOf(TypeUrl.Listener), listener?.value ?? {})).toString('base64');
    const script = `
      require('@grpc/grpc-js-xds').register();
      const { ListenerResourceType } = require('${BASE}listener-resource-type.js');
      const context = ${JSON.stringify(CONTEXT)};
      const result = ListenerResourceType.get().decode(context, { type_url: '${TypeUrl.Listener}', value: Buffer.from(process.argv[1], 'base64') });
      process.stdout.write(result.error ?? 'OK');`;
    const env = { ...process.env };
    delete env['GRPC_XDS_EXPERIMENTAL_RBAC'];
    const child = spawnSync(process.execPath, ['-e', script, bytes], { env, encoding: 'utf8', timeout: 15_000, cwd: process.cwd() });
    expect(child.stderr).toBe('');
    expect(child.stdout).toMatch(/rbac.*filter validation failed/);
  });
});
