import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/ca/certificate-authority.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { createLogger } from '../../src/util/log.ts';
import { certificateBlocks, leafSignedBy, secretCertificatePem, secretConditionMet } from '../../bench/lib/secret-check.ts';
import { rotationNode, rotationWorkloads, scopePolicyYaml } from '../../bench/scenarios/rotation.ts';

const ID = 'spiffe://trellis.local/ns/bench/sa/rotating';

/** A real CA (memory store, no grace) with one identity issued before and after a root rotation. */
interface Fixture {
  ca: CertificateAuthority;
  oldBundle: string;
  /** Right after the rotation: both roots. */
  overlapBundle: string;
  /** After the re-issue: the old root, no longer used, is gone. */
  newBundle: string;
  oldChain: string;
  newChain: string;
}

let fixture: Fixture;

beforeAll(async () => {
  const silent = createLogger('bench-test');
  const log = { ...silent, info: () => undefined, debug: () => undefined, warn: () => undefined, child: () => log };
  const ca = await createCertificateAuthority({ store: createMemoryStore(), log, rotationGraceMs: 0 });
  const first = await ca.issuer.ensure(ID);
  const oldBundle = ca.source.bundle().pem;
  await ca.rotateRoot();
  const overlapBundle = ca.source.bundle().pem;
  await new Promise((resolve) => setTimeout(resolve, 5));
  await ca.issuer.settled();
  const second = ca.source.certificateFor(ID);
  if (!second) throw new Error('no certificate after rotation');
  fixture = { ca, oldBundle, overlapBundle, newBundle: ca.source.bundle().pem, oldChain: first.certificateChainPem, newChain: second.certificateChainPem };
});

afterAll(() => fixture?.ca.close());

describe('secret-check on certificates of a real CA', () => {
  it('splits PEM into certificate blocks and skips keys', () => {
    expect(certificateBlocks(fixture.oldBundle)).toHaveLength(1);
    // During the rotation overlap the bundle trusts both roots; afterwards only the new one.
    const [oldRoot] = certificateBlocks(fixture.oldBundle);
    expect(certificateBlocks(fixture.overlapBundle)).toHaveLength(2);
    expect(certificateBlocks(fixture.overlapBundle)).toContain(oldRoot);
    expect(certificateBlocks(fixture.newBundle)).toHaveLength(1);
    expect(certificateBlocks(fixture.newBundle)).not.toContain(oldRoot);
    expect(certificateBlocks('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toEqual([]);
  });

  it('tells which root signed a leaf', () => {
    const oldRoot = certificateBlocks(fixture.oldBundle)[0] ?? '';
    const newRoot = certificateBlocks(fixture.newBundle)[0] ?? '';
    expect(newRoot).not.toBe('');
    expect(leafSignedBy(fixture.oldChain, oldRoot)).toBe(true);
    expect(leafSignedBy(fixture.oldChain, newRoot)).toBe(false);
    expect(leafSignedBy(fixture.newChain, newRoot)).toBe(true);
    expect(leafSignedBy(fixture.newChain, oldRoot)).toBe(false);
    expect(leafSignedBy('garbage', oldRoot)).toBe(false);
    expect(leafSignedBy(fixture.newChain, '')).toBe(false);
  });

  it('reads the PEM of both SDS secret shapes, never the key', () => {
    const tls = { name: 'default', tls_certificate: { certificate_chain: { inline_string: 'CHAIN' }, private_key: { inline_string: 'KEY' } } };
    const bytes = { name: 'default', tls_certificate: { certificate_chain: { inline_bytes: new TextEncoder().encode('RAW') } } };
    const ca = { name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: 'ROOTS' } } };
    expect(secretCertificatePem(tls)).toBe('CHAIN');
    expect(secretCertificatePem(bytes)).toBe('RAW');
    expect(secretCertificatePem(ca)).toBe('ROOTS');
    expect(secretCertificatePem({ name: 'x' })).toBeUndefined();
    expect(secretCertificatePem(undefined)).toBeUndefined();
  });

  it('waits for a default no longer signed by the old root', () => {
    const oldRoot = certificateBlocks(fixture.oldBundle)[0] ?? '';
    const condition = { kind: 'not-signed-by', rootPem: oldRoot } as const;
    const secret = (chain: string) => () => ({ name: 'default', tls_certificate: { certificate_chain: { inline_string: chain } } });
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    // Unchanged bytes never count, whatever they decode to; a renewal by the old root does not either.
    expect(secretConditionMet(condition, a, a, secret(fixture.newChain))).toBe(false);
    expect(secretConditionMet(condition, b, a, secret(fixture.oldChain))).toBe(false);
    expect(secretConditionMet(condition, b, a, secret(fixture.newChain))).toBe(true);
    expect(secretConditionMet(condition, undefined, a, secret(fixture.newChain))).toBe(false);
    // A secret without a certificate is not a new leaf.
    expect(secretConditionMet(condition, b, a, () => ({ name: 'default' }))).toBe(false);
  });
});

describe('secretConditionMet, byte conditions', () => {
  const never = (): never => {
    throw new Error('must not decode');
  };
  it('changed: held and different from the armed copy', () => {
    const a = new Uint8Array([1, 2]);
    expect(secretConditionMet({ kind: 'changed' }, a, new Uint8Array([1, 2]), never)).toBe(false);
    expect(secretConditionMet({ kind: 'changed' }, a, new Uint8Array([1, 3]), never)).toBe(true);
    expect(secretConditionMet({ kind: 'changed' }, a, undefined, never)).toBe(true);
    expect(secretConditionMet({ kind: 'changed' }, undefined, undefined, never)).toBe(false);
  });
  it('held: any copy', () => {
    expect(secretConditionMet({ kind: 'held' }, new Uint8Array(), undefined, never)).toBe(true);
    expect(secretConditionMet({ kind: 'held' }, undefined, undefined, never)).toBe(false);
  });
});

describe('rotation workloads', () => {
  it('gives each workload its own service and the SPIFFE id the pipeline proves', () => {
    const workloads = rotationWorkloads(25);
    expect(new Set(workloads.map((w) => w.identity)).size).toBe(25);
    // svc-00013 lands in namespace 13 % 10 = 3; ids are spiffe://<domain>/ns/<ns>/sa/<service>.
    expect(workloads[13]).toEqual({ index: 13, service: 'svc-00013', namespace: 'ns-3', identity: 'spiffe://trellis.local/ns/ns-3/sa/svc-00013' });
  });

  it('puts the join token in the node metadata next to the sidecar fields', () => {
    const [first] = rotationWorkloads(1);
    if (!first) throw new Error('no workload');
    const node = rotationNode(first, 'tok');
    expect(node.metadata).toMatchObject({ 'trellis.kind': 'sidecar', 'trellis.service': 'svc-00000', 'trellis.namespace': 'ns-0', 'trellis.token': 'tok' });
  });

  it('writes a PlatformPolicy whose defaults name the first services as dependencies', () => {
    const doc = parse(scopePolicyYaml(rotationWorkloads(12), 3)) as Record<string, unknown>;
    expect(doc['kind']).toBe('PlatformPolicy');
    expect(doc['spec']).toEqual({ scope: { namespaces: ['*'] }, defaults: { dependencies: ['svc-00000.ns-0', 'svc-00001.ns-1', 'svc-00002.ns-2'] } });
  });
});
