/** SDS Secret builders and the mTLS decisions of translation, beyond what the golden cases show. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IssuedCertificate, TrustBundle } from '../../../src/ca/types.ts';
import type { ProxyView } from '../../../src/model/types.ts';
import { buildSecrets } from '../../../src/xds/resources/secrets.ts';
import { createTranslationMemo, translateView } from '../../../src/xds/resources/translate.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';
import { GOLDEN_DIR, loadGoldenCase } from './golden-cases.ts';

const pem = (file: string): string => readFileSync(`${GOLDEN_DIR}certs/${file}`, 'utf8');
const cert: IssuedCertificate = {
  spiffeId: 'spiffe://trellis.local/ns/payments/sa/pay',
  certificateChainPem: pem('test-leaf-pay.pem'),
  privateKeyPem: pem('test-leaf-pay.key.pem'),
  serial: '01',
  notBefore: '2026-01-01T00:00:00Z',
  notAfter: '2036-01-01T00:00:00Z',
};
const bundle: TrustBundle = { pem: pem('test-root.pem'), roots: [], version: 'v1' };

type Obj = Record<string, unknown>;
const at = (value: unknown, ...path: Array<string | number>): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Obj)[k as string] : undefined), value);

describe('buildSecrets', () => {
  it('builds `default` (chain + key) and `ROOTCA` (trusted CA) as valid Envoy Secrets', () => {
    const secrets = buildSecrets(cert, bundle);
    expect(secrets.map((s) => s.name)).toEqual(['default', 'ROOTCA']);
    for (const s of secrets) expectValidEnvoy(TypeUrl.Secret, s.value);
    expect(at(secrets[0]?.value, 'tls_certificate', 'certificate_chain', 'inline_string')).toBe(cert.certificateChainPem);
    expect(at(secrets[0]?.value, 'tls_certificate', 'private_key', 'inline_string')).toBe(cert.privateKeyPem);
    expect(at(secrets[1]?.value, 'validation_context', 'trusted_ca', 'inline_string')).toBe(bundle.pem);
  });

  it('leaves out what it cannot build: no key (CSR path), no certificate, no bundle', () => {
    const { privateKeyPem: _key, ...csrCert } = cert;
    expect(buildSecrets(csrCert, bundle).map((s) => s.name)).toEqual(['ROOTCA']);
    expect(buildSecrets(undefined, bundle).map((s) => s.name)).toEqual(['ROOTCA']);
    expect(buildSecrets(cert, undefined).map((s) => s.name)).toEqual(['default']);
    expect(buildSecrets(undefined, undefined)).toEqual([]);
  });
});

describe('mTLS in translation', () => {
  const strict = loadGoldenCase('mtls-sidecar-strict').view;
  const unproven: ProxyView = { ...strict, workloadIdentity: '', key: 'unproven' };
  const clusterOf = (view: ProxyView, name: string, memo = createTranslationMemo()): Obj | undefined =>
    translateView(view, memo).resources[TypeUrl.Cluster].find((r) => r.name === name)?.value as Obj | undefined;

  it('memoizes clusters per TLS setting: a proven and an unproven view never share a cluster', () => {
    const memo = createTranslationMemo();
    const proven = clusterOf(strict, 'outbound|ledger.payments', memo);
    const plain = clusterOf(unproven, 'outbound|ledger.payments', memo);
    expect(proven?.['transport_socket']).toBeDefined();
    expect(plain?.['transport_socket']).toBeUndefined();
    expect(clusterOf(strict, 'outbound|ledger.payments', memo)).toBe(proven);
  });

  it('pins each target cluster to its own SPIFFE id, and leaves DISABLE targets plaintext', () => {
    const san = (name: string): unknown =>
      at(clusterOf(strict, name), 'transport_socket', 'typed_config', 'common_tls_context', 'combined_validation_context',
        'default_validation_context', 'match_typed_subject_alt_names', 0, 'matcher', 'exact');
    expect(san('outbound|ledger.payments')).toBe('spiffe://trellis.local/ns/payments/sa/ledger');
    expect(san('outbound|pay.payments')).toBe('spiffe://trellis.local/ns/payments/sa/pay');
    expect(clusterOf(strict, 'outbound|web.shop')?.['transport_socket']).toBeUndefined();
  });

  it('serves PERMISSIVE inbound on two distinct filter chains behind the TLS inspector', () => {
    const view = loadGoldenCase('mtls-sidecar-permissive').view;
    const inbound = translateView(view).resources[TypeUrl.Listener].find((r) => r.name === 'inbound|80')?.value as Obj;
    expect(at(inbound, 'listener_filters', 0, 'name')).toBe('envoy.filters.listener.tls_inspector');
    const chains = inbound['filter_chains'] as Obj[];
    expect(chains.map((c) => [at(c, 'filter_chain_match', 'transport_protocol'), c['transport_socket'] !== undefined])).toEqual([
      ['tls', true],
      ['raw_buffer', false],
    ]);
  });

  it('a DISABLE sidecar that proved its identity still serves plaintext inbound', () => {
    const view: ProxyView = { ...strict, inboundMtls: 'DISABLE', key: 'disable' };
    const inbound = translateView(view).resources[TypeUrl.Listener].find((r) => r.name === 'inbound|8080')?.value as Obj;
    expect(inbound['filter_chains']).toHaveLength(1);
    expect(JSON.stringify(inbound)).not.toContain('transport_socket');
  });

  it('an unproven STRICT sidecar gets neither inbound listener nor inbound cluster, and its token appears nowhere', () => {
    const { view } = loadGoldenCase('mtls-sidecar-unproven');
    const result = translateView(view);
    expect(result.resources[TypeUrl.Listener].map((r) => r.name)).toEqual(['outbound_http']);
    expect(result.resources[TypeUrl.Cluster].map((r) => r.name).filter((n) => n.startsWith('inbound'))).toEqual([]);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.field}`)).toEqual(['warning mtls.mode', 'warning mtls.mode']);
    expect(JSON.stringify({ view, result })).not.toContain('forged-token');
  });

  it('a proxyless server of a DISABLE service serves plaintext', () => {
    const { view } = loadGoldenCase('mtls-proxyless-server');
    const plain = translateView({ ...view, inboundMtls: 'DISABLE', key: 'x' });
    expect(JSON.stringify(plain.resources[TypeUrl.Listener])).not.toContain('DownstreamTlsContext');
    expect(plain.diagnostics).toEqual([]);
    const strictServer = translateView({ ...view, inboundMtls: 'STRICT', key: 'y' });
    expect(JSON.stringify(strictServer.resources[TypeUrl.Listener])).toContain('DownstreamTlsContext');
    expect(strictServer.diagnostics).toEqual([]);
  });
});
