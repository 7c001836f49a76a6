/**
 * SDS Secret resources for an Envoy proxy that proved its identity: `default` (its certificate
 * chain and private key) and `ROOTCA` (the trust bundle), both inline PEM. Pure: the pipeline
 * reads the CertificateSource and hands the values in, so a rotation rebuilds secrets only.
 * The values hold a private key: they go into snapshots for the one identity that owns them and
 * must never be logged.
 */
import type { IssuedCertificate, TrustBundle } from '../../ca/types.ts';
import type { NamedResource } from './translate.ts';
import { SECRET_NAMES } from './tls.ts';

/**
 * The Secrets for `cert` and `bundle`: `default` only when the certificate carries its private
 * key (a CSR-path certificate has none: the workload keeps it, so there is nothing to serve),
 * `ROOTCA` when a bundle is given; `default` first. Missing inputs give fewer secrets, never
 * an empty placeholder (Envoy would accept it and fail handshakes).
 */
export function buildSecrets(cert: IssuedCertificate | undefined, bundle: TrustBundle | undefined): NamedResource[] {
  const out: NamedResource[] = [];
  if (cert?.privateKeyPem !== undefined && cert.certificateChainPem !== '' && cert.privateKeyPem !== '') {
    out.push({
      name: SECRET_NAMES.certificate,
      value: {
        name: SECRET_NAMES.certificate,
        tls_certificate: {
          certificate_chain: { inline_string: cert.certificateChainPem },
          private_key: { inline_string: cert.privateKeyPem },
        },
      },
    });
  }
  if (bundle !== undefined && bundle.pem !== '') {
    out.push({
      name: SECRET_NAMES.trustBundle,
      value: { name: SECRET_NAMES.trustBundle, validation_context: { trusted_ca: { inline_string: bundle.pem } } },
    });
  }
  return out;
}
