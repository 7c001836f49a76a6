/**
 * Key pairs and signature schemes over node:crypto: generation (ECDSA P-256 default, RSA 2048
 * option), the X.509 signature algorithm a key signs with, and the strength rule for keys
 * Trellis certifies (EC P-256/P-384, RSA ≥ 2048).
 */
import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { derNull, oid, sequence } from './der.ts';
import type { KeyAlgorithm } from './types.ts';

const generate = promisify(generateKeyPair);

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A fresh key pair of `algorithm`, generated off the main thread. */
export async function generateKeys(algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<KeyPair> {
  return algorithm === 'rsa-2048'
    ? generate('rsa', { modulusLength: 2048 })
    : generate('ec', { namedCurve: 'prime256v1' });
}

/** The PKCS#8 PEM of a private key (what SDS, files and the store carry). */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The DER SubjectPublicKeyInfo of a key (private or public). */
export function spkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** How a key signs certificates: the digest and the AlgorithmIdentifier written next to it. */
export interface SignatureScheme {
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly algorithmIdentifier: Buffer;
}

export const SIGNATURE_OIDS: Readonly<Record<string, { readonly hash: SignatureScheme['hash']; readonly keyType: 'ec' | 'rsa' }>> = {
  '1.2.840.10045.4.3.2': { hash: 'sha256', keyType: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', keyType: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', keyType: 'ec' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', keyType: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', keyType: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', keyType: 'rsa' },
};

/** The scheme `key` signs with: ECDSA with SHA-256 (P-256) or SHA-384 (P-384), RSA PKCS#1 v1.5 with SHA-256. */
export function signatureScheme(key: KeyObject): SignatureScheme {
  if (key.asymmetricKeyType === 'ec') {
    const p384 = key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
    return p384
      ? { hash: 'sha384', algorithmIdentifier: sequence(oid('1.2.840.10045.4.3.3')) }
      : { hash: 'sha256', algorithmIdentifier: sequence(oid('1.2.840.10045.4.3.2')) };
  }
  if (key.asymmetricKeyType === 'rsa') return { hash: 'sha256', algorithmIdentifier: sequence(oid('1.2.840.113549.1.1.11'), derNull()) };
  throw new Error(`unsupported CA key type ${key.asymmetricKeyType ?? 'unknown'}: use EC P-256/P-384 or RSA`);
}

/** undefined when Trellis certifies `key`, else a message saying what is wrong and what is accepted. */
export function keyStrengthProblem(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'secp384r1') return undefined;
    return `EC curve ${curve ?? 'unknown'} is not accepted; use P-256 or P-384`;
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= 2048 ? undefined : `RSA key of ${bits} bits is too weak; at least 2048 bits are required`;
  }
  return `key type ${type ?? 'unknown'} is not accepted; use EC P-256/P-384 or RSA ≥ 2048`;
}
