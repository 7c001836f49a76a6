/**
 * The signing authority: its CA key and certificate (generated on first start or supplied by the
 * user), kept in the KeyValueStore under `ca/`; the trust bundle; leaf signing; root rotation;
 * and checking that a presented certificate is one this CA issued and still valid.
 * Private keys stay inside this module and the store: nothing here logs or returns them.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { KeyValueStore } from '../store/types.ts';
import { TrellisError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { caExtensions, certificateSubject, distinguishedName, leafExtensions, randomSerial, signCertificate, subjectKeyId } from './certificate.ts';
import type { ServingNames } from './certificate.ts';
import type { Clock } from './clock.ts';
import { toPem } from './der.ts';
import { generateKeys, privateKeyPem, spkiDer } from './keys.ts';
import type { IssuedCertificate, TrustBundle } from './types.ts';

export const CA_SIGNER_KEY = 'ca/signer';
export const CA_RETIRING_KEY = 'ca/retiring';
const ROOT_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;
/** Leaves are valid from a minute before issuance, for clocks slightly behind. */
export const LEAF_SKEW_MS = 60_000;

/** CA material as stored (and as a user supplies it, see ca-files.ts). */
export interface SignerMaterial {
  /** The certificate that signs leaves (a root, or an intermediate). */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Certificates between the signer and its root, signer's issuer first (empty for a root). */
  readonly intermediatesPem: string;
  /** The trust anchors this signer chains to. */
  readonly rootsPem: string;
  readonly source: 'generated' | 'user';
}

interface RetiringSigner {
  readonly certificatePem: string;
  readonly rootsPem: string;
  /** Epoch ms after which no certificate it issued can still be valid. */
  readonly dropBy: number;
}

interface Signer {
  readonly material: SignerMaterial;
  readonly key: KeyObject;
  readonly certificate: X509Certificate;
  readonly subject: Buffer;
  readonly keyId: Buffer;
  /** What follows the leaf in an issued chain: the signer and intermediates, empty when the signer is a root. */
  readonly chainPem: string;
}

/** What the authority signs: a certificate without the key (the caller adds it when it made it). */
export interface SignedLeaf extends IssuedCertificate {
  /** Serial of the signer certificate, to tell old-root from new-root leaves. */
  readonly signerSerial: string;
}

export type PresentedCheck =
  | { readonly ok: true; readonly spiffeId: string; readonly serial: string; readonly spki: Buffer }
  | { readonly ok: false; readonly reason: string };

export interface Authority {
  readonly source: 'generated' | 'user';
  bundle(): TrustBundle;
  /** Serial of the certificate that signs now. */
  signerSerial(): string;
  /** Serials of signers rotated out whose roots the bundle still carries. */
  retiringSerials(): readonly string[];
  /** Signs a leaf for `spiffeId` over `spki` valid for `lifetimeMs` from now (minus 1 min skew); `names` adds DNS/IP SANs. */
  signLeaf(spiffeId: string, spki: Buffer, lifetimeMs: number, names?: ServingNames): SignedLeaf;
  /** Makes a new self-signed root the signer; the old one stays in the bundle until dropRetiring. */
  rotateRoot(maxLeafLifetimeMs: number): Promise<void>;
  /** Drops rotated-out signers: those listed, and any past their dropBy. Resolves whether the bundle changed. */
  dropRetiring(serials: readonly string[]): Promise<boolean>;
  /** Checks a leaf PEM (chain allowed, leaf first) this CA issued, unexpired, with one SPIFFE URI SAN. */
  checkPresented(certificatePem: string): PresentedCheck;
}

function signerFrom(material: SignerMaterial): Signer {
  const certificate = new X509Certificate(material.certificatePem);
  const { subject, keyId } = certificateSubject(certificate.raw);
  const isRoot = certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey);
  const chainPem = isRoot ? '' : `${material.certificatePem.trim()}\n${material.intermediatesPem.trim()}`.trim() + '\n';
  return { material, key: createPrivateKey(material.privateKeyPem), certificate, subject, keyId, chainPem };
}

