/**
 * The built-in CA as the rest of Trellis sees it: SPIFFE identities, issued certificates and the
 * trust bundle, as plain data (PEM strings). Private keys travel only inside IssuedCertificate
 * values handed to SDS; they are never logged, never returned by the API except to the workload
 * that proved the identity, and never part of status output.
 */

export const DEFAULT_TRUST_DOMAIN = 'trellis.local';

/** `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`. */
export type SpiffeId = string;

export interface WorkloadIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  /** Defaults to the service name. */
  readonly serviceAccount: string;
  readonly spiffeId: SpiffeId;
}

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

/** A leaf certificate for one identity. */
export interface IssuedCertificate {
  readonly spiffeId: SpiffeId;
  /** Leaf first, then any intermediates (not the root). */
  readonly certificateChainPem: string;
  /** Present when Trellis generated the key (SDS); absent on the CSR path (the workload keeps it). */
  readonly privateKeyPem?: string;
  /** Hex, no separators. */
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

/** The roots workloads trust: during a root rotation both old and new. */
export interface TrustBundle {
  readonly pem: string;
  readonly roots: ReadonlyArray<{ readonly subject: string; readonly serial: string; readonly notAfter: string }>;
  /** Content hash of `pem`. */
  readonly version: string;
}

/** What status and the API may show about a certificate (never the key). */
export interface CertificateSummary {
  readonly spiffeId: SpiffeId;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The time the issuer renews it (half-life). */
  readonly renewAt: string;
}

/**
 * What the pipeline reads to build SDS secrets. `certificateFor` returns the current certificate
 * or undefined while one is being issued; `onChange` fires (with the affected identities, or
 * `'bundle'` when the trust bundle changed) after issuance, renewal or root rotation.
 */
export interface CertificateSource {
  certificateFor(id: SpiffeId): IssuedCertificate | undefined;
  bundle(): TrustBundle;
  onChange(listener: (change: { readonly identities: readonly SpiffeId[]; readonly bundle: boolean }) => void): () => void;
}

/** Checks a proof of identity a proxy presented (a join token today). */
export interface IdentityVerifier {
  /** The identity the token proves, or undefined (expired, revoked, forged, or for another identity). */
  verifyJoinToken(token: string): SpiffeId | undefined;
}
