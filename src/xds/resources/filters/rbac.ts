/**
 * Authorization (`envoy.filters.http.rbac`) on the serving side: a sidecar's inbound HCM and a
 * proxyless gRPC server's HCM (gRFC A41; the server process needs GRPC_XDS_EXPERIMENTAL_RBAC=true
 * or grpc-js-xds NACKs the Listener). Two filters, in this order:
 * - `envoy.filters.http.rbac/deny` (action DENY) with the deny rules, only when there are some;
 * - `envoy.filters.http.rbac/allow` (action ALLOW) with the allow rules, whenever the service has
 *   ALLOW policies, even with no rules in them: an ALLOW filter without policies denies everything,
 *   which is the contract (only a matching allow rule admits).
 * The names differ because gRPC refuses two filters of one name in an HCM.
 *
 * Each rule is a policy named `<document id>#<rule index>`. Principals match the caller's
 * certificate (`authenticated.principal_name`, exact or prefix over the URI SAN SPIFFE id), `any`
 * when the rule names no callers. Permissions: per operation an `and_rules` of `or_rules` over
 * `url_path`, the `:method` header and `destination_port` (single elements unwrapped), `any`
 * when the rule names no operations.
 *
 * Ports: on a gRPC server `destination_port` is the port it serves, as written. A sidecar's
 * inbound listener accepts on 15006 for one application port, so there a port condition is decided
 * when the HCM is built: it holds (dropped) when it lists the application port, else the operation
 * can never match (`not_rule: {any: true}`).
 */
import type { AuthorizationModel, AuthorizationRuleModel, PermissionModel, PrincipalModel } from '../../../model/types.ts';
import { typed, type EnvoyObject } from '../envoy-values.ts';
import type { HttpFilterContext, HttpFilterEntry } from './context.ts';

export const RBAC_TYPE = 'envoy.extensions.filters.http.rbac.v3.RBAC';
export const RBAC_DENY_FILTER_NAME = 'envoy.filters.http.rbac/deny';
export const RBAC_ALLOW_FILTER_NAME = 'envoy.filters.http.rbac/allow';

/** The RBAC Any enforcing `rules` with `action` (see the module comment for ports and `applicationPort`). */
export function buildRbacConfig(action: 'ALLOW' | 'DENY', rules: readonly AuthorizationRuleModel[], applicationPort?: number): EnvoyObject {
  const policies: Record<string, EnvoyObject> = {};
  for (const rule of rules) {
    policies[rule.name] = {
      permissions: rule.permissions ? rule.permissions.map((p) => permission(p, applicationPort)) : [{ any: true }],
      principals: rule.principals ? rule.principals.map(principal) : [{ any: true }],
    };
  }
  return typed(RBAC_TYPE, { rules: { action, policies } });
}

function principal(p: PrincipalModel): EnvoyObject {
  if ('allOf' in p) return p.allOf.length === 1 && p.allOf[0] ? principal(p.allOf[0]) : { and_ids: { ids: p.allOf.map(principal) } };
  return { authenticated: { principal_name: 'exact' in p ? { exact: p.exact } : { prefix: p.prefix } } };
}

const NEVER: EnvoyObject = { not_rule: { any: true } };

function permission(p: PermissionModel, applicationPort: number | undefined): EnvoyObject {
  const parts: EnvoyObject[] = [];
  if (p.paths) parts.push(anyOf(p.paths.map((m) => ({ url_path: { path: 'exact' in m ? { exact: m.exact } : { prefix: m.prefix } } }))));
  if (p.methods) parts.push(anyOf(p.methods.map((m) => ({ header: { name: ':method', string_match: { exact: m } } }))));
  if (p.ports) {
    if (applicationPort === undefined) parts.push(anyOf(p.ports.map((port) => ({ destination_port: port }))));
    else if (!p.ports.includes(applicationPort)) return NEVER;
  }
  if (parts.length === 0) return { any: true };
  return parts.length === 1 && parts[0] ? parts[0] : { and_rules: { rules: parts } };
}

function anyOf(rules: EnvoyObject[]): EnvoyObject {
  return rules.length === 1 && rules[0] ? rules[0] : { or_rules: { rules } };
}

function serving(context: HttpFilterContext): AuthorizationModel | undefined {
  return context.side === 'outbound' ? undefined : context.authorization;
}

/** The DENY filter: inbound / server HCMs of services with deny rules. */
export const rbacDenyFilter: HttpFilterEntry = {
  name: RBAC_DENY_FILTER_NAME,
  build: (context) => {
    const authz = serving(context);
    if (!authz || authz.deny.length === 0) return undefined;
    return { name: RBAC_DENY_FILTER_NAME, typed_config: buildRbacConfig('DENY', authz.deny, context.applicationPort) };
  },
};

/** The ALLOW filter: inbound / server HCMs of services with ALLOW policies. */
export const rbacAllowFilter: HttpFilterEntry = {
  name: RBAC_ALLOW_FILTER_NAME,
  build: (context) => {
    const authz = serving(context);
    if (!authz || !authz.hasAllowPolicies) return undefined;
    return { name: RBAC_ALLOW_FILTER_NAME, typed_config: buildRbacConfig('ALLOW', authz.allow, context.applicationPort) };
  },
};
