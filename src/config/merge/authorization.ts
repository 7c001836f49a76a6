/**
 * The authorization rules guarding one service: every platform AuthorizationPolicy whose scope
 * covers it and every team policy of its namespace that targets it, split into DENY and ALLOW
 * lists (platform first, then team; by document id, then rule index within each).
 */
import type { ServiceKey } from '../../registry/types.ts';
import type { AuthorizationPolicyDocument, EffectiveAuthorization, EffectiveAuthorizationRule } from '../types.ts';
import { fieldSource } from './merge.ts';
import { namespaceOf, scopeCovers, type SnapshotIndex } from './scope.ts';

/** The service name of a `name.namespace` key (before the last dot). */
function nameOf(key: ServiceKey): string {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? key : key.slice(0, dot);
}

/** Whether `policy` guards `key`: a platform policy by its scope, a team policy by namespace and target. */
export function authorizationApplies(policy: AuthorizationPolicyDocument, key: ServiceKey): boolean {
  if (policy.namespace === undefined) return policy.spec.scope !== undefined && scopeCovers(policy.spec.scope, key);
  return policy.namespace === namespaceOf(key) && policy.spec.target?.service === nameOf(key);
}

/** The policies guarding `key`, platform ones first, each group by id (the index keeps them sorted). */
export function authorizationPoliciesFor(key: ServiceKey, index: SnapshotIndex): AuthorizationPolicyDocument[] {
  const applying = index.authorizations.filter((p) => authorizationApplies(p, key));
  return [...applying.filter((p) => p.namespace === undefined), ...applying.filter((p) => p.namespace !== undefined)];
}

/** Builds the EffectiveAuthorization of a service from the policies guarding it (in the order given). */
export function effectiveAuthorization(policies: readonly AuthorizationPolicyDocument[]): EffectiveAuthorization {
  const deny: EffectiveAuthorizationRule[] = [];
  const allow: EffectiveAuthorizationRule[] = [];
  for (const policy of policies) {
    const layer = policy.namespace === undefined ? 'platform' : 'team';
    const list = policy.spec.action === 'DENY' ? deny : allow;
    policy.spec.rules.forEach((rule, index) => {
      list.push({ action: policy.spec.action, layer, document: policy.id, source: fieldSource(policy, `spec.rules[${index}]`), index, rule });
    });
  }
  return { deny, allow, hasAllowPolicies: policies.some((p) => p.spec.action === 'ALLOW') };
}

/** The authorization of `key` at the indexed snapshot. */
export function authorizationIndexed(key: ServiceKey, index: SnapshotIndex): EffectiveAuthorization {
  return effectiveAuthorization(authorizationPoliciesFor(key, index));
}
