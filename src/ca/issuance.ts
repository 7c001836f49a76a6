/**
 * The API issuance path: a workload proves an identity (a join token, or its current valid
 * certificate when renewing) and gets a certificate for exactly that identity. With a CSR the
 * workload keeps its key; without one (token proof only) Trellis generates the key and returns it
 * to that workload alone. Every refusal is a value with a status and a reason, and is logged
 * without the token, the CSR or any key.
 */
import type { Logger } from '../util/log.ts';
import type { Authority } from './authority.ts';
import { checkCsr } from './csr.ts';
import type { Issuer } from './issuer.ts';
import type { JoinTokens } from './join-tokens.ts';
import { generateKeys, privateKeyPem, spkiDer } from './keys.ts';
import type { KeyAlgorithm, SpiffeId } from './types.ts';

/** What a workload sends: `{token, csr?}` or `{certificatePem, csr}` (renewal). */
export interface CertificateRequest {
  readonly token?: string;
  readonly csr?: string;
  readonly certificatePem?: string;
  /** Key type Trellis generates when there is no CSR (default: the CA's default). */
  readonly keyAlgorithm?: KeyAlgorithm;
}

export interface IssuedToWorkload {
  readonly spiffeId: SpiffeId;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly certificateChainPem: string;
  readonly bundlePem: string;
  /** Only when Trellis generated the key (no CSR). */
  readonly privateKeyPem?: string;
}

export type IssueResult =
  | { readonly ok: true; readonly issued: IssuedToWorkload }
  | { readonly ok: false; readonly status: 400 | 401 | 403; readonly reason: string };

export interface IssuanceOptions {
  readonly authority: Authority;
  readonly issuer: Issuer;
  readonly tokens: JoinTokens;
  readonly log: Logger;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly lifetimeMs: number;
}

/** Validates a request body into a CertificateRequest, or says what is wrong with it. */
export function parseCertificateRequest(body: unknown): { ok: true; request: CertificateRequest } | { ok: false; reason: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'expected a JSON object {token, csr?} or {certificatePem, csr}' };
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !['token', 'csr', 'certificatePem', 'keyAlgorithm'].includes(k));
  if (unknown.length > 0) return { ok: false, reason: `unknown field ${unknown.join(', ')}; allowed: token, csr, certificatePem, keyAlgorithm` };
  for (const field of ['token', 'csr', 'certificatePem'] as const) {
    if (record[field] !== undefined && (typeof record[field] !== 'string' || record[field] === '')) return { ok: false, reason: `${field} must be a non-empty string` };
  }
  const algorithm = record['keyAlgorithm'];
  if (algorithm !== undefined && algorithm !== 'ecdsa-p256' && algorithm !== 'rsa-2048') return { ok: false, reason: 'keyAlgorithm must be ecdsa-p256 or rsa-2048' };
  const has = (k: string): boolean => typeof record[k] === 'string';
  if (has('token') === has('certificatePem')) return { ok: false, reason: 'send exactly one proof of identity: token (join token) or certificatePem (current certificate, renewal)' };
  if (has('certificatePem') && !has('csr')) return { ok: false, reason: 'renewing with certificatePem needs a csr signed by the same key' };
  return {
    ok: true,
    request: {
      ...(has('token') ? { token: record['token'] as string } : {}),
      ...(has('csr') ? { csr: record['csr'] as string } : {}),
      ...(has('certificatePem') ? { certificatePem: record['certificatePem'] as string } : {}),
      ...(algorithm === undefined ? {} : { keyAlgorithm: algorithm }),
    },
  };
}

/** Issues for a request; see the module comment for the rules. */
export async function issueForRequest(options: IssuanceOptions, request: CertificateRequest): Promise<IssueResult> {
  const { authority, issuer, tokens, log } = options;
  const refuse = (status: 400 | 401 | 403, reason: string, fields: Record<string, unknown>): IssueResult => {
    log.warn('certificate request refused', { reason, ...fields });
    return { ok: false, status, reason };
  };
  let spiffeId: SpiffeId;
  let supersedes: string | undefined;
  let presentedSpki: Buffer | undefined;
  if (request.token !== undefined) {
    const proof = tokens.check(request.token);
    if (!proof.ok) return refuse(401, proof.reason, { proof: 'join token' });
    spiffeId = proof.spiffeId;
  } else {
    const proof = authority.checkPresented(request.certificatePem ?? '');
    if (!proof.ok) return refuse(401, proof.reason, { proof: 'certificate' });
    spiffeId = proof.spiffeId;
    supersedes = proof.serial;
    presentedSpki = proof.spki;
  }
  let spki: Buffer;
  let keyPem: string | undefined;
  if (request.csr !== undefined) {
    const checked = checkCsr(request.csr, spiffeId);
    if (!checked.ok) return refuse(checked.code === 'identity' ? 403 : 400, checked.reason, { identity: spiffeId });
    if (presentedSpki !== undefined && !presentedSpki.equals(checked.csr.spki)) {
      return refuse(403, 'the csr is not signed by the key of the presented certificate', { identity: spiffeId });
    }
    spki = checked.csr.spki;
  } else {
    const keys = await generateKeys(request.keyAlgorithm ?? options.keyAlgorithm);
    spki = spkiDer(keys.publicKey);
    keyPem = privateKeyPem(keys.privateKey);
  }
  const leaf = authority.signLeaf(spiffeId, spki, options.lifetimeMs);
  issuer.record(leaf, supersedes);
  log.info('certificate issued to workload', { identity: spiffeId, serial: leaf.serial, notAfter: leaf.notAfter, path: request.csr === undefined ? 'generated key' : 'csr' });
  return {
    ok: true,
    issued: {
      spiffeId, serial: leaf.serial, notBefore: leaf.notBefore, notAfter: leaf.notAfter,
      certificateChainPem: leaf.certificateChainPem, bundlePem: authority.bundle().pem,
      ...(keyPem === undefined ? {} : { privateKeyPem: keyPem }),
    },
  };
}
