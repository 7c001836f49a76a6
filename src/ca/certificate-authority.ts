/**
 * The CA as one object for the composition root: `createCertificateAuthority({store, ...})`
 * opens (or creates) the authority, the issuer and the join tokens, and exposes what the
 * pipeline (CertificateSource, IdentityVerifier) and the API need.
 */
import type { KeyValueStore } from '../store/types.ts';
import type { Diagnostic } from '../util/errors.ts';
import { createLogger, type Logger } from '../util/log.ts';
import { openAuthority, type SignerMaterial } from './authority.ts';
import { systemClock, type Clock } from './clock.ts';
import { issueForRequest, parseCertificateRequest, type IssueResult } from './issuance.ts';
import { createIssuer, type Issuer, type LedgerEntry } from './issuer.ts';
import type { ServingNames } from './certificate.ts';
import { createServingCertificate, type ServingCertificate } from './serving-certificate.ts';
import { openJoinTokens, type JoinTokenRecord, type JoinTokens } from './join-tokens.ts';
import { parseSpiffeId, trustDomainProblem, workloadIdentity } from './spiffe.ts';
import { DEFAULT_TRUST_DOMAIN, type CertificateSource, type IdentityVerifier, type KeyAlgorithm, type TrustBundle } from './types.ts';

export const DEFAULT_LEAF_LIFETIME_MS = 24 * 3600 * 1000;
export const DEFAULT_JOIN_TOKEN_TTL_MS = 24 * 3600 * 1000;
const MAX_JOIN_TOKEN_TTL_MS = 365 * 24 * 3600 * 1000;

export interface CertificateAuthorityOptions {
  readonly store: KeyValueStore;
  /** Default `trellis.local`. */
  readonly trustDomain?: string;
  /** Keys Trellis generates (SDS, token path without CSR). Default ecdsa-p256. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Default 24 h; renewal at half-life. */
  readonly leafLifetimeMs?: number;
  /** After a root rotation, delay before certificates from the new root go out. Default 5 s. */
  readonly rotationGraceMs?: number;
  /** A CA the user supplied (see loadCaFiles); otherwise the stored or a generated root. */
  readonly userCa?: SignerMaterial;
  readonly clock?: Clock;
  readonly log?: Logger;
}

/** A certificate as status and the API show it. */
export interface CertificateStatus extends LedgerEntry {
  /** Past three quarters of its lifetime: renewal is overdue. */
  readonly expiringSoon: boolean;
}

export type JoinTokenRequestResult =
  | { readonly ok: true; readonly token: string; readonly record: JoinTokenRecord }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface CertificateAuthority {
  readonly trustDomain: string;
  /** For the pipeline's SDS secrets (certificateFor / bundle / onChange). */
  readonly source: CertificateSource;
  /** For checking `trellis.token` node metadata. */
  readonly verifier: IdentityVerifier;
  readonly issuer: Issuer;
  readonly joinTokens: JoinTokens;
  bundle(): TrustBundle;
  /** POST /ca/certificates: validates the body and issues (see issuance.ts). */
  requestCertificate(body: unknown): Promise<IssueResult>;
  /** POST /ca/tokens: `{identity}` or `{namespace, serviceAccount}`, optional `ttl` ("24h", "30m", seconds). */
  createJoinToken(body: unknown, createdBy: string): Promise<JoinTokenRequestResult>;
  certificates(): CertificateStatus[];
  rotateRoot(): Promise<void>;
  /**
   * A serving certificate for Trellis' own xDS server (`spiffe://<td>/trellis/xds` plus `names`
   * as DNS/IP SANs), renewed until `close()` of either it or the CA.
   */
  servingCertificate(names: ServingNames): Promise<ServingCertificate>;
  /** Stops renewal timers (the store stays open: the caller owns it). */
  close(): void;
}

/**
 * Opens the CA. Throws TrellisError kind 'store' when the stored CA entries are unreadable, and
 * Error for an invalid trust domain (a configuration bug the caller validated earlier).
 */
