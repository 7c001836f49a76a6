/**
 * Deciding one request against a service's EffectiveAuthorization, the way the generated RBAC
 * filters decide it: any matching DENY rule denies; else, when ALLOW policies guard the service,
 * only a matching ALLOW rule admits; else the request is admitted. Pure.
 *
 * Callers are matched by SPIFFE id (what the RBAC filters see in the peer certificate): a
 * `service: name.namespace` source is `spiffe://<td>/ns/<namespace>/sa/<name>`, a `namespace`
 * source every id under `spiffe://<td>/ns/<namespace>/`. A request attribute left out (no path,
 * method or port) matches no rule that constrains it.
 */
import { DEFAULT_TRUST_DOMAIN } from '../../ca/types.ts';
import type { ServiceKey } from '../../registry/types.ts';
import type { AuthorizationOperation, AuthorizationRule, AuthorizationSource, EffectiveAuthorization, EffectiveAuthorizationRule } from '../types.ts';
import { formatSource } from './merge.ts';
import { namespaceOf } from './scope.ts';

export interface AuthorizationRequest {
  readonly source: {
    /** The calling service (`name.namespace`), when known. */
    readonly serviceKey?: ServiceKey;
    /** The caller's SPIFFE id; derived from serviceKey when absent. Neither: a caller without identity. */
    readonly spiffeId?: string;
  };
  readonly path?: string;
  readonly method?: string;
  readonly port?: number;
}

export interface AuthorizationDecision {
  readonly decision: 'ALLOW' | 'DENY';
  /** The rule that decided it (absent when no rule matched). */
  readonly matched?: EffectiveAuthorizationRule;
  /** One sentence: what decided, naming the policy, file:line and rule index. */
  readonly reason: string;
  /** Rules skipped only because the request left out an attribute they constrain (path, method, port). */
  readonly undetermined: readonly EffectiveAuthorizationRule[];
}

/** The SPIFFE id of a service (`name.namespace`): service account = service name. */
export function serviceSpiffeId(key: ServiceKey, trustDomain: string = DEFAULT_TRUST_DOMAIN): string {
  const dot = key.lastIndexOf('.');
  const name = dot < 0 ? key : key.slice(0, dot);
  return `spiffe://${trustDomain}/ns/${namespaceOf(key)}/sa/${name}`;
}

/** Whether a caller with `spiffeId` (undefined: no identity) matches `source`. */
export function sourceMatches(source: AuthorizationSource, spiffeId: string | undefined, trustDomain: string = DEFAULT_TRUST_DOMAIN): boolean {
  if (spiffeId === undefined) return false;
  if (source.service !== undefined) return spiffeId === serviceSpiffeId(source.service, trustDomain);
  if (source.namespace !== undefined) return spiffeId.startsWith(`spiffe://${trustDomain}/ns/${source.namespace}/`);
  if (source.spiffeId !== undefined) {
    return source.spiffeId.endsWith('*') ? spiffeId.startsWith(source.spiffeId.slice(0, -1)) : spiffeId === source.spiffeId;
  }
  return false;
}

/** A request path against a rule path: exact, or a prefix when the rule path ends in `*`. */
export function pathMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

type Match = 'yes' | 'no' | 'unknown';

function operationMatch(op: AuthorizationOperation, request: AuthorizationRequest): Match {
  const checks: Match[] = [];
  const check = <T>(list: readonly T[] | undefined, value: T | undefined, test: (entry: T, value: T) => boolean): void => {
    if (list === undefined) return;
    checks.push(value === undefined ? 'unknown' : list.some((entry) => test(entry, value)) ? 'yes' : 'no');
  };
  check(op.paths, request.path, pathMatches);
  check(op.methods, request.method, (m, v) => m === v);
  check(op.ports, request.port, (p, v) => p === v);
  return checks.includes('no') ? 'no' : checks.includes('unknown') ? 'unknown' : 'yes';
}

function ruleMatch(rule: AuthorizationRule, request: AuthorizationRequest, spiffeId: string | undefined, trustDomain: string): Match {
  if (rule.from !== undefined && !rule.from.some((s) => sourceMatches(s, spiffeId, trustDomain))) return 'no';
  if (rule.to === undefined) return 'yes';
  const ops = rule.to.map((op) => operationMatch(op, request));
  return ops.includes('yes') ? 'yes' : ops.includes('unknown') ? 'unknown' : 'no';
}

/** Whether `rule` matches `request` (attributes the request leaves out match no constraint). */
export function ruleMatches(rule: AuthorizationRule, request: AuthorizationRequest, trustDomain: string = DEFAULT_TRUST_DOMAIN): boolean {
  return ruleMatch(rule, request, callerId(request, trustDomain), trustDomain) === 'yes';
}

function callerId(request: AuthorizationRequest, trustDomain: string): string | undefined {
  if (request.source.spiffeId !== undefined) return request.source.spiffeId;
  return request.source.serviceKey === undefined ? undefined : serviceSpiffeId(request.source.serviceKey, trustDomain);
}

/** `rule #1 of AuthorizationPolicy/bookinfo/x (authz.yaml:9)`. */
export function describeRule(rule: EffectiveAuthorizationRule): string {
  return `${rule.layer} ${rule.action} rule #${rule.index} of ${rule.document} (${formatSource(rule.source) ?? ''})`;
}

/** Decides `request` against `auth` (see the module comment); never throws. */
export function evaluateAuthorization(
  auth: EffectiveAuthorization, request: AuthorizationRequest, trustDomain: string = DEFAULT_TRUST_DOMAIN,
): AuthorizationDecision {
  const spiffeId = callerId(request, trustDomain);
  const undetermined: EffectiveAuthorizationRule[] = [];
  const first = (rules: readonly EffectiveAuthorizationRule[]): EffectiveAuthorizationRule | undefined => {
    for (const rule of rules) {
      const match = ruleMatch(rule.rule, request, spiffeId, trustDomain);
      if (match === 'yes') return rule;
      if (match === 'unknown') undetermined.push(rule);
    }
    return undefined;
  };
  const denied = first(auth.deny);
  if (denied !== undefined) return { decision: 'DENY', matched: denied, reason: `denied by ${describeRule(denied)}`, undetermined };
  if (!auth.hasAllowPolicies) {
    return { decision: 'ALLOW', reason: 'no DENY rule matches and no ALLOW policy guards the service: every caller is admitted', undetermined };
  }
  const allowed = first(auth.allow);
  if (allowed !== undefined) return { decision: 'ALLOW', matched: allowed, reason: `allowed by ${describeRule(allowed)}`, undetermined };
  const n = auth.allow.length;
  return {
    decision: 'DENY',
    reason: `no ALLOW rule matches (${n} ALLOW rule${n === 1 ? '' : 's'} guard the service, so only matching callers get in)`,
    undetermined,
  };
}
