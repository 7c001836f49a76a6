/** RBAC filter building (order, sides, ports, principals) and the authorization warnings of a view. */
import { describe, expect, it } from 'vitest';
import type { AuthorizationModel, ProxyView } from '../../../src/model/types.ts';
import { authorizationWarnings } from '../../../src/xds/resources/authorization-plan.ts';
import { buildRbacConfig, RBAC_TYPE } from '../../../src/xds/resources/filters/rbac.ts';
import { buildHttpFilters } from '../../../src/xds/resources/http-filters.ts';
import { translateView } from '../../../src/xds/resources/translate.ts';
import { encodeMessage } from '../../../src/xds/proto/codec.ts';
import { messageNameOf, TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';
import { loadGoldenCase } from './golden-cases.ts';

const BY_IDENTITY: AuthorizationModel = {
  deny: [{ name: 'AuthorizationPolicy/d#0', layer: 'platform', principals: [{ prefix: 'spiffe://trellis.local/ns/legacy/sa/' }] }],
  allow: [
    {
      name: 'AuthorizationPolicy/ns/a#0',
      layer: 'team',
      principals: [{ allOf: [{ exact: 'spiffe://trellis.local/ns/ns/sa/x' }, { prefix: 'spiffe://trellis.local/ns/ns/' }] }],
      permissions: [{ methods: ['GET', 'HEAD'], ports: [8080, 9090] }, { ports: [7070] }],
    },
  ],
  hasAllowPolicies: true,
};
const BY_PATH_ONLY: AuthorizationModel = {
  deny: [{ name: 'AuthorizationPolicy/d#0', layer: 'platform', permissions: [{ paths: [{ prefix: '/admin/' }] }] }],
  allow: [],
  hasAllowPolicies: false,
};

/** The message fields of an Any (what expectValidEnvoy checks). */
const withoutType = ({ '@type': _type, ...fields }: Record<string, unknown>): Record<string, unknown> => fields;

const names = (filters: readonly Record<string, unknown>[]): unknown[] => filters.map((f) => f['name']);

describe('RBAC filters in the HCM', () => {
  it('go after rate limiting and before the router, deny before allow, on serving sides only', () => {
    const rateLimit = { requestsPerSecond: 10, burst: 10 };
    expect(names(buildHttpFilters({ side: 'inbound', rateLimit, authorization: BY_IDENTITY, applicationPort: 8080 }))).toEqual([
      'envoy.filters.http.local_ratelimit',
      'envoy.filters.http.rbac/deny',
      'envoy.filters.http.rbac/allow',
      'envoy.filters.http.router',
    ]);
    expect(names(buildHttpFilters({ side: 'server', authorization: BY_PATH_ONLY }))).toEqual(['envoy.filters.http.rbac/deny', 'envoy.filters.http.router']);
    expect(names(buildHttpFilters({ side: 'outbound', authorization: BY_IDENTITY }))).toEqual(['envoy.filters.http.router']);
    expect(names(buildHttpFilters({ side: 'inbound', authorization: { deny: [], allow: [], hasAllowPolicies: true } }))).toEqual([
      'envoy.filters.http.rbac/allow',
      'envoy.filters.http.router',
    ]);
  });

  it('keeps ports as destination_port on a gRPC server', () => {
    const config = buildRbacConfig('ALLOW', BY_IDENTITY.allow);
    expectValidEnvoy(RBAC_TYPE, withoutType(config));
    const policy = (config['rules'] as { policies: Record<string, unknown> }).policies['AuthorizationPolicy/ns/a#0'];
    expect(policy).toEqual({
      permissions: [
        {
          and_rules: {
            rules: [
              { or_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'GET' } } }, { header: { name: ':method', string_match: { exact: 'HEAD' } } }] } },
              { or_rules: { rules: [{ destination_port: 8080 }, { destination_port: 9090 }] } },
            ],
          },
        },
        { destination_port: 7070 },
      ],
      principals: [
        {
          and_ids: {
            ids: [
              { authenticated: { principal_name: { exact: 'spiffe://trellis.local/ns/ns/sa/x' } } },
              { authenticated: { principal_name: { prefix: 'spiffe://trellis.local/ns/ns/' } } },
            ],
          },
        },
      ],
    });
  });

  it('decides ports against the application port on a sidecar (its listener port is 15006)', () => {
    const config = buildRbacConfig('ALLOW', BY_IDENTITY.allow, 9090);
    expectValidEnvoy(RBAC_TYPE, withoutType(config));
    const policy = (config['rules'] as { policies: Record<string, { permissions: unknown[] }> }).policies['AuthorizationPolicy/ns/a#0'];
    expect(policy?.permissions).toEqual([
      { or_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'GET' } } }, { header: { name: ':method', string_match: { exact: 'HEAD' } } }] } },
      { not_rule: { any: true } },
    ]);
  });

  it('changes the encoded server Listener when the rules change', () => {
    const { view } = loadGoldenCase('rbac-proxyless-server');
    const bytes = (v: ProxyView): string => {
      const listener = translateView(v).resources[TypeUrl.Listener].find((r) => r.name.startsWith('grpc/server?'));
      return Buffer.from(encodeMessage(messageNameOf(TypeUrl.Listener), listener?.value ?? {})).toString('base64');
    };
    const { inboundAuthorization: _drop, ...unguarded } = view;
    expect(bytes({ ...view, inboundAuthorization: BY_PATH_ONLY })).not.toBe(bytes(view));
    expect(bytes(unguarded)).not.toBe(bytes(view));
    expect(bytes({ ...view })).toBe(bytes(view));
  });

  it('an ALLOW filter without rules is valid Envoy config with no policies (denies all)', () => {
    const config = buildRbacConfig('ALLOW', []);
    expectValidEnvoy(RBAC_TYPE, withoutType(config));
    expect(config['rules']).toEqual({ action: 'ALLOW', policies: {} });
  });
});