export async function createCertificateAuthority(options: CertificateAuthorityOptions): Promise<CertificateAuthority> {
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const problem = trustDomainProblem(trustDomain);
  if (problem !== undefined) throw new Error(problem);
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger('ca');
  const keyAlgorithm = options.keyAlgorithm ?? 'ecdsa-p256';
  const lifetimeMs = options.leafLifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS;
  const authority = await openAuthority({ store: options.store, trustDomain, clock, log, ...(options.userCa === undefined ? {} : { userSigner: options.userCa }) });
  const issuer = createIssuer({ authority, trustDomain, clock, log, keyAlgorithm, lifetimeMs, rotationGraceMs: options.rotationGraceMs ?? 5_000 });
  const joinTokens = await openJoinTokens(options.store, clock, log);
  // A rotated-out root past its drop time (e.g. the server was down meanwhile) goes now.
  await authority.dropRetiring([]);
  const serving = new Set<ServingCertificate>();
  const rotationGraceMs = options.rotationGraceMs ?? 5_000;

  return {
    trustDomain,
    source: issuer,
    verifier: joinTokens,
    issuer,
    joinTokens,
    bundle: () => authority.bundle(),
    async requestCertificate(body) {
      const parsed = parseCertificateRequest(body);
      if (!parsed.ok) return { ok: false, status: 400, reason: parsed.reason };
      return issueForRequest({ authority, issuer, tokens: joinTokens, log, keyAlgorithm, lifetimeMs }, parsed.request);
    },
    async createJoinToken(body, createdBy) {
      const checked = parseJoinTokenRequest(body, trustDomain);
      if (!checked.ok) return checked;
      const { token, record } = await joinTokens.create(checked.spiffeId, checked.ttlMs, createdBy);
      return { ok: true, token, record };
    },
    certificates() {
      const now = clock.now();
      return issuer.ledger().map((entry) => {
        const notAfter = Date.parse(entry.notAfter);
        const renewAt = Date.parse(entry.renewAt);
        return { ...entry, expiringSoon: now >= renewAt + (notAfter - renewAt) / 2 };
      });
    },
    rotateRoot: () => issuer.rotateRoot(),
    async servingCertificate(names) {
      const certificate = await createServingCertificate({ authority, issuer, trustDomain, names, clock, log, keyAlgorithm, lifetimeMs, rotationGraceMs });
      serving.add(certificate);
      return certificate;
    },
    close: () => {
      for (const certificate of serving) certificate.close();
      serving.clear();
      issuer.close();
    },
  };
}

/** Validates `{identity}` or `{namespace, serviceAccount}` plus optional `ttl`. */
export function parseJoinTokenRequest(body: unknown, trustDomain: string):
  { ok: true; spiffeId: string; ttlMs: number } | { ok: false; diagnostics: Diagnostic[] } {
  const fail = (field: string, message: string): { ok: false; diagnostics: Diagnostic[] } => ({
    ok: false, diagnostics: [{ severity: 'error', field, message, source: 'request body' }],
  });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail('', 'expected a JSON object {identity | namespace+serviceAccount, ttl?}');
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).find((k) => !['identity', 'namespace', 'serviceAccount', 'ttl'].includes(k));
  if (unknown !== undefined) return fail(unknown, 'unknown field; allowed: identity, namespace, serviceAccount, ttl');
  let spiffeId: string;
  if (record['identity'] !== undefined) {
    if (record['namespace'] !== undefined || record['serviceAccount'] !== undefined) return fail('identity', 'give identity, or namespace and serviceAccount, not both');
    if (typeof record['identity'] !== 'string') return fail('identity', 'must be a SPIFFE id string');
    const parsed = parseSpiffeId(record['identity']);
    if (!parsed.ok) return fail('identity', parsed.message);
    if (parsed.identity.trustDomain !== trustDomain) return fail('identity', `trust domain ${parsed.identity.trustDomain} is not this CA's (${trustDomain})`);
    spiffeId = parsed.identity.spiffeId;
  } else {
    const ns = record['namespace'];
    const sa = record['serviceAccount'];
    if (typeof ns !== 'string' || typeof sa !== 'string') return fail('identity', 'give identity (a SPIFFE id) or namespace and serviceAccount');
    const built = workloadIdentity(ns, sa, trustDomain);
    if (!built.ok) return fail('namespace', built.message);
    spiffeId = built.identity.spiffeId;
  }
  const ttlMs = record['ttl'] === undefined ? DEFAULT_JOIN_TOKEN_TTL_MS : parseDurationMs(record['ttl']);
  if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_JOIN_TOKEN_TTL_MS) return fail('ttl', 'must be a duration like "24h", "30m", "90s" or a number of seconds, at most 365 days');
  return { ok: true, spiffeId, ttlMs };
}

/** "1h30m", "45s", "2d", or a number of seconds; undefined when unreadable. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string' || !/^(\d+(d|h|m|s|ms))+$/.test(value)) return undefined;
  const unit: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const m of value.matchAll(/(\d+)(ms|d|h|m|s)/g)) total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 0);
  return total;
}
