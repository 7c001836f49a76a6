/**
 * Layered config merge: precedence, provenance, bounds and explain. Pure functions over a
 * ConfigSnapshot; see strategy.ts for the per-field merge table.
 */
export { MERGE_STRATEGY, SETTINGS_FIELDS, BUILTIN_SETTINGS, FIELD_UNITS } from './strategy.ts';
export type { MergeStrategy, SettingsField } from './strategy.ts';
export { joinPath, settingsLeaves, valueAt } from './paths.ts';
export type { Leaf, PathSegment } from './paths.ts';
export { policyApplies, scopeCovers, rankInScope, scopeRank, scopesOverlap, orderedPolicies, namespaceOf, indexSnapshot, ScopeRank } from './scope.ts';
export type { RankedPolicy, SnapshotIndex, ScopeRankValue } from './scope.ts';
export { mergeService, mergeLayers, layersFor, fieldSource, formatSource } from './merge.ts';
export type { LayerInput } from './merge.ts';
export { createConfigLookup } from './lookup.ts';
export { checkBounds, boundViolations, boundSource } from './bounds.ts';
export { explainService, formatExplain, explainJson } from './explain.ts';
export type { ExplainRow, ExplainOrigin } from './explain.ts';
export { formatMs, formatValue, unitOf } from './format.ts';
export { authorizationApplies, authorizationIndexed, authorizationPoliciesFor, effectiveAuthorization } from './authorization.ts';
export { describeRule, evaluateAuthorization, pathMatches, ruleMatches, serviceSpiffeId, sourceMatches } from './evaluate-authorization.ts';
export type { AuthorizationDecision, AuthorizationRequest } from './evaluate-authorization.ts';
export { authorizationRows, formatAuthorization, formatDecision, formatRule } from './authorization-explain.ts';
export type { AuthorizationRow } from './authorization-explain.ts';