/** A new self-signed ECDSA P-256 root for `trustDomain`, valid 10 years. */
export async function generateRootMaterial(trustDomain: string, now: number): Promise<SignerMaterial> {
  const keys = await generateKeys('ecdsa-p256');
  const spki = spkiDer(keys.publicKey);
  const serial = randomSerial();
  const name = distinguishedName([['O', 'Trellis'], ['CN', `Trellis root CA ${trustDomain} ${new Date(now).toISOString().slice(0, 19)}`]]);
  const keyId = subjectKeyId(spki);
  const der = signCertificate({
    serial: serial.bytes, issuer: name, subject: name, notBefore: new Date(now - LEAF_SKEW_MS), notAfter: new Date(now + ROOT_LIFETIME_MS),
    spki, extensions: caExtensions(keyId, keyId),
  }, keys.privateKey);
  const pem = toPem('CERTIFICATE', der);
  return { certificatePem: pem, privateKeyPem: privateKeyPem(keys.privateKey), intermediatesPem: '', rootsPem: pem, source: 'generated' };
}


export interface OpenAuthorityOptions {
  readonly store: KeyValueStore;
  readonly trustDomain: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** CA material the user supplied (validated by ca-files.ts); replaces a stored generated signer. */
  readonly userSigner?: SignerMaterial;
}

/**
 * Loads the signer from the store, or stores the user's, or generates a root on first start.
 * Throws TrellisError kind 'store' when stored CA entries are unreadable.
 */
