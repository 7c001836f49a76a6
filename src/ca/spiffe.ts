/**
 * SPIFFE ids for Trellis workloads: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
 * Trust domains are lowercase DNS-like names; namespace and service account are DNS labels.
 * Parsing is strict so an id that matches one check matches every other.
 */
import { DEFAULT_TRUST_DOMAIN, type SpiffeId, type WorkloadIdentity } from './types.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const TRUST_DOMAIN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const ID = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** undefined when `domain` is a valid trust domain, else why not. */
export function trustDomainProblem(domain: string): string | undefined {
  if (domain.length === 0 || domain.length > 255) return 'a trust domain must be 1..255 characters';
  if (!TRUST_DOMAIN.test(domain)) return `trust domain "${domain}" must be lowercase DNS labels separated by dots`;
  return undefined;
}

/** undefined when `label` is a DNS label (namespace, service account), else why not. */
export function labelProblem(what: string, label: string): string | undefined {
  return DNS_LABEL.test(label) ? undefined : `${what} "${label}" must be a DNS label (lowercase letters, digits, "-", at most 63)`;
}

export type IdentityResult =
  | { readonly ok: true; readonly identity: WorkloadIdentity }
  | { readonly ok: false; readonly message: string };

/** Builds and validates the identity of `serviceAccount` in `namespace` of `trustDomain`. */
export function workloadIdentity(namespace: string, serviceAccount: string, trustDomain: string = DEFAULT_TRUST_DOMAIN): IdentityResult {
  const problem = trustDomainProblem(trustDomain) ?? labelProblem('namespace', namespace) ?? labelProblem('service account', serviceAccount);
  if (problem !== undefined) return { ok: false, message: problem };
  return { ok: true, identity: { trustDomain, namespace, serviceAccount, spiffeId: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}` } };
}

/** Parses a Trellis SPIFFE id; refuses any other shape (query, fragment, extra path, bad labels). */
export function parseSpiffeId(id: string): IdentityResult {
  const match = ID.exec(id);
  if (match === null) return { ok: false, message: `"${id}" is not a SPIFFE id of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>` };
  const result = workloadIdentity(match[2] ?? '', match[3] ?? '', match[1] ?? '');
  return result;
}

/** Whether `id` parses and belongs to `trustDomain`. */
export function isSpiffeIdIn(id: SpiffeId, trustDomain: string): boolean {
  const parsed = parseSpiffeId(id);
  return parsed.ok && parsed.identity.trustDomain === trustDomain;
}
