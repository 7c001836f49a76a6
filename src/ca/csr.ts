/**
 * PKCS#10 certificate requests: `createCsr` (what `trellis agent` sends, its key never leaves it)
 * and `checkCsr` (what the CA accepts): a valid self-signature, a strong key, and exactly one
 * requested URI SAN equal to the identity the caller proved. Each refusal says why.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  bitString, child, children, DerError, octetString, oid, oidToString, pemBlocks, readExactly, sequence, set, smallInteger, Tag,
  tlv, toPem,
} from './der.ts';
import { keyStrengthProblem, SIGNATURE_OIDS, signatureScheme, spkiDer } from './keys.ts';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

/** A CSR for `spiffeId` (empty subject, URI SAN) signed by `privateKey`, as PEM. */
export function createCsr(spiffeId: string, privateKey: KeyObject): string {
  const san = sequence(oid(SUBJECT_ALT_NAME), octetString(sequence(tlv(0x86, Buffer.from(spiffeId, 'ascii')))));
  const info = sequence(
    smallInteger(0),
    sequence(),
    spkiDer(privateKey),
    tlv(0xa0, sequence(oid(EXTENSION_REQUEST), set(sequence(san)))),
  );
  const scheme = signatureScheme(privateKey);
  const der = sequence(info, scheme.algorithmIdentifier, bitString(sign(scheme.hash, info, privateKey)));
  return toPem('CERTIFICATE REQUEST', der);
}

/** A CSR that passed every check: the key to certify and its SPKI DER. */
export interface CheckedCsr {
  readonly publicKey: KeyObject;
  readonly spki: Buffer;
}

/** A refusal's `code`: `identity` when the CSR asks for another identity than the proof, else `invalid`. */
export type CsrCheck =
  | { readonly ok: true; readonly csr: CheckedCsr }
  | { readonly ok: false; readonly code: 'invalid' | 'identity'; readonly reason: string };

/** Checks a PEM CSR against the identity `expectedId` the caller proved. Never throws for bad input. */
export function checkCsr(pem: string, expectedId: string): CsrCheck {
  const refuse = (reason: string, code: 'invalid' | 'identity' = 'invalid'): CsrCheck => ({ ok: false, code, reason });
  const blocks = pemBlocks(pem, 'CERTIFICATE REQUEST');
  if (blocks.length !== 1) return refuse('csr must be one PEM block "CERTIFICATE REQUEST"');
  let parsed: { info: Buffer; algorithm: string; signature: Buffer; spki: Buffer; uris: string[]; otherNames: number };
  try {
    parsed = parseCsr(blocks[0] as Buffer);
  } catch (error) {
    return refuse(`csr is not a valid PKCS#10 request: ${error instanceof Error ? error.message : String(error)}`);
  }
  const scheme = SIGNATURE_OIDS[parsed.algorithm];
  if (scheme === undefined) return refuse(`csr signature algorithm ${parsed.algorithm} is not accepted; use ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: parsed.spki, format: 'der', type: 'spki' });
  } catch {
    return refuse('csr public key cannot be read');
  }
  const weak = keyStrengthProblem(publicKey);
  if (weak !== undefined) return refuse(`csr key refused: ${weak}`);
  if (publicKey.asymmetricKeyType !== scheme.keyType) return refuse(`csr signature algorithm ${parsed.algorithm} does not match its ${publicKey.asymmetricKeyType ?? 'unknown'} key`);
  let valid = false;
  try {
    valid = verify(scheme.hash, parsed.info, publicKey, parsed.signature);
  } catch {
    valid = false;
  }
  if (!valid) return refuse('csr signature does not verify with its own public key (bad signature or altered request)');
  if (parsed.otherNames > 0) return refuse('csr requests subject alternative names other than one URI; only the SPIFFE id is allowed');
  if (parsed.uris.length !== 1) return refuse(`csr must request exactly one URI SAN (the SPIFFE id ${expectedId}); it requests ${parsed.uris.length}`);
  if (parsed.uris[0] !== expectedId) return refuse(`csr requests identity ${parsed.uris[0] ?? ''} but the proof presented is for ${expectedId}`, 'identity');
  return { ok: true, csr: { publicKey, spki: parsed.spki } };
}

function parseCsr(der: Buffer): { info: Buffer; algorithm: string; signature: Buffer; spki: Buffer; uris: string[]; otherNames: number } {
  const request = children(readExactly(der, Tag.SEQUENCE, 'CertificationRequest').value);
  const info = child(request, 0, 'certificationRequestInfo', Tag.SEQUENCE);
  const algorithm = oidToString(child(child(request, 1, 'signatureAlgorithm', Tag.SEQUENCE), 0, 'algorithm', Tag.OID).value);
  const signatureBits = child(request, 2, 'signature', Tag.BIT_STRING).value;
  if (signatureBits[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
  const parts = children(info.value);
  const spki = child(parts, 2, 'subjectPKInfo', Tag.SEQUENCE).raw;
  const uris: string[] = [];
  let otherNames = 0;
  const attributes = parts[3];
  if (attributes !== undefined && attributes.tag === 0xa0) {
    for (const attribute of children(attributes.value)) {
      const [type, values] = children(attribute.value);
      if (type?.tag !== Tag.OID || oidToString(type.value) !== EXTENSION_REQUEST || values === undefined) continue;
      for (const extensions of children(values.value)) {
        for (const ext of children(extensions.value)) {
          const fields = children(ext.value);
          if (fields[0]?.tag !== Tag.OID || oidToString(fields[0].value) !== SUBJECT_ALT_NAME) continue;
          const value = fields[fields.length - 1];
          if (value?.tag !== Tag.OCTET_STRING) throw new DerError('subjectAltName value is not an OCTET STRING');
          for (const name of children(readExactly(value.value, Tag.SEQUENCE, 'subjectAltName').value)) {
            if (name.tag === 0x86) uris.push(name.value.toString('ascii'));
            else otherNames += 1;
          }
        }
      }
    }
  }
  return { info: info.raw, algorithm, signature: signatureBits.subarray(1), spki, uris, otherNames };
}
