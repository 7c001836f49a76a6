/**
 * Which PlatformPolicies apply to a service, and in which order they layer (widest scope first).
 */
import { serviceKey, type ServiceKey } from '../../registry/types.ts';
import type { AuthorizationPolicyDocument, ConfigSnapshot, PlatformPolicyDocument, PolicyScope, ServiceConfigDocument } from '../types.ts';

/** Scope width: mesh-wide < listed namespaces < listed services (higher is narrower, layers later). */
export const ScopeRank = { mesh: 0, namespace: 1, service: 2 } as const;
export type ScopeRankValue = (typeof ScopeRank)[keyof typeof ScopeRank];

/** The namespace of a `name.namespace` key (after the last dot; `default` when there is none). */
export function namespaceOf(key: ServiceKey): string {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? 'default' : key.slice(dot + 1);
}

function scopeOf(policy: PlatformPolicyDocument): PolicyScope {
  return policy.spec.scope;
}

function isMesh(scope: PolicyScope): boolean {
  return scope.namespaces?.includes('*') ?? false;
}

/**
 * How narrowly `policy` matches `key`: `service` if the key is listed, else `namespace` if its
 * namespace is listed, else `mesh` for `namespaces: ['*']`; undefined if the policy does not apply.
 * Without a key: the narrowest clause the policy declares (undefined for an empty scope).
 */
export function scopeRank(policy: PlatformPolicyDocument, key?: ServiceKey): ScopeRankValue | undefined {
  return rankInScope(scopeOf(policy), key);
}

/** scopeRank for a bare scope (what AuthorizationPolicy platform scopes use). */
export function rankInScope(scope: PolicyScope, key?: ServiceKey): ScopeRankValue | undefined {
  if (key === undefined) {
    if ((scope.services?.length ?? 0) > 0) return ScopeRank.service;
    if (isMesh(scope)) return (scope.namespaces?.length ?? 0) > 1 ? ScopeRank.namespace : ScopeRank.mesh;
    if ((scope.namespaces?.length ?? 0) > 0) return ScopeRank.namespace;
    return undefined;
  }
  if (scope.services?.includes(key)) return ScopeRank.service;
  if (scope.namespaces?.includes(namespaceOf(key))) return ScopeRank.namespace;
  if (isMesh(scope)) return ScopeRank.mesh;
  return undefined;
}

/** True when `policy`'s scope covers `key` (mesh, its namespace, or the key itself). */
export function policyApplies(policy: PlatformPolicyDocument, key: ServiceKey): boolean {
  return scopeRank(policy, key) !== undefined;
}

/** True when `scope` covers `key` (mesh, its namespace, or the key itself). */
export function scopeCovers(scope: PolicyScope, key: ServiceKey): boolean {
  return rankInScope(scope, key) !== undefined;
}

/** True when some service could be covered by both scopes. */
export function scopesOverlap(a: PolicyScope, b: PolicyScope): boolean {
  const empty = (s: PolicyScope): boolean => (s.namespaces?.length ?? 0) === 0 && (s.services?.length ?? 0) === 0;
  if (empty(a) || empty(b)) return false;
  if (isMesh(a) || isMesh(b)) return true;
  const nsA = new Set(a.namespaces ?? []);
  const nsB = new Set(b.namespaces ?? []);
  const svcA = a.services ?? [];
  const svcB = b.services ?? [];
  if ([...nsA].some((ns) => nsB.has(ns))) return true;
  if (svcA.some((s) => svcB.includes(s) || nsB.has(namespaceOf(s)))) return true;
  return svcB.some((s) => nsA.has(namespaceOf(s)));
}

/** A policy with the rank at which it applies to one service. */
export interface RankedPolicy {
  readonly policy: PlatformPolicyDocument;
  readonly rank: ScopeRankValue;
}

/**
 * The policies that apply to `key`, lowest precedence first: widest scope first, ties by policy
 * name (then id), so the result does not depend on document order.
 */
export function orderedPolicies(policies: Iterable<PlatformPolicyDocument>, key: ServiceKey): RankedPolicy[] {
  const out: RankedPolicy[] = [];
  for (const policy of policies) {
    const rank = scopeRank(policy, key);
    if (rank !== undefined) out.push({ policy, rank });
  }
  return out.sort((a, b) => a.rank - b.rank || compare(a.policy.name, b.policy.name) || compare(a.policy.id, b.policy.id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A snapshot split by kind once, so per-service merges do not rescan every document. */
export interface SnapshotIndex {
  readonly revision: number;
  readonly services: ReadonlyMap<ServiceKey, ServiceConfigDocument>;
  readonly policies: readonly PlatformPolicyDocument[];
  /** Every AuthorizationPolicy (platform and team), sorted by id. */
  readonly authorizations: readonly AuthorizationPolicyDocument[];
}

/** Indexes a snapshot. If two ServiceConfigs name one service (a parse error), the smallest id wins. */
export function indexSnapshot(snapshot: ConfigSnapshot): SnapshotIndex {
  const services = new Map<ServiceKey, ServiceConfigDocument>();
  const policies: PlatformPolicyDocument[] = [];
  const authorizations: AuthorizationPolicyDocument[] = [];
  for (const doc of snapshot.documents.values()) {
    if (doc.kind === 'PlatformPolicy') {
      policies.push(doc);
      continue;
    }
    if (doc.kind === 'AuthorizationPolicy') {
      authorizations.push(doc);
      continue;
    }
    const key = serviceKey(doc.name, doc.namespace);
    const existing = services.get(key);
    if (existing === undefined || compare(doc.id, existing.id) < 0) services.set(key, doc);
  }
  policies.sort((a, b) => compare(a.id, b.id));
  authorizations.sort((a, b) => compare(a.id, b.id));
  return { revision: snapshot.revision, services, policies, authorizations };
}
