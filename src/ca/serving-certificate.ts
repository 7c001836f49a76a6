/**
 * The control plane's own serving certificate (ADS over TLS, since private keys travel on it):
 * SPIFFE id `spiffe://<td>/trellis/xds` plus DNS/IP SANs so standard TLS clients that check the
 * host they dialled accept it. Trellis holds the key; renewed at half-life and, after a root
 * rotation, once the new root had time to reach clients. Recorded in the issuer's ledger, so
 * status shows it and a rotated-out root stays in the bundle while it is still served.
 */
import type { Logger } from '../util/log.ts';
import type { Authority, SignedLeaf } from './authority.ts';
import type { ServingNames } from './certificate.ts';
import type { Clock } from './clock.ts';
import type { Issuer } from './issuer.ts';
import { generateKeys, privateKeyPem, spkiDer } from './keys.ts';
import type { KeyAlgorithm } from './types.ts';

/** The current serving pair, PEM (chain: leaf first, then any intermediates). */
export interface ServingPair {
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
}

/** A serving certificate kept fresh; structurally what the gRPC glue's `ServingTls` needs. */
export interface ServingCertificate {
  readonly spiffeId: string;
  current(): ServingPair;
  /** Serial of the certificate served now (upper-case hex, as node's X509Certificate prints it). */
  serial(): string;
  /** Called after each renewal; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Stops renewal. */
  close(): void;
}

export interface ServingCertificateOptions {
  readonly authority: Authority;
  readonly issuer: Issuer;
  readonly trustDomain: string;
  readonly names: ServingNames;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly lifetimeMs: number;
  /** Delay after a root rotation before a certificate from the new root is served. */
  readonly rotationGraceMs: number;
  /** Retry delay after a failed renewal (default 30 s). */
  readonly retryMs?: number;
}

/** The SPIFFE id of Trellis' xDS server in `trustDomain`. */
export function xdsServerSpiffeId(trustDomain: string): string {
  return `spiffe://${trustDomain}/trellis/xds`;
}

/** Issues the first serving certificate now and keeps it renewed until `close()`. */
export async function createServingCertificate(options: ServingCertificateOptions): Promise<ServingCertificate> {
  const { authority, issuer, clock, log } = options;
  const spiffeId = xdsServerSpiffeId(options.trustDomain);
  const listeners = new Set<() => void>();
  let timer: unknown;
  let closed = false;

  const issue = async (): Promise<{ pair: ServingPair; leaf: SignedLeaf }> => {
    const keys = await generateKeys(options.keyAlgorithm);
    const leaf = authority.signLeaf(spiffeId, spkiDer(keys.publicKey), options.lifetimeMs, options.names);
    return { leaf, pair: { certificateChainPem: leaf.certificateChainPem, privateKeyPem: privateKeyPem(keys.privateKey) } };
  };

  let held = await issue();
  issuer.record(held.leaf);
  log.info('issued the xDS serving certificate', { spiffeId, serial: held.leaf.serial, notAfter: held.leaf.notAfter });

  const arm = (delay: number): void => {
    if (closed) return;
    if (timer !== undefined) clock.clearTimer(timer);
    timer = clock.setTimer(() => void renew(), Math.max(0, delay));
  };
  const halfLife = (leaf: SignedLeaf): number => {
    const from = Date.parse(leaf.notBefore);
    return from + (Date.parse(leaf.notAfter) - from) / 2 - clock.now();
  };
  const renew = async (): Promise<void> => {
    if (closed) return;
    try {
      const next = await issue();
      if (closed) return;
      issuer.record(next.leaf, held.leaf.serial);
      held = next;
      log.info('renewed the xDS serving certificate', { spiffeId, serial: next.leaf.serial, notAfter: next.leaf.notAfter });
      arm(halfLife(next.leaf));
      for (const listener of listeners) listener();
    } catch (error) {
      log.error('xDS serving certificate renewal failed; retrying', { error: String(error) });
      arm(options.retryMs ?? 30_000);
    }
  };
  arm(halfLife(held.leaf));

  // A new root: serve a certificate from it once clients had time to fetch the new bundle.
  const unsubscribe = issuer.onChange((change) => {
    if (change.bundle && authority.signerSerial() !== held.leaf.signerSerial) arm(options.rotationGraceMs);
  });

  return {
    spiffeId,
    current: () => held.pair,
    serial: () => held.leaf.serial,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      closed = true;
      unsubscribe();
      if (timer !== undefined) clock.clearTimer(timer);
      listeners.clear();
    },
  };
}
