/**
 * The issuer: certificates Trellis holds for workloads (SDS path; Trellis makes the key), issued
 * on demand with concurrent requests deduplicated, renewed at half-life, and re-issued after a
 * root rotation. It also keeps a ledger of every unexpired certificate the CA issued (both
 * paths) for status, and to drop a rotated-out root from the bundle once no certificate it
 * signed is still in use. Listeners hear about every change through `onChange`.
 */
import type { Logger } from '../util/log.ts';
import { LEAF_SKEW_MS, type Authority, type SignedLeaf } from './authority.ts';
import type { Clock } from './clock.ts';
import { generateKeys, privateKeyPem, spkiDer } from './keys.ts';
import { isSpiffeIdIn } from './spiffe.ts';
import type { CertificateSource, CertificateSummary, IssuedCertificate, KeyAlgorithm, SpiffeId } from './types.ts';

type ChangeListener = Parameters<CertificateSource['onChange']>[0];

export interface IssuerOptions {
  readonly authority: Authority;
  readonly trustDomain: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly lifetimeMs: number;
  /** After a root rotation, how long the new bundle has to reach workloads before certificates from the new root go out. */
  readonly rotationGraceMs: number;
  /** Retry delay after a failed issuance (default 30 s). */
  readonly retryMs?: number;
}

/** A ledger entry: what status shows about an issued certificate. */
export interface LedgerEntry extends CertificateSummary {
  readonly signerSerial: string;
  /** Whether Trellis holds the key (SDS) rather than the workload (CSR path). */
  readonly managed: boolean;
}

export interface Issuer extends CertificateSource {
  /** The current certificate for `id`, issuing one when there is none (or it expired). */
  ensure(id: SpiffeId): Promise<IssuedCertificate>;
  /** Adds a certificate issued on the API path to the ledger; `supersedes` is the serial it replaces (renewal). */
  record(leaf: SignedLeaf, supersedes?: string): void;
  /** Every unexpired issued certificate, sorted by identity then expiry. */
  ledger(): LedgerEntry[];
  /** New root now (bundle change at once); managed certificates re-issued after the grace period. */
  rotateRoot(): Promise<void>;
  /** Resolves when no issuance, renewal or rotation work is in flight (tests, shutdown). */
  settled(): Promise<void>;
  close(): void;
}

interface Held {
  readonly certificate: IssuedCertificate;
  readonly signerSerial: string;
  timer: unknown;
}

