/**
 * The built-in CA: certificates issued per second on the full CSR path (join token check, CSR
 * parse + signature + key checks, sign, PEM encode, ledger) for ECDSA P-256 and RSA 2048 client
 * keys, a 10k burst, the time to rotate the root and re-issue 1,000 held identities (SDS path,
 * key generation included), and for reference @peculiar/x509 signing the same leaf.
 * Client CSRs are made before the timed loops (a pool cycled through: each request still does the
 * full verification work).
 */
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/ca/certificate-authority.ts';
import { createCsr } from '../../src/ca/csr.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { createLogger } from '../../src/util/log.ts';
import { atLeast, atMost, info, type ScenarioResult } from '../lib/report.ts';
import type { Scenario } from '../lib/scenario.ts';

const ID = 'spiffe://trellis.local/ns/bench/sa/workload';

async function quietCa(): Promise<CertificateAuthority> {
  const silent = createLogger('bench-ca');
  const log = { ...silent, info: () => undefined, debug: () => undefined, child: () => log };
  return createCertificateAuthority({ store: createMemoryStore(), log, rotationGraceMs: 0 });
}

function csrPool(algorithm: 'ec' | 'rsa', size: number): string[] {
  return Array.from({ length: size }, () => {
    const { privateKey } = algorithm === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return createCsr(ID, privateKey);
  });
}

/** Issues `count` certificates over the CSR path; returns elapsed ms (throws on any refusal). */
async function issueMany(ca: CertificateAuthority, token: string, csrs: readonly string[], count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const result = await ca.requestCertificate({ token, csr: csrs[i % csrs.length] });
    if (!result.ok) throw new Error(`issuance refused: ${result.reason}`);
  }
  return performance.now() - started;
}

async function tokenFor(ca: CertificateAuthority): Promise<string> {
  const created = await ca.createJoinToken({ identity: ID, ttl: '1h' }, 'bench');
  if (!created.ok) throw new Error('join token');
  return created.token;
}

/** @peculiar/x509 creating the same kind of leaf (WebCrypto signing), certificates per second. */
async function peculiarRate(count: number): Promise<number> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const leafKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (i + 1).toString(16).padStart(32, '1'), issuer: 'CN=bench', subject: '', notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: algorithm, publicKey: leafKeys.publicKey as never, signingKey: caKeys.privateKey as never,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: ID }], true), new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    cert.toString('pem');
  }
  return count / ((performance.now() - started) / 1000);
}

export async function runCertificates(quick: boolean, progress: (line: string) => void): Promise<ScenarioResult[]> {
  const ca = await quietCa();
  try {
    const token = await tokenFor(ca);
    progress('[certificates] preparing CSRs');
    const ecCsrs = csrPool('ec', 200);
    const rsaCsrs = csrPool('rsa', quick ? 4 : 16);
    await issueMany(ca, token, ecCsrs, 300); // warm-up (JIT)
    const ecCount = quick ? 2000 : 5000;
    const ecRate = ecCount / ((await issueMany(ca, token, ecCsrs, ecCount)) / 1000);
    const rsaCount = quick ? 1000 : 3000;
    const rsaRate = rsaCount / ((await issueMany(ca, token, rsaCsrs, rsaCount)) / 1000);
    progress('[certificates] 10k burst');
    const burstMs = await issueMany(ca, token, ecCsrs, 10_000);

    progress('[certificates] rotation of 1,000 identities');
    const rotating = await quietCa();
    const identities = Array.from({ length: 1000 }, (_, i) => `spiffe://trellis.local/ns/bench/sa/w${i}`);
    const issueStarted = performance.now();
    await Promise.all(identities.map((id) => rotating.issuer.ensure(id)));
    const initialMs = performance.now() - issueStarted;
    const before = new Map(identities.map((id) => [id, rotating.source.certificateFor(id)?.serial]));
    const rotateStarted = performance.now();
    await rotating.rotateRoot();
    // Grace 0: the re-issue timer fires on the next turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await rotating.issuer.settled();
    const rotateMs = performance.now() - rotateStarted;
    const reissued = identities.filter((id) => rotating.source.certificateFor(id)?.serial !== before.get(id)).length;
    rotating.close();
    if (reissued !== identities.length) throw new Error(`only ${reissued} of 1000 identities were re-issued`);

    const peculiar = await peculiarRate(quick ? 200 : 500);
    return [{
      name: 'certificates',
      sizes: { ecCsrPool: ecCsrs.length, rsaCsrPool: rsaCsrs.length, rotatedIdentities: identities.length },
      metrics: [
        atLeast('ECDSA P-256 CSR path (verify + sign + encode)', ecRate, 'certs/s', 2000),
        info('RSA 2048 CSR path (verify + sign + encode)', rsaRate, 'certs/s'),
        atMost('10k burst, ECDSA CSR path', burstMs / 1000, 's', 5),
        info('first issue of 1,000 held identities (keygen + sign)', initialMs, 'ms'),
        info('root rotation + re-issue of 1,000 held identities', rotateMs, 'ms'),
        info('reference: @peculiar/x509 leaf creation (sign + PEM, no CSR check)', peculiar, 'certs/s'),
      ],
      notes: ['Leaves are DER written by src/ca/der.ts and signed with node:crypto; the CA key is ECDSA P-256 in every case (RSA is the client key).'],
    }];
  } finally {
    ca.close();
  }
}

export const certificates: Scenario = {
  name: 'certificates',
  description: 'CA issuance rate (ECDSA, RSA CSR path), 10k burst, rotation of 1,000 identities',
  run: (options) => runCertificates(options.quick, options.progress),
};
