/**
 * `trellis explain` for authorization: the rules guarding a service as rows and a text table,
 * and a decision for one request as text.
 */
import type { AuthorizationOperation, AuthorizationRule, AuthorizationSource, EffectiveAuthorization, EffectiveAuthorizationRule } from '../types.ts';
import type { AuthorizationDecision } from './evaluate-authorization.ts';
import { formatSource } from './merge.ts';

/** One rule guarding a service, formatted. */
export interface AuthorizationRow {
  readonly action: 'ALLOW' | 'DENY';
  readonly layer: 'platform' | 'team';
  readonly document: string;
  /** `file:line` of the rule. */
  readonly source: string;
  readonly index: number;
  /** `service reviews.bookinfo, namespace ops` or `any caller`. */
  readonly from: string;
  /** `paths [/api/*] methods [GET]; ports [9080]` or `any request`. */
  readonly to: string;
}

function formatSourceEntry(source: AuthorizationSource): string {
  if (source.service !== undefined) return `service ${source.service}`;
  if (source.namespace !== undefined) return `namespace ${source.namespace}`;
  return `spiffeId ${source.spiffeId ?? ''}`;
}

function formatOperation(op: AuthorizationOperation): string {
  const parts: string[] = [];
  if (op.paths !== undefined) parts.push(`paths [${op.paths.join(', ')}]`);
  if (op.methods !== undefined) parts.push(`methods [${op.methods.join(', ')}]`);
  if (op.ports !== undefined) parts.push(`ports [${op.ports.join(', ')}]`);
  return parts.join(' ');
}

/** `from` and `to` of a rule as short text. */
export function formatRule(rule: AuthorizationRule): { from: string; to: string } {
  return {
    from: rule.from === undefined ? 'any caller' : rule.from.map(formatSourceEntry).join(', '),
    to: rule.to === undefined ? 'any request' : rule.to.map(formatOperation).join('; '),
  };
}

function row(rule: EffectiveAuthorizationRule): AuthorizationRow {
  return { action: rule.action, layer: rule.layer, document: rule.document, source: formatSource(rule.source) ?? '', index: rule.index, ...formatRule(rule.rule) };
}

/** Rows in evaluation order: DENY rules (platform, then team), then ALLOW rules. */
export function authorizationRows(auth: EffectiveAuthorization): AuthorizationRow[] {
  return [...auth.deny.map(row), ...auth.allow.map(row)];
}

/**
 * The rules as a text table (ACTION, LAYER, POLICY, RULE, FROM, TO) with one line saying what
 * happens to callers no rule matches.
 */
export function formatAuthorization(auth: EffectiveAuthorization): string {
  const rows = authorizationRows(auth);
  const fallback = auth.hasAllowPolicies
    ? 'callers no ALLOW rule matches are denied (ALLOW policies guard this service)'
    : 'callers no DENY rule matches are admitted (no ALLOW policy guards this service)';
  if (rows.length === 0) return 'no authorization policy guards this service: every caller is admitted\n';
  const header = ['ACTION', 'LAYER', 'POLICY', 'RULE', 'FROM', 'TO'];
  const lines = rows.map((r) => [r.action, r.layer, `${r.document} (${r.source})`, `#${r.index}`, r.from, r.to]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('   ').trimEnd();
  return [render(header), ...lines.map(render), fallback].join('\n').concat('\n');
}

/** A decision as text: `ALLOW: allowed by team ALLOW rule #0 of ... (file:line)` plus notes on undetermined rules. */
export function formatDecision(decision: AuthorizationDecision): string {
  const lines = [`${decision.decision}: ${decision.reason}`];
  for (const rule of decision.undetermined) {
    const { to } = formatRule(rule.rule);
    lines.push(`  note: ${rule.layer} ${rule.action} rule #${rule.index} of ${rule.document} (${formatSource(rule.source) ?? ''}) ` +
      `applies to this caller only for ${to}; give --path/--method/--port to check it`);
  }
  return lines.join('\n').concat('\n');
}
