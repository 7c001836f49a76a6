/** Authorization in the model: rule resolution to matchers, identity reuse, and what the view carries. */
import { describe, expect, it } from 'vitest';
import type { AuthorizationRule, ConfigLookup, EffectiveAuthorization, EffectiveAuthorizationRule } from '../../src/config/types.ts';
import { authorizationModel, authorize } from '../../src/model/authorization.ts';
import { buildMeshModel } from '../../src/model/build-model.ts';
import type { ProxyIdentity } from '../../src/model/types.ts';
import { viewFor } from '../../src/model/view.ts';
import { fakeConfigLookup } from '../support/fake-config-lookup.ts';
import { registryFixture } from '../support/registry-fixture.ts';

const TD = 'trellis.local';

function rule(action: 'ALLOW' | 'DENY', r: AuthorizationRule, index = 0, document = 'AuthorizationPolicy/shop/p'): EffectiveAuthorizationRule {
  return { action, layer: document.split('/').length === 3 ? 'team' : 'platform', document, source: { file: 'p.yaml', line: 3 }, index, rule: r };
}

function allowOnly(...rules: AuthorizationRule[]): EffectiveAuthorization {
  return { deny: [], allow: rules.map((r, i) => rule('ALLOW', r, i)), hasAllowPolicies: true };
}

describe('authorizationModel (rule resolution)', () => {
  it('is undefined without rules or ALLOW policies, and kept for an ALLOW policy without rules', () => {
    expect(authorizationModel('web.shop', undefined, TD)).toBeUndefined();
    expect(authorizationModel('web.shop', { deny: [], allow: [], hasAllowPolicies: false }, TD)).toBeUndefined();
    expect(authorizationModel('web.shop', { deny: [], allow: [], hasAllowPolicies: true }, TD)).toEqual({ deny: [], allow: [], hasAllowPolicies: true });
  });

  it('resolves sources to SPIFFE matchers in the trust domain', () => {
    const model = authorizationModel(
      'web.shop',
      allowOnly({
        from: [
          { service: 'pay.payments' },
          { service: 'cart' }, // bare: the guarded service's namespace
          { namespace: 'ops' },
          { namespace: '*' },
          { spiffeId: 'spiffe://x.example/ns/a/sa/b' },
          { spiffeId: 'spiffe://x.example/ns/a/*' },
          { spiffeId: '*' },
          { service: 'pay.payments', namespace: 'payments' },
        ],
      }),
      'corp.example',
    );
    expect(model?.allow[0]?.principals).toEqual([
      { exact: 'spiffe://corp.example/ns/payments/sa/pay' },
      { exact: 'spiffe://corp.example/ns/shop/sa/cart' },
      { prefix: 'spiffe://corp.example/ns/ops/sa/' },
      { prefix: 'spiffe://corp.example/ns/' },
      { exact: 'spiffe://x.example/ns/a/sa/b' },
      { prefix: 'spiffe://x.example/ns/a/' },
      { prefix: 'spiffe://' },
      { allOf: [{ exact: 'spiffe://corp.example/ns/payments/sa/pay' }, { prefix: 'spiffe://corp.example/ns/payments/sa/' }] },
    ]);
  });

  it('resolves operations; absent, empty and catch-all conditions match anything', () => {
    const model = authorizationModel(
      'web.shop',
      allowOnly(
        { to: [{ paths: ['/api/*', '/health'], methods: ['GET'], ports: [80, 8080] }] },
        { to: [{ paths: ['*'] }] },
        { from: [], to: [] },
        { from: [{ namespace: 'ops' }, {}] },
      ),
      TD,
    );
    expect(model?.allow.map((r) => ({ name: r.name, principals: r.principals, permissions: r.permissions }))).toEqual([
      { name: 'AuthorizationPolicy/shop/p#0', principals: undefined, permissions: [{ paths: [{ prefix: '/api/' }, { exact: '/health' }], methods: ['GET'], ports: [80, 8080] }] },
      { name: 'AuthorizationPolicy/shop/p#1', principals: undefined, permissions: undefined },
      { name: 'AuthorizationPolicy/shop/p#2', principals: undefined, permissions: undefined },
      // A source with no fields admits any caller, so the list as a whole does.
      { name: 'AuthorizationPolicy/shop/p#3', principals: undefined, permissions: undefined },
    ]);
  });

  it('authorize: deny beats allow, allow policies admit only matches, no model admits all', () => {
    const model = authorizationModel(
      'pay.payments',
      {
        deny: [rule('DENY', { from: [{ namespace: 'legacy' }] }, 0, 'AuthorizationPolicy/no-legacy')],
        allow: [rule('ALLOW', { from: [{ namespace: '*' }] }, 0, 'AuthorizationPolicy/payments/all')],
        hasAllowPolicies: true,
      },
      TD,
    );
    const req = (principal: string) => ({ principal, path: '/', method: 'GET', port: 80 });
    expect(authorize(model, req(`spiffe://${TD}/ns/legacy/sa/x`))).toEqual({ allowed: false, rule: 'AuthorizationPolicy/no-legacy#0' });
    expect(authorize(model, req(`spiffe://${TD}/ns/shop/sa/web`))).toEqual({ allowed: true, rule: 'AuthorizationPolicy/payments/all#0' });
    expect(authorize(model, req(''))).toEqual({ allowed: false });
    expect(authorize(undefined, req(''))).toEqual({ allowed: true });
  });
});

