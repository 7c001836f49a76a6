/** Identity fields of the model and view: mTLS mode, SPIFFE ids, trust domain, and what the view key covers. */
import { describe, expect, it } from 'vitest';
import { buildMeshModel } from '../../src/model/build-model.ts';
import { parseNodeIdentity } from '../../src/model/node-identity.ts';
import type { ProxyIdentity } from '../../src/model/types.ts';
import { viewFor } from '../../src/model/view.ts';
import { fakeConfigLookup } from '../support/fake-config-lookup.ts';
import { registryFixture } from '../support/registry-fixture.ts';

const registry = registryFixture({
  instances: [
    { service: 'pay', namespace: 'payments', address: '10.0.1.1', port: 8443 },
    { service: 'web', namespace: 'shop', address: '10.0.2.1', port: 80 },
  ],
});
const config = fakeConfigLookup({ 'pay.payments': { mtls: { mode: 'STRICT' } }, 'web.shop': { mtls: { mode: 'PERMISSIVE' } } });

const identity: ProxyIdentity = {
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

describe('model identity fields', () => {
  it('gives every service its mode, service account and SPIFFE id in the default trust domain', () => {
    const model = buildMeshModel(registry, undefined, config);
    expect(model.trustDomain).toBe('trellis.local');
    const pay = model.services.get('pay.payments');
    expect(pay).toMatchObject({ mtlsMode: 'STRICT', serviceAccount: 'pay', spiffeId: 'spiffe://trellis.local/ns/payments/sa/pay' });
    expect(model.services.get('web.shop')?.mtlsMode).toBe('PERMISSIVE');
  });

  it('defaults to DISABLE without config', () => {
    const model = buildMeshModel(registry);
    expect([...model.services.values()].map((s) => s.mtlsMode)).toEqual(['DISABLE', 'DISABLE']);
  });

  it('takes the trust domain from options and rebuilds reused services when it changes', () => {
    const first = buildMeshModel(registry, undefined, config);
    const same = buildMeshModel(registry, first, config);
    expect(same.services.get('pay.payments')).toBe(first.services.get('pay.payments'));
    const other = buildMeshModel(registry, same, config, { trustDomain: 'corp.example' });
    expect(other.trustDomain).toBe('corp.example');
    expect(other.services.get('pay.payments')?.spiffeId).toBe('spiffe://corp.example/ns/payments/sa/pay');
    expect(other.services.get('pay.payments')).not.toBe(first.services.get('pay.payments'));
  });
});

describe('view identity fields', () => {
  const model = buildMeshModel(registry, undefined, config);
  const SPIFFE = 'spiffe://trellis.local/ns/payments/sa/pay';

  it('carries the verified identity and the own service mode', () => {
    const unproven = viewFor(model, identity);
    expect(unproven.workloadIdentity).toBe('');
    expect(unproven.inboundMtls).toBe('STRICT');
    expect(viewFor(model, { ...identity, spiffeId: SPIFFE }).workloadIdentity).toBe(SPIFFE);
    expect(viewFor(model, { ...identity, service: '', namespace: 'default' }).inboundMtls).toBe('DISABLE');
  });

  it('keys include the workload identity', () => {
    expect(viewFor(model, { ...identity, spiffeId: SPIFFE }).key).not.toBe(viewFor(model, identity).key);
  });

  it('keys and views exclude the join token', () => {
    const a = viewFor(model, { ...identity, joinToken: 'token-a', spiffeId: SPIFFE });
    const b = viewFor(model, { ...identity, joinToken: 'token-b', spiffeId: SPIFFE });
    expect(a.key).toBe(b.key);
    expect(JSON.stringify(a)).not.toContain('token-a');
  });

  it('a node sending a token is still unproven until the pipeline verifies it', () => {
    const { identity: parsed } = parseNodeIdentity({
      id: 'pay-2', cluster: 'pay', metadata: { 'trellis.namespace': 'payments', 'trellis.token': 'secret-token' },
      locality: {}, user_agent_name: 'envoy', user_agent_version: '',
    });
    const view = viewFor(model, parsed);
    expect(view.workloadIdentity).toBe('');
    expect(JSON.stringify(view)).not.toContain('secret-token');
  });
});
