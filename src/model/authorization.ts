/**
 * Authorization rules (config) → plain matchers (model), and the reference evaluation of those
 * matchers. Resolution, with `td` the trust domain:
 * - source `service: name.ns` (a bare name means the guarded service's namespace) → exact
 *   `spiffe://td/ns/<ns>/sa/<name>` (the service account is the service name);
 * - source `namespace: ns` → prefix `spiffe://td/ns/<ns>/sa/`; `namespace: '*'` → prefix `spiffe://td/ns/`;
 * - source `spiffeId` → exact, or a prefix when it ends in `*` (`*` alone: any SPIFFE id);
 * - a source naming several fields needs all of them (`allOf`); one naming none matches any caller;
 * - paths: exact, or a prefix when ending in `*` (`*` alone: any path); empty lists match anything.
 */
import type { AuthorizationOperation, AuthorizationSource, EffectiveAuthorization, EffectiveAuthorizationRule } from '../config/types.ts';
import { spiffeIdOf } from './names.ts';
import { normalizeServiceKey } from './routes-from-settings.ts';
import type { AuthorizationModel, AuthorizationRuleModel, PathMatchModel, PermissionModel, PrincipalModel, ServiceKey } from './types.ts';

/**
 * The authorization model of the service `key` from its effective rules, or undefined when there
 * is nothing to enforce (no rules and no ALLOW policy). Pure; equal inputs give equal output.
 */
export function authorizationModel(key: ServiceKey, effective: EffectiveAuthorization | undefined, trustDomain: string): AuthorizationModel | undefined {
  if (!effective || (effective.deny.length === 0 && effective.allow.length === 0 && !effective.hasAllowPolicies)) return undefined;
  const resolve = (r: EffectiveAuthorizationRule): AuthorizationRuleModel => ruleModel(key, r, trustDomain);
  return { deny: effective.deny.map(resolve), allow: effective.allow.map(resolve), hasAllowPolicies: effective.hasAllowPolicies };
}

function ruleModel(key: ServiceKey, r: EffectiveAuthorizationRule, trustDomain: string): AuthorizationRuleModel {
  const sources = r.rule.from ?? [];
  const principals = sources.map((s) => principalOf(key, s, trustDomain));
  // A source without fields admits any caller, which makes the whole `from` list match anything.
  const anyCaller = sources.length === 0 || principals.some((p) => p === undefined);
  const operations = r.rule.to ?? [];
  const permissions = operations.map(permissionOf);
  const anyRequest = operations.length === 0 || permissions.some((p) => Object.keys(p).length === 0);
  return {
    name: `${r.document}#${r.index}`,
    layer: r.layer,
    ...(anyCaller ? {} : { principals: principals.filter((p): p is PrincipalModel => p !== undefined) }),
    ...(anyRequest ? {} : { permissions }),
  };
}

function principalOf(key: ServiceKey, source: AuthorizationSource, trustDomain: string): PrincipalModel | undefined {
  const parts: PrincipalModel[] = [];
  if (source.service !== undefined && source.service !== '') {
    const service = normalizeServiceKey(source.service, key);
    const dot = service.indexOf('.');
    parts.push({ exact: spiffeIdOf(trustDomain, service.slice(dot + 1), service.slice(0, dot)) });
  }
  if (source.namespace !== undefined && source.namespace !== '') {
    parts.push({ prefix: source.namespace === '*' ? `spiffe://${trustDomain}/ns/` : `spiffe://${trustDomain}/ns/${source.namespace}/sa/` });
  }
  if (source.spiffeId !== undefined && source.spiffeId !== '') {
    const id = source.spiffeId;
    parts.push(id === '*' ? { prefix: 'spiffe://' } : id.endsWith('*') ? { prefix: id.slice(0, -1) } : { exact: id });
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { allOf: parts };
}

function permissionOf(op: AuthorizationOperation): PermissionModel {
  const paths = op.paths ?? [];
  const pathMatchers: PathMatchModel[] = paths.map((p) => (p.endsWith('*') ? { prefix: p.slice(0, -1) } : { exact: p }));
  // `*` (prefix '') matches every path: the same as no path condition.
  const anyPath = paths.length === 0 || pathMatchers.some((m) => 'prefix' in m && m.prefix === '');
  return {
    ...(anyPath ? {} : { paths: pathMatchers }),
    ...(op.methods && op.methods.length > 0 ? { methods: [...op.methods] } : {}),
    ...(op.ports && op.ports.length > 0 ? { ports: [...op.ports] } : {}),
  };
}

/** A request as authorization sees it: the caller's SPIFFE id ('' for plaintext), path, method and service port. */
export interface AuthorizationRequest {
  readonly principal: string;
  readonly path: string;
  readonly method: string;
  readonly port: number;
}

/** The reference semantics (what the RBAC filters must implement): the deciding rule, or why not. */
export function authorize(model: AuthorizationModel | undefined, request: AuthorizationRequest): { readonly allowed: boolean; readonly rule?: string } {
  if (!model) return { allowed: true };
  const denied = model.deny.find((r) => ruleMatches(r, request));
  if (denied) return { allowed: false, rule: denied.name };
  if (!model.hasAllowPolicies) return { allowed: true };
  const allowed = model.allow.find((r) => ruleMatches(r, request));
  return allowed ? { allowed: true, rule: allowed.name } : { allowed: false };
}

/** True when `rule` matches `request` (a principal and a permission match). */
export function ruleMatches(rule: AuthorizationRuleModel, request: AuthorizationRequest): boolean {
  const caller = rule.principals === undefined || rule.principals.some((p) => principalMatches(p, request.principal));
  const operation = rule.permissions === undefined || rule.permissions.some((p) => permissionMatches(p, request));
  return caller && operation;
}

function principalMatches(p: PrincipalModel, id: string): boolean {
  if (id === '') return false;
  if ('allOf' in p) return p.allOf.every((q) => principalMatches(q, id));
  return 'exact' in p ? id === p.exact : id.startsWith(p.prefix);
}

function permissionMatches(p: PermissionModel, request: AuthorizationRequest): boolean {
  const path = p.paths === undefined || p.paths.some((m) => ('exact' in m ? request.path === m.exact : request.path.startsWith(m.prefix)));
  const method = p.methods === undefined || p.methods.includes(request.method);
  const port = p.ports === undefined || p.ports.includes(request.port);
  return path && method && port;
}