const registry = registryFixture({
  instances: [
    { service: 'pay', namespace: 'payments', address: '10.0.1.1', port: 8443 },
    { service: 'web', namespace: 'shop', address: '10.0.2.1', port: 80 },
  ],
});
const payRules = allowOnly({ from: [{ service: 'web.shop' }] });

describe('buildMeshModel with authorization', () => {
  it('puts the resolved rules on guarded services only', () => {
    const model = buildMeshModel(registry, undefined, fakeConfigLookup({}, 1, { 'pay.payments': payRules }), { trustDomain: 'corp.example' });
    expect(model.services.get('pay.payments')?.authorization?.allow[0]?.principals).toEqual([{ exact: 'spiffe://corp.example/ns/shop/sa/web' }]);
    expect(model.services.get('web.shop')?.authorization).toBeUndefined();
    expect('authorization' in (model.services.get('web.shop') ?? {})).toBe(false);
  });

  it('reuses a service while its rules object is the same and rebuilds it when they change', () => {
    const config = fakeConfigLookup({}, 1, { 'pay.payments': payRules });
    const first = buildMeshModel(registry, undefined, config);
    const same = buildMeshModel(registry, first, config);
    expect(same.services.get('pay.payments')).toBe(first.services.get('pay.payments'));
    // Same settings objects, new rules for pay only (as the memoized lookup answers after an edit).
    const cart = allowOnly({ from: [{ service: 'cart.shop' }] });
    const edited: ConfigLookup = { ...config, revision: 2, authorizationFor: (key) => (key === 'pay.payments' ? cart : config.authorizationFor(key)) };
    const changed = buildMeshModel(registry, same, edited);
    expect(changed.services.get('pay.payments')).not.toBe(same.services.get('pay.payments'));
    expect(changed.services.get('pay.payments')?.authorization?.allow[0]?.principals).toEqual([{ exact: `spiffe://${TD}/ns/shop/sa/cart` }]);
    expect(changed.services.get('web.shop')).toBe(same.services.get('web.shop'));
  });
});

const sidecar: ProxyIdentity = {
  nodeId: 'pay-1',
  kind: 'sidecar',
  service: 'pay',
  namespace: 'payments',
  address: '10.0.1.1',
  port: 8443,
  protocol: 'http',
  labels: {},
  locality: { region: '', zone: '', subZone: '' },
  joinToken: '',
  spiffeId: '',
};

describe('views carry the own service rules when they serve inbound traffic', () => {
  const model = buildMeshModel(registry, undefined, fakeConfigLookup({}, 1, { 'pay.payments': payRules }));
  const plain = buildMeshModel(registry);

  it('sidecars with an inbound port and proxyless servers do; others do not', () => {
    expect(viewFor(model, sidecar).inboundAuthorization).toBe(model.services.get('pay.payments')?.authorization);
    expect(viewFor(model, { ...sidecar, port: 0 }).inboundAuthorization).toBeUndefined();
    const server = { ...sidecar, kind: 'proxyless' as const, address: '10.0.1.1', port: 8443 };
    expect(viewFor(model, server).inboundAuthorization).toBeDefined();
    expect(viewFor(model, { ...server, port: 0 }).inboundAuthorization).toBeUndefined();
    expect(viewFor(model, { ...sidecar, service: 'web', namespace: 'shop', port: 80 }).inboundAuthorization).toBeUndefined();
  });

  it('the view key changes with the rules (so the Listener is rebuilt) and not without them', () => {
    expect(viewFor(model, sidecar).key).not.toBe(viewFor(plain, sidecar).key);
    const other = buildMeshModel(registry, undefined, fakeConfigLookup({}, 1, { 'pay.payments': allowOnly({ from: [{ service: 'cart.shop' }] }) }));
    expect(viewFor(other, sidecar).key).not.toBe(viewFor(model, sidecar).key);
    // A client-only view of the same node is unaffected by rules guarding its service.
    expect(viewFor(model, { ...sidecar, port: 0 }).key).toBe(viewFor(plain, { ...sidecar, port: 0 }).key);
  });

  it('an unregistered server takes the rules it is given', () => {
    const server: ProxyIdentity = { ...sidecar, kind: 'proxyless', service: 'echo', namespace: 'demo', address: '127.0.0.1', port: 50051 };
    const rules = authorizationModel('echo.demo', payRules, TD);
    expect(viewFor(plain, server, 'STRICT', rules).inboundAuthorization).toEqual(rules);
    expect(viewFor(plain, server, 'STRICT').inboundAuthorization).toBeUndefined();
  });
});
