import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/ca/certificate-authority.ts';
import { createCsr } from '../../src/ca/csr.ts';
import { generateKeys } from '../../src/ca/keys.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { fakeClock, ID, openssl, recordingLogger } from './helpers.ts';

const HOUR = 3600_000;
const open: CertificateAuthority[] = [];
afterEach(() => {
  for (const ca of open.splice(0)) ca.close();
});

async function setup(rotationGraceMs = 1000) {
  const clock = fakeClock(Date.now());
  const log = recordingLogger();
  const ca = await createCertificateAuthority({ store: createMemoryStore(), clock, log, rotationGraceMs });
  open.push(ca);
  const changes: Array<{ identities: readonly string[]; bundle: boolean }> = [];
  ca.source.onChange((c) => changes.push(c));
  return { clock, log, ca, changes };
}

const issuerSerial = (pem: string, bundle: string): string | undefined => {
  const leaf = new X509Certificate(pem);
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [])
    .map((b) => new X509Certificate(b)).find((root) => leaf.checkIssued(root) && leaf.verify(root.publicKey))?.serialNumber;
};

describe('issuer', () => {
  it('generates RSA 2048 keys for SDS certificates when configured', async () => {
    const ca = await createCertificateAuthority({ store: createMemoryStore(), clock: fakeClock(Date.now()), log: recordingLogger(), keyAlgorithm: 'rsa-2048' });
    open.push(ca);
    const issued = await ca.issuer.ensure(ID);
    const leaf = new X509Certificate(issued.certificateChainPem);
    expect(leaf.publicKey.asymmetricKeyType).toBe('rsa');
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(leaf.verify(new X509Certificate(ca.bundle().pem).publicKey)).toBe(true);
  });

  it('issues on demand once for concurrent requests and notifies', async () => {
    const { ca, changes } = await setup();
    expect(ca.source.certificateFor(ID)).toBeUndefined();
    const [a, b] = await Promise.all([ca.issuer.ensure(ID), ca.issuer.ensure(ID)]);
    expect(a.serial).toBe(b.serial);
    expect(ca.source.certificateFor(ID)?.serial).toBe(a.serial);
    expect(changes).toEqual([{ identities: [ID], bundle: false }]);
    expect(a.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(openssl((f) => ['verify', '-CAfile', f['b'] as string, f['c'] as string], { b: ca.bundle().pem, c: a.certificateChainPem })).toContain('OK');
    expect(ca.source.certificateFor('spiffe://elsewhere/ns/a/sa/b')).toBeUndefined();
    await ca.issuer.settled();
    expect(changes).toHaveLength(1);
  });

  it('renews at half-life (fake clock), not before', async () => {
    const { ca, clock, changes } = await setup();
    const first = await ca.issuer.ensure(ID);
    clock.advance(12 * HOUR - 1000);
    await ca.issuer.settled();
    expect(ca.source.certificateFor(ID)?.serial).toBe(first.serial);
    clock.advance(2000);
    await ca.issuer.settled();
    const second = ca.source.certificateFor(ID);
    expect(second?.serial).not.toBe(first.serial);
    expect(Date.parse(second?.notAfter ?? '')).toBeGreaterThan(Date.parse(first.notAfter));
    expect(changes.filter((c) => c.identities.includes(ID))).toHaveLength(2);
    // The ledger keeps only the current one (the old was superseded), renewAt 12 h after issue.
    const listed = ca.certificates();
    expect(listed.map((c) => c.serial)).toEqual([second?.serial]);
    expect(Date.parse(listed[0]?.renewAt ?? '')).toBe(Math.floor(clock.now() / 1000) * 1000 + 12 * HOUR);
  });

  it('root rotation: bundle carries old + new until every issued certificate is from the new root, then drops the old', async () => {
    const { ca, clock, changes } = await setup(1000);
    const managed = await ca.issuer.ensure(ID);
    const oldRoot = ca.bundle().roots[0]?.serial;
    // A workload on the CSR path holds an old-root certificate too.
    const keys = await generateKeys();
    const token = (await ca.createJoinToken({ identity: 'spiffe://trellis.local/ns/shop/sa/api' }, 'admin'));
    if (!token.ok) throw new Error('token');
    const agentCert = await ca.requestCertificate({ token: token.token, csr: createCsr('spiffe://trellis.local/ns/shop/sa/api', keys.privateKey) });
    if (!agentCert.ok) throw new Error(agentCert.reason);
    expect(issuerSerial(agentCert.issued.certificateChainPem, ca.bundle().pem)).toBe(oldRoot);

    changes.length = 0;
    await ca.rotateRoot();
    expect(ca.bundle().roots).toHaveLength(2);
    expect(changes).toEqual([{ identities: [], bundle: true }]);
    const newRoot = ca.bundle().roots.map((r) => r.serial).find((s) => s !== oldRoot);
    // Nothing re-issued before the grace period: workloads first get the bundle.
    expect(ca.source.certificateFor(ID)?.serial).toBe(managed.serial);
    clock.advance(1000);
    await ca.issuer.settled();
    const reissued = ca.source.certificateFor(ID);
    expect(reissued?.serial).not.toBe(managed.serial);
    expect(issuerSerial(reissued?.certificateChainPem ?? '', ca.bundle().pem)).toBe(newRoot);
    // The agent's certificate is still from the old root: both roots stay.
    expect(ca.bundle().roots).toHaveLength(2);
    // The agent renews with its current certificate: now every certificate is from the new root.
    const renewed = await ca.requestCertificate({ certificatePem: agentCert.issued.certificateChainPem, csr: createCsr('spiffe://trellis.local/ns/shop/sa/api', keys.privateKey) });
    expect(renewed.ok).toBe(true);
    await ca.issuer.settled();
    expect(ca.bundle().roots.map((r) => r.serial)).toEqual([newRoot]);
    expect(changes.at(-1)).toEqual({ identities: [], bundle: true });
    expect(renewed.ok && openssl((f) => ['verify', '-CAfile', f['b'] as string, f['c'] as string], { b: ca.bundle().pem, c: renewed.issued.certificateChainPem })).toContain('OK');
  });

  it('a rotated-out root also goes once its last certificate expires', async () => {
    const { ca, clock } = await setup(1000);
    const token = await ca.createJoinToken({ namespace: 'shop', serviceAccount: 'api' }, 'admin');
    if (!token.ok) throw new Error('token');
    expect((await ca.requestCertificate({ token: token.token })).ok).toBe(true);
    await ca.rotateRoot();
    clock.advance(1000);
    await ca.issuer.settled();
    expect(ca.bundle().roots).toHaveLength(2);
    clock.advance(24 * HOUR);
    await ca.issuer.settled();
    expect(ca.bundle().roots).toHaveLength(1);
  });
});

describe('restart', () => {
  it('keeps the root, a retiring root and join tokens across a reopen of the same store', async () => {
    const store = createMemoryStore();
    const clock = fakeClock(Date.now());
    const first = await createCertificateAuthority({ store, clock, log: recordingLogger() });
    const token = await first.createJoinToken({ identity: ID }, 'admin');
    await first.rotateRoot();
    const bundle = first.bundle().pem;
    first.close();
    const second = await createCertificateAuthority({ store, clock, log: recordingLogger() });
    open.push(second);
    expect(second.bundle().pem).toBe(bundle);
    expect(second.bundle().roots).toHaveLength(2);
    expect(token.ok && second.verifier.verifyJoinToken(token.token)).toBe(ID);
    // Past the retiring root's drop time (one leaf lifetime), a reopen drops it.
    clock.advance(24 * HOUR + 1);
    const third = await createCertificateAuthority({ store, clock, log: recordingLogger() });
    open.push(third);
    expect(third.bundle().roots).toHaveLength(1);
  });
});