const base: ProxyView = {
  key: 'k',
  kind: 'sidecar',
  namespace: 'payments',
  serviceKey: 'pay.payments',
  locality: { region: '', zone: '', subZone: '' },
  visibleServices: [],
  inboundPort: 8080,
  inboundProtocol: 'http',
  serverListeners: [],
  workloadIdentity: 'spiffe://trellis.local/ns/payments/sa/pay',
  inboundMtls: 'STRICT',
  inboundAuthorization: BY_IDENTITY,
};

describe('authorizationWarnings', () => {
  const fields = (view: ProxyView): string[] => authorizationWarnings(view).map((d) => `${d.severity} ${d.field} ${d.source}`);

  it('is quiet when rules are enforceable, absent, or name no callers', () => {
    expect(fields(base)).toEqual([]);
    const { inboundAuthorization: _drop, ...noRules } = base;
    expect(fields({ ...noRules, inboundMtls: 'DISABLE' })).toEqual([]);
    expect(fields({ ...base, inboundMtls: 'DISABLE', inboundAuthorization: BY_PATH_ONLY })).toEqual([]);
    // Unproven STRICT serves no inbound at all: mtls-plan warns about that instead.
    expect(fields({ ...base, workloadIdentity: '' })).toEqual([]);
  });

  it('warns when callers can be plaintext, and for tcp services', () => {
    expect(fields({ ...base, inboundMtls: 'DISABLE' })).toEqual(['warning authorization service pay.payments']);
    expect(authorizationWarnings({ ...base, inboundMtls: 'PERMISSIVE' })[0]?.message).toMatch(/PERMISSIVE.*cannot match plaintext callers/);
    expect(authorizationWarnings({ ...base, inboundMtls: 'PERMISSIVE', workloadIdentity: '' })[0]?.message).toMatch(/mTLS is off/);
    expect(authorizationWarnings({ ...base, inboundProtocol: 'tcp', inboundAuthorization: BY_PATH_ONLY })[0]?.message).toMatch(/not enforced for a tcp service/);
    const server: ProxyView = { ...base, kind: 'proxyless', inboundPort: 0, serverListeners: [{ address: '127.0.0.1', port: 50051 }] };
    expect(fields(server)).toEqual([]);
    expect(authorizationWarnings({ ...server, inboundMtls: 'DISABLE' })[0]?.message).toMatch(/DISABLE for this gRPC server/);
  });
});
