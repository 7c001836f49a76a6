/**
 * Pure checks on SDS Secrets as a load generator stream holds them (decoded plain objects, proto
 * field names): the PEM they carry, whether a `default` leaf was signed by a given root, and the
 * per-stream condition a rotation wait is armed with. No I/O, no clock.
 */
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificate PEM blocks of `pem`, in order (keys and other blocks are skipped). */
export function certificateBlocks(pem: string): string[] {
  return pem.match(PEM_BLOCK) ?? [];
}

function inlineText(source: unknown): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const record = source as Record<string, unknown>;
  if (typeof record['inline_string'] === 'string') return record['inline_string'];
  const bytes = record['inline_bytes'];
  if (bytes instanceof Uint8Array) return Buffer.from(bytes).toString('utf8');
  return undefined;
}

/**
 * The certificate PEM a decoded Secret carries: the chain of a `tls_certificate` secret, or the
 * trusted CAs of a `validation_context` secret; undefined for anything else. Never the key.
 */
export function secretCertificatePem(secret: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!secret) return undefined;
  const tls = secret['tls_certificate'];
  if (typeof tls === 'object' && tls !== null) return inlineText((tls as Record<string, unknown>)['certificate_chain']);
  const validation = secret['validation_context'];
  if (typeof validation === 'object' && validation !== null) return inlineText((validation as Record<string, unknown>)['trusted_ca']);
  return undefined;
}

/**
 * True when the first certificate of `chainPem` (the leaf) names `rootPem`'s subject as issuer
 * and its signature verifies with that root's public key. False on unparsable input.
 */
export function leafSignedBy(chainPem: string, rootPem: string): boolean {
  const leafBlock = certificateBlocks(chainPem)[0];
  const rootBlock = certificateBlocks(rootPem)[0];
  if (leafBlock === undefined || rootBlock === undefined) return false;
  try {
    const leaf = new X509Certificate(leafBlock);
    const root = new X509Certificate(rootBlock);
    return leaf.checkIssued(root) && leaf.verify(root.publicKey);
  } catch {
    return false;
  }
}

/** What a rotation wait waits for on one stream. */
export type SecretCondition =
  /** The secret is held and its bytes differ from those held when the wait was armed. */
  | { readonly kind: 'changed' }
  /** The secret is held, and its leaf is NOT signed by `rootPem` (the old root): a new root issued it. */
  | { readonly kind: 'not-signed-by'; readonly rootPem: string }
  /** The secret is held at all (initial issuance). */
  | { readonly kind: 'held' };

/**
 * Whether a stream's copy of a secret meets `condition`. `held`/`baseline` are the Any bytes now
 * and when armed (undefined: not held); `decode` turns the held bytes into the decoded Secret and
 * is only called for conditions that look inside (so a wait can memoize decoding per copy).
 */
export function secretConditionMet(
  condition: SecretCondition,
  held: Uint8Array | undefined,
  baseline: Uint8Array | undefined,
  decode: () => Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (held === undefined) return false;
  switch (condition.kind) {
    case 'held':
      return true;
    case 'changed':
      return baseline === undefined || Buffer.compare(held, baseline) !== 0;
    case 'not-signed-by': {
      if (baseline !== undefined && Buffer.compare(held, baseline) === 0) return false;
      const chain = secretCertificatePem(decode());
      return chain !== undefined && certificateBlocks(chain).length > 0 && !leafSignedBy(chain, condition.rootPem);
    }
  }
}
