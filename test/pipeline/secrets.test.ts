import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CertificateSource, IdentityVerifier, IssuedCertificate, TrustBundle } from '../../src/ca/types.ts';
import { createMeshPipeline, type MeshPipeline } from '../../src/pipeline/mesh-pipeline.ts';
import type { NodeInfo, Snapshot } from '../../src/xds/cache/types.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { registryFixture } from '../support/registry-fixture.ts';

const PAY = 'spiffe://trellis.local/ns/payments/sa/pay';
const leaf = readFileSync('testdata/translate/certs/test-leaf-pay.pem', 'utf8');
const key = readFileSync('testdata/translate/certs/test-leaf-pay.key.pem', 'utf8');
const root = readFileSync('testdata/translate/certs/test-root.pem', 'utf8');

/** A certificate source the test drives: issue() makes a certificate available and announces it. */
function fakeCertificates(): CertificateSource & { issue(serial: string, chain?: string): void; asked: string[] } {
  let current: IssuedCertificate | undefined;
  const listeners = new Set<(change: { identities: readonly string[]; bundle: boolean }) => void>();
  const bundle: TrustBundle = { pem: root, roots: [], version: 'b1' };
  const asked: string[] = [];
  return {
    asked,
    certificateFor: (id) => {
      asked.push(id);
      return id === PAY ? current : undefined;
    },
    bundle: () => bundle,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    issue(serial, chain = leaf) {
      current = { spiffeId: PAY, certificateChainPem: chain, privateKeyPem: key, serial, notBefore: '', notAfter: '' };
      for (const listener of listeners) listener({ identities: [PAY], bundle: false });
    },
  };
}

const verifier: IdentityVerifier = { verifyJoinToken: (token) => (token === 'good-token' ? PAY : token === 'other-token' ? 'spiffe://trellis.local/ns/x/sa/y' : undefined) };

function sidecar(id: string, token?: string): NodeInfo {
  return {
    id,
    cluster: 'pay',
    metadata: { 'trellis.kind': 'sidecar', 'trellis.service': 'pay', 'trellis.namespace': 'payments', 'trellis.port': 8443, ...(token ? { 'trellis.token': token } : {}) },
    locality: {},
    user_agent_name: 'envoy',
    user_agent_version: '',
  };
}

const registry = registryFixture({ instances: [{ service: 'pay', namespace: 'payments', address: '10.0.0.1', port: 8443 }] });
const secretNames = (s: Snapshot | undefined): string[] => [...(s?.resources[TypeUrl.Secret].items.keys() ?? [])];

let pipeline: MeshPipeline | undefined;
afterEach(() => pipeline?.close());

describe('pipeline secrets', () => {
  it('serves SDS secrets only to a sidecar whose join token proves its own identity', () => {
    const certificates = fakeCertificates();
    certificates.issue('01');
    pipeline = createMeshPipeline({ registry: { snapshot: () => registry, onChange: () => () => undefined }, certificates, verifier });
    expect(secretNames(pipeline.watch(sidecar('a', 'good-token'), () => undefined).current())).toEqual(['ROOTCA', 'default']);
    expect(secretNames(pipeline.watch(sidecar('b'), () => undefined).current())).toEqual([]);
    expect(secretNames(pipeline.watch(sidecar('c', 'forged'), () => undefined).current())).toEqual([]);
    // A valid token for another identity proves nothing about this workload.
    expect(secretNames(pipeline.watch(sidecar('d', 'other-token'), () => undefined).current())).toEqual([]);
    expect(pipeline.views().length).toBe(2);
  });

  it('adds the certificate when it is issued and replaces only Secrets on rotation', async () => {
    const certificates = fakeCertificates();
    pipeline = createMeshPipeline({ registry: { snapshot: () => registry, onChange: () => () => undefined }, certificates, verifier });
    const seen: Snapshot[] = [];
    const watch = pipeline.watch(sidecar('a', 'good-token'), (s) => seen.push(s));
    expect(secretNames(watch.current())).toEqual(['ROOTCA']);
    const before = watch.current();
    certificates.issue('01');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1);
    expect(secretNames(seen[0])).toEqual(['ROOTCA', 'default']);
    for (const url of [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]) {
      expect(seen[0]?.resources[url]).toBe(before?.resources[url]);
    }
    // The same certificate again changes nothing; a renewed one replaces the Secret.
    certificates.issue('01');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1);
    certificates.issue('02', `${leaf}${root}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(2);
    expect(seen[1]?.resources[TypeUrl.Secret].version).not.toBe(seen[0]?.resources[TypeUrl.Secret].version);
  });
});