export async function openAuthority(options: OpenAuthorityOptions): Promise<Authority> {
  const { store, clock, log } = options;
  let signer: Signer;
  let retiring: RetiringSigner[] = [];
  const stored = await store.get(CA_SIGNER_KEY);
  const storedRetiring = await store.get(CA_RETIRING_KEY);
  try {
    if (storedRetiring !== undefined) retiring = JSON.parse(storedRetiring) as RetiringSigner[];
  } catch (error) {
    throw new TrellisError('store', `${CA_RETIRING_KEY} is not valid JSON`, { cause: error });
  }
  if (options.userSigner !== undefined) {
    signer = signerFrom(options.userSigner);
    const previous = stored === undefined ? undefined : parseStored(stored);
    if (previous?.certificatePem !== options.userSigner.certificatePem) {
      await store.batch([{ type: 'put', key: CA_SIGNER_KEY, value: JSON.stringify(options.userSigner) }]);
      log.info('using the supplied CA certificate', { subject: signer.certificate.subject, serial: signer.certificate.serialNumber });
    }
  } else if (stored !== undefined) {
    signer = signerFrom(parseStored(stored));
  } else {
    signer = signerFrom(await generateRootMaterial(options.trustDomain, clock.now()));
    await store.batch([{ type: 'put', key: CA_SIGNER_KEY, value: JSON.stringify(signer.material) }]);
    log.info('created root CA', { subject: signer.certificate.subject, serial: signer.certificate.serialNumber });
  }

  let bundle = computeBundle(signer, retiring);
  // Serials parsed once per change: retirement checks run after every issuance.
  const serialOf = (r: RetiringSigner): string => new X509Certificate(r.certificatePem).serialNumber;
  let retiringSerials = retiring.map(serialOf);
  const knownSigners = (): X509Certificate[] => [signer.certificate, ...retiring.map((r) => new X509Certificate(r.certificatePem))];

  const persist = async (next: Signer | undefined, nextRetiring: RetiringSigner[]): Promise<void> => {
    await store.batch([
      ...(next === undefined ? [] : [{ type: 'put' as const, key: CA_SIGNER_KEY, value: JSON.stringify(next.material) }]),
      nextRetiring.length === 0 ? { type: 'del' as const, key: CA_RETIRING_KEY } : { type: 'put' as const, key: CA_RETIRING_KEY, value: JSON.stringify(nextRetiring) },
    ]);
  };

  return {
    get source() {
      return signer.material.source;
    },
    bundle: () => bundle,
    signerSerial: () => signer.certificate.serialNumber,
    retiringSerials: () => retiringSerials,
    signLeaf(spiffeId, spki, lifetimeMs, names) {
      // Whole seconds, as the certificate stores them, so reported times match the certificate.
      const now = Math.floor(clock.now() / 1000) * 1000;
      const serial = randomSerial();
      const notBefore = new Date(now - LEAF_SKEW_MS);
      const notAfter = new Date(now + lifetimeMs);
      const der = signCertificate({
        serial: serial.bytes, issuer: signer.subject, subject: distinguishedName([]), notBefore, notAfter, spki,
        extensions: leafExtensions(spiffeId, subjectKeyId(spki), signer.keyId, true, names),
      }, signer.key);
      return {
        spiffeId,
        certificateChainPem: toPem('CERTIFICATE', der) + signer.chainPem,
        serial: serial.hex,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        signerSerial: signer.certificate.serialNumber,
      };
    },
    async rotateRoot(maxLeafLifetimeMs) {
      const now = clock.now();
      const next = signerFrom(await generateRootMaterial(options.trustDomain, now));
      const nextRetiring = [...retiring, { certificatePem: signer.material.certificatePem, rootsPem: signer.material.rootsPem, dropBy: now + maxLeafLifetimeMs }];
      await persist(next, nextRetiring);
      log.info('rotated root CA', { previousSerial: signer.certificate.serialNumber, serial: next.certificate.serialNumber });
      signer = next;
      retiring = nextRetiring;
      retiringSerials = retiring.map(serialOf);
      bundle = computeBundle(signer, retiring);
    },
    async dropRetiring(serials) {
      const now = clock.now();
      if (retiring.length === 0) return false;
      const keep = retiring.filter((r, i) => r.dropBy > now && !serials.includes(retiringSerials[i] ?? ''));
      if (keep.length === retiring.length) return false;
      await persist(undefined, keep);
      log.info('dropped retired roots from the trust bundle', { dropped: retiring.length - keep.length });
      retiring = keep;
      retiringSerials = retiring.map(serialOf);
      bundle = computeBundle(signer, retiring);
      return true;
    },
    checkPresented(certificatePem) {
      let leaf: X509Certificate;
      try {
        leaf = new X509Certificate(certificatePem);
      } catch {
        return { ok: false, reason: 'certificatePem is not a PEM certificate' };
      }
      const issuer = knownSigners().find((s) => leaf.checkIssued(s) && leaf.verify(s.publicKey));
      if (issuer === undefined) return { ok: false, reason: 'the presented certificate was not issued by this CA' };
      const now = clock.now();
      if (Date.parse(leaf.validTo) <= now) return { ok: false, reason: `the presented certificate expired at ${new Date(leaf.validTo).toISOString()}` };
      if (Date.parse(leaf.validFrom) > now + LEAF_SKEW_MS) return { ok: false, reason: 'the presented certificate is not valid yet' };
      const uris = (leaf.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
      if (uris.length !== 1) return { ok: false, reason: 'the presented certificate does not carry exactly one URI SAN' };
      return { ok: true, spiffeId: uris[0] as string, serial: leaf.serialNumber, spki: spkiDer(leaf.publicKey) };
    },
  };
}

function parseStored(text: string): SignerMaterial {
  try {
    const value = JSON.parse(text) as SignerMaterial;
    if (typeof value.certificatePem !== 'string' || typeof value.privateKeyPem !== 'string') throw new Error('missing fields');
    return value;
  } catch (error) {
    throw new TrellisError('store', `${CA_SIGNER_KEY} does not hold CA material`, { cause: error });
  }
}

function computeBundle(signer: Signer, retiring: readonly RetiringSigner[]): TrustBundle {
  const seen = new Set<string>();
  const roots: X509Certificate[] = [];
  for (const pem of [signer.material.rootsPem, ...retiring.map((r) => r.rootsPem)]) {
    for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
      const certificate = new X509Certificate(block);
      if (seen.has(certificate.fingerprint256)) continue;
      seen.add(certificate.fingerprint256);
      roots.push(certificate);
    }
  }
  const pem = roots.map((r) => r.toString().trim()).join('\n') + '\n';
  return {
    pem,
    roots: roots.map((r) => ({ subject: r.subject.replace(/\n/g, ', '), serial: r.serialNumber, notAfter: new Date(r.validTo).toISOString() })),
    version: createHash('sha256').update(pem).digest('hex').slice(0, 16),
  };
}
