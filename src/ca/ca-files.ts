/**
 * Loading a CA the user supplies as PEM files: the signing certificate (a root, or an
 * intermediate), its private key, and for an intermediate the chain up to and including the
 * root. Problems are diagnostics naming the file; nothing here prints key material.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Diagnostic } from '../util/errors.ts';
import type { SignerMaterial } from './authority.ts';
import { spkiDer } from './keys.ts';

export interface CaFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
  /** Intermediates above the signer, then the root; omit when the signer is itself a root. */
  readonly chainFile?: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Reads and checks the files; the material is ready for createCertificateAuthority's `userCa`. */
export async function loadCaFiles(files: CaFiles): Promise<{ ok: true; material: SignerMaterial } | { ok: false; diagnostics: Diagnostic[] }> {
  const problem = (source: string, message: string): { ok: false; diagnostics: Diagnostic[] } => ({
    ok: false, diagnostics: [{ severity: 'error', field: '', message, source }],
  });
  const read = async (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);
  const certificateText = await read(files.certificateFile);
  if (certificateText === undefined) return problem(files.certificateFile, 'cannot read the CA certificate file');
  const keyText = await read(files.keyFile);
  if (keyText === undefined) return problem(files.keyFile, 'cannot read the CA key file');
  const chainText = files.chainFile === undefined ? '' : await read(files.chainFile);
  if (chainText === undefined) return problem(files.chainFile ?? '', 'cannot read the CA chain file');
  const certificatePem = certificateText.match(CERTIFICATE_BLOCK)?.[0];
  if (certificatePem === undefined) return problem(files.certificateFile, 'no PEM CERTIFICATE block found');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return problem(files.certificateFile, 'the certificate cannot be parsed');
  }
  if (!certificate.ca) return problem(files.certificateFile, 'the certificate is not a CA certificate (basicConstraints CA:true is required)');
  try {
    const key = createPrivateKey(keyText);
    if (!spkiDer(key).equals(spkiDer(certificate.publicKey))) return problem(files.keyFile, 'the private key does not belong to the CA certificate');
  } catch {
    return problem(files.keyFile, 'the private key cannot be parsed (PEM PKCS#8, SEC1 or PKCS#1, unencrypted)');
  }
  const chain = (chainText.match(CERTIFICATE_BLOCK) ?? []).map((pem) => new X509Certificate(pem));
  let child = certificate;
  for (const [index, parent] of chain.entries()) {
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return problem(files.chainFile ?? '', `chain certificate ${index + 1} did not issue the certificate before it; order: signer's issuer first, root last`);
    }
    child = parent;
  }
  const top = chain[chain.length - 1] ?? certificate;
  if (!top.checkIssued(top) || !top.verify(top.publicKey)) {
    return problem(files.chainFile ?? files.certificateFile, 'the chain does not end in a self-signed root; add the root to the chain file');
  }
  return {
    ok: true,
    material: {
      certificatePem: `${certificatePem}\n`,
      privateKeyPem: keyText,
      intermediatesPem: chain.slice(0, -1).map((c) => c.toString()).join(''),
      rootsPem: top.toString(),
      source: 'user',
    },
  };
}