export function createIssuer(options: IssuerOptions): Issuer {
  const { authority, clock, log } = options;
  const retryMs = options.retryMs ?? 30_000;
  const held = new Map<SpiffeId, Held>();
  const pending = new Map<SpiffeId, Promise<IssuedCertificate>>();
  const ledgerBySerial = new Map<string, LedgerEntry>();
  const listeners = new Set<ChangeListener>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<unknown>();
  let retireTimer: unknown;
  let closed = false;

  const emit = (identities: readonly SpiffeId[], bundle: boolean): void => {
    for (const listener of listeners) {
      try {
        listener({ identities, bundle });
      } catch (error) {
        log.error('certificate change listener failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const done = (): void => void inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  };
  const later = (fn: () => void, ms: number): unknown => {
    if (closed) return undefined;
    const handle = clock.setTimer(() => {
      timers.delete(handle);
      if (!closed) fn();
    }, ms);
    timers.add(handle);
    return handle;
  };
  const cancel = (handle: unknown): void => {
    if (handle === undefined) return;
    clock.clearTimer(handle);
    timers.delete(handle);
  };

  const addToLedger = (leaf: SignedLeaf, managed: boolean): void => {
    const renewAt = renewalTime(leaf);
    ledgerBySerial.set(leaf.serial, {
      spiffeId: leaf.spiffeId, serial: leaf.serial, notBefore: leaf.notBefore, notAfter: leaf.notAfter,
      renewAt: new Date(renewAt).toISOString(), signerSerial: leaf.signerSerial, managed,
    });
  };
  const pruneLedger = (): void => {
    const now = clock.now();
    for (const [serial, entry] of ledgerBySerial) if (Date.parse(entry.notAfter) <= now) ledgerBySerial.delete(serial);
  };

  /** Drops rotated-out roots no unexpired certificate depends on; re-arms for the last one's expiry. */
  const retireRoots = async (): Promise<void> => {
    const retiring = authority.retiringSerials();
    if (retiring.length === 0) return;
    pruneLedger();
    const stillUsed = new Set<string>();
    let lastExpiry = 0;
    for (const entry of ledgerBySerial.values()) {
      if (!retiring.includes(entry.signerSerial)) continue;
      stillUsed.add(entry.signerSerial);
      lastExpiry = Math.max(lastExpiry, Date.parse(entry.notAfter));
    }
    if (await authority.dropRetiring(retiring.filter((s) => !stillUsed.has(s)))) emit([], true);
    cancel(retireTimer);
    retireTimer = stillUsed.size === 0 ? undefined : later(() => void track(retireRoots()), Math.max(0, lastExpiry - clock.now()) + 1);
  };

  const schedule = (id: SpiffeId, entry: Held, delay: number): void => {
    cancel(entry.timer);
    entry.timer = later(() => void track(reissue(id)).catch(() => undefined), Math.max(0, delay));
  };

  const issue = async (id: SpiffeId): Promise<IssuedCertificate> => {
    const keys = await generateKeys(options.keyAlgorithm);
    const leaf = authority.signLeaf(id, spkiDer(keys.publicKey), options.lifetimeMs);
    const { signerSerial, ...certificate } = { ...leaf, privateKeyPem: privateKeyPem(keys.privateKey) };
    const previous = held.get(id);
    if (previous !== undefined) {
      cancel(previous.timer);
      ledgerBySerial.delete(previous.certificate.serial);
    }
    const entry: Held = { certificate, signerSerial, timer: undefined };
    held.set(id, entry);
    addToLedger(leaf, true);
    schedule(id, entry, renewalTime(leaf) - clock.now());
    log.info(previous === undefined ? 'certificate issued' : 'certificate renewed', { identity: id, serial: leaf.serial, notAfter: leaf.notAfter });
    emit([id], false);
    await retireRoots();
    return certificate;
  };

  const reissue = (id: SpiffeId): Promise<IssuedCertificate> => {
    const running = pending.get(id);
    if (running !== undefined) return running;
    const promise = issue(id).catch((error: unknown) => {
      log.error('certificate issuance failed; retrying', { identity: id, error: error instanceof Error ? error.message : String(error) });
      const entry = held.get(id);
      if (entry !== undefined) schedule(id, entry, retryMs);
      throw error;
    }).finally(() => pending.delete(id));
    pending.set(id, promise);
    return track(promise);
  };

  const current = (id: SpiffeId): IssuedCertificate | undefined => {
    const entry = held.get(id);
    return entry !== undefined && Date.parse(entry.certificate.notAfter) > clock.now() ? entry.certificate : undefined;
  };

  return {
    certificateFor(id) {
      const found = current(id);
      if (found !== undefined) return found;
      if (!closed && isSpiffeIdIn(id, options.trustDomain)) reissue(id).catch(() => undefined);
      return undefined;
    },
    async ensure(id) {
      if (!isSpiffeIdIn(id, options.trustDomain)) throw new Error(`${id} is not a SPIFFE id of trust domain ${options.trustDomain}`);
      return current(id) ?? reissue(id);
    },
    bundle: () => authority.bundle(),
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    record(leaf, supersedes) {
      if (supersedes !== undefined) ledgerBySerial.delete(supersedes);
      addToLedger(leaf, false);
      void track(retireRoots()).catch((error: unknown) => log.error('root retirement failed', { error: String(error) }));
    },
    ledger() {
      pruneLedger();
      return [...ledgerBySerial.values()].sort((a, b) => (a.spiffeId === b.spiffeId ? cmp(a.notAfter, b.notAfter) : cmp(a.spiffeId, b.spiffeId)));
    },
    async rotateRoot() {
      await authority.rotateRoot(options.lifetimeMs);
      emit([], true);
      later(() => {
        for (const id of held.keys()) reissue(id).catch(() => undefined);
        void track(retireRoots()).catch(() => undefined);
      }, options.rotationGraceMs);
    },
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close() {
      closed = true;
      for (const handle of [...timers]) cancel(handle);
      listeners.clear();
    },
  };
}

/** Half-life: halfway between notBefore (without the skew) and notAfter. */
function renewalTime(leaf: { readonly notBefore: string; readonly notAfter: string }): number {
  const start = Date.parse(leaf.notBefore) + LEAF_SKEW_MS;
  return start + (Date.parse(leaf.notAfter) - start) / 2;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
