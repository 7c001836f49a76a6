/**
 * The authorization part of explain: the rules guarding a service, and the decision for one
 * caller (`--from name.namespace` or a SPIFFE id, optionally `--path`, `--method`, `--port`).
 */
import { DEFAULT_TRUST_DOMAIN } from '../../ca/types.ts';
import type { ServiceKey } from '../../registry/types.ts';
import { authorizationIndexed, authorizationRows, evaluateAuthorization, formatAuthorization, formatDecision, indexSnapshot, serviceSpiffeId } from '../merge/index.ts';
import { closest } from '../parse/did-you-mean.ts';
import { isServiceKey } from '../parse/checker.ts';
import type { ConfigSnapshot, EffectiveAuthorization } from '../types.ts';
import type { AuthorizationExplain, DecisionExplain, ExplainRequest, Rejection } from './types.ts';

/** The EffectiveAuthorization of `service` at `snapshot`, and its explain form. */
export function explainAuthorization(snapshot: ConfigSnapshot, service: ServiceKey): { effective: EffectiveAuthorization; explain: AuthorizationExplain } {
  const effective = authorizationIndexed(service, indexSnapshot(snapshot));
  return {
    effective,
    explain: { hasAllowPolicies: effective.hasAllowPolicies, rules: authorizationRows(effective), text: formatAuthorization(effective) },
  };
}

const invalid = (message: string): Rejection => ({ ok: false, reason: 'invalid', message, diagnostics: [] });

/**
 * The decision for `request` against `auth`. A `from` that is neither a SPIFFE id nor a known
 * `name.namespace` service is refused (invalid, with a did-you-mean for near misses).
 */
export function explainDecision(
  auth: EffectiveAuthorization, request: ExplainRequest, known: ReadonlySet<ServiceKey>, trustDomain: string = DEFAULT_TRUST_DOMAIN,
): { ok: true; explain: DecisionExplain } | Rejection {
  const from = request.from;
  let source: { serviceKey?: ServiceKey; spiffeId: string };
  if (from.startsWith('spiffe://')) source = { spiffeId: from };
  else if (isServiceKey(from)) {
    if (!known.has(from)) {
      const near = closest(from, known);
      return { ok: false, reason: 'not-found', message: `unknown caller service ${from}${near === undefined ? '' : ` (did you mean ${near}?)`}`, diagnostics: [] };
    }
    source = { serviceKey: from, spiffeId: serviceSpiffeId(from, trustDomain) };
  } else return invalid(`from must be a service as name.namespace or a SPIFFE id (spiffe://...), got "${from}"`);
  if (request.path !== undefined && !request.path.startsWith('/')) return invalid(`path must start with "/", got "${request.path}"`);
  if (request.port !== undefined && (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535)) {
    return invalid(`port must be an integer 1..65535, got ${String(request.port)}`);
  }
  const method = request.method?.toUpperCase();
  const decided = evaluateAuthorization(auth, {
    source,
    ...(request.path === undefined ? {} : { path: request.path }),
    ...(method === undefined ? {} : { method }),
    ...(request.port === undefined ? {} : { port: request.port }),
  }, trustDomain);
  const m = decided.matched;
  return {
    ok: true,
    explain: {
      from,
      spiffeId: source.spiffeId,
      decision: decided.decision,
      reason: decided.reason,
      ...(m === undefined ? {} : { matched: { document: m.document, source: `${m.source.file}:${m.source.line}`, index: m.index, action: m.action, layer: m.layer } }),
      text: formatDecision(decided),
    },
  };
}
