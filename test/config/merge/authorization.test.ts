/**
 * Authorization in the config stage: lookup composition (platform and team policies, DENY before
 * ALLOW, memoized), request matching, and the decision rule as properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createConfigLookup, evaluateAuthorization, formatAuthorization, ruleMatches, serviceSpiffeId } from '../../../src/config/merge/index.ts';
import type { AuthorizationRequest } from '../../../src/config/merge/index.ts';
import { parseConfigFiles } from '../../../src/config/parse/index.ts';
import type { AuthorizationRule, ConfigDocument, ConfigSnapshot, EffectiveAuthorization, EffectiveAuthorizationRule } from '../../../src/config/types.ts';

function snapshotOf(yaml: string, revision = 1): ConfigSnapshot {
  const parsed = parseConfigFiles([{ name: 'authz.yaml', text: yaml }]);
  const bad = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (bad.length > 0) throw new Error(JSON.stringify(bad));
  return { revision, documents: new Map(parsed.documents.map((d: ConfigDocument) => [d.id, d])) };
}

const header = (kind: string, metadata: string): string => `apiVersion: trellis.dev/v1alpha1\nkind: ${kind}\nmetadata: ${metadata}\n`;
const TEAM_ALLOW = `${header('AuthorizationPolicy', '{name: reviews-allow, namespace: bookinfo}')}spec:
  target: {service: reviews}
  action: ALLOW
  rules:
    - from: [{service: productpage.bookinfo}]
    - from: [{namespace: ops}]
      to: [{methods: [GET]}]
`;
const TEAM_DENY = `${header('AuthorizationPolicy', '{name: reviews-deny, namespace: bookinfo}')}spec:
  target: {service: reviews}
  action: DENY
  rules: [{to: [{paths: [/admin/*]}]}]
`;
const PLATFORM_DENY = `${header('AuthorizationPolicy', '{name: no-legacy}')}spec:
  scope: {namespaces: [bookinfo]}
  action: DENY
  rules: [{from: [{service: productpage.bookinfo}], to: [{paths: [/internal/*]}]}]
`;
const OTHER_TEAM = `${header('AuthorizationPolicy', '{name: ratings-allow, namespace: bookinfo}')}spec:
  target: {service: ratings}
  action: ALLOW
  rules: [{}]
`;
const ELSEWHERE = `${header('AuthorizationPolicy', '{name: payments-only}')}spec:
  scope: {services: [checkout.payments]}
  action: DENY
  rules: [{}]
`;
const ALL = [TEAM_ALLOW, TEAM_DENY, PLATFORM_DENY, OTHER_TEAM, ELSEWHERE].join('---\n');

describe('createConfigLookup().authorizationFor', () => {
  it('composes platform and team policies: DENY rules first (platform, then team), then ALLOW; only policies guarding the service', () => {
    const auth = createConfigLookup(snapshotOf(ALL)).authorizationFor('reviews.bookinfo');
    expect(auth.deny.map((r) => [r.layer, r.document, r.index])).toEqual([
      ['platform', 'AuthorizationPolicy/no-legacy', 0],
      ['team', 'AuthorizationPolicy/bookinfo/reviews-deny', 0],
    ]);
    expect(auth.allow.map((r) => [r.layer, r.document, r.index])).toEqual([
      ['team', 'AuthorizationPolicy/bookinfo/reviews-allow', 0],
      ['team', 'AuthorizationPolicy/bookinfo/reviews-allow', 1],
    ]);
    expect(auth.hasAllowPolicies).toBe(true);
    // The ALLOW policy's second rule starts on line 9 of the file (its `- from:` item).
    expect(auth.allow[1]?.source).toEqual({ file: 'authz.yaml', line: 9 });
    // TEAM_ALLOW is lines 1-10, `---` 11, TEAM_DENY 12-18, `---` 19, PLATFORM_DENY 20-26 (rules on 26).
    expect(auth.deny[0]?.source.line).toBe(26);
  });

  it('a service no policy guards gets empty lists and admits everyone', () => {
    const auth = createConfigLookup(snapshotOf(ALL)).authorizationFor('details.other');
    expect(auth).toEqual({ deny: [], allow: [], hasAllowPolicies: false });
    expect(evaluateAuthorization(auth, { source: { serviceKey: 'x.y' } }).decision).toBe('ALLOW');
  });

  it('platform deny beats team allow', () => {
    const auth = createConfigLookup(snapshotOf(ALL)).authorizationFor('reviews.bookinfo');
    const from = { serviceKey: 'productpage.bookinfo' };
    const allowed = evaluateAuthorization(auth, { source: from, path: '/reviews/1', method: 'GET', port: 9080 });
    expect(allowed.decision).toBe('ALLOW');
    expect(allowed.matched?.document).toBe('AuthorizationPolicy/bookinfo/reviews-allow');
    const denied = evaluateAuthorization(auth, { source: from, path: '/internal/x', method: 'GET' });
    expect(denied.decision).toBe('DENY');
    expect(denied.matched?.document).toBe('AuthorizationPolicy/no-legacy');
    expect(denied.reason).toMatch(/^denied by platform DENY rule #0 of AuthorizationPolicy\/no-legacy \(authz\.yaml:26\)$/);
  });

  it('team deny beats team allow; an unmatched caller is denied under ALLOW policies', () => {
    const auth = createConfigLookup(snapshotOf(ALL)).authorizationFor('reviews.bookinfo');
    expect(evaluateAuthorization(auth, { source: { serviceKey: 'productpage.bookinfo' }, path: '/admin/users' }).matched?.document)
      .toBe('AuthorizationPolicy/bookinfo/reviews-deny');
    const ops = { spiffeId: 'spiffe://trellis.local/ns/ops/sa/backup' };
    expect(evaluateAuthorization(auth, { source: ops, method: 'GET', path: '/r' }).decision).toBe('ALLOW');
    const post = evaluateAuthorization(auth, { source: ops, method: 'POST', path: '/r' });
    expect(post.decision).toBe('DENY');
    expect(post.matched).toBeUndefined();
    expect(post.reason).toMatch(/no ALLOW rule matches \(2 ALLOW rules guard the service/);
  });

  it('memoizes per key and reuses the previous revision\'s object when the guarding documents are the same objects', () => {
    const first = snapshotOf(ALL, 1);
    const lookup = createConfigLookup(first);
    const reviews = lookup.authorizationFor('reviews.bookinfo');
    expect(lookup.authorizationFor('reviews.bookinfo')).toBe(reviews);
    // Revision 2 changes only the ratings policy: reviews keeps its object, ratings gets a new one.
    const changed = snapshotOf(OTHER_TEAM.replace('rules: [{}]', 'rules: [{from: [{namespace: ops}]}]'), 2);
    const documents = new Map(first.documents);
    for (const [id, doc] of changed.documents) documents.set(id, doc);
    const next = createConfigLookup({ revision: 2, documents }, lookup);
    const ratingsBefore = lookup.authorizationFor('ratings.bookinfo');
    expect(next.authorizationFor('reviews.bookinfo')).toBe(reviews);
    expect(next.authorizationFor('ratings.bookinfo')).not.toBe(ratingsBefore);
    expect(next.authorizationFor('ratings.bookinfo').allow[0]?.rule).toEqual({ from: [{ namespace: 'ops' }] });
  });

  it('formats the rules guarding a service as a table in evaluation order', () => {
    const text = formatAuthorization(createConfigLookup(snapshotOf(ALL)).authorizationFor('reviews.bookinfo'));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ACTION\s+LAYER\s+POLICY\s+RULE\s+FROM\s+TO$/);
    expect(lines[1]).toMatch(/^DENY\s+platform\s+AuthorizationPolicy\/no-legacy \(authz\.yaml:26\)\s+#0\s+service productpage\.bookinfo\s+paths \[\/internal\/\*\]$/);
    expect(lines[4]).toMatch(/^ALLOW\s+team .*#1\s+namespace ops\s+methods \[GET\]$/);
    expect(lines[5]).toBe('callers no ALLOW rule matches are denied (ALLOW policies guard this service)');
  });
});

describe('rule matching', () => {
  const td = 'trellis.local';
  const req = (spiffeId: string | undefined, extra: Omit<AuthorizationRequest, 'source'> = {}): AuthorizationRequest =>
    ({ source: spiffeId === undefined ? {} : { spiffeId }, ...extra });
  const cases: Array<[string, AuthorizationRule, AuthorizationRequest, boolean]> = [
    ['empty rule matches anyone, even without identity', {}, req(undefined), true],
    ['service source by its SPIFFE id', { from: [{ service: 'a.ns1' }] }, req('spiffe://trellis.local/ns/ns1/sa/a'), true],
    ['service source: other service', { from: [{ service: 'a.ns1' }] }, req('spiffe://trellis.local/ns/ns1/sa/ab'), false],
    ['service source: other trust domain', { from: [{ service: 'a.ns1' }] }, req('spiffe://other.org/ns/ns1/sa/a'), false],
    ['namespace source', { from: [{ namespace: 'ns1' }] }, req('spiffe://trellis.local/ns/ns1/sa/z'), true],
    ['namespace source is not a name prefix', { from: [{ namespace: 'ns1' }] }, req('spiffe://trellis.local/ns/ns10/sa/z'), false],
    ['spiffeId prefix', { from: [{ spiffeId: 'spiffe://other.org/*' }] }, req('spiffe://other.org/x'), true],
    ['spiffeId exact', { from: [{ spiffeId: 'spiffe://other.org/x' }] }, req('spiffe://other.org/xy'), false],
    ['no identity matches no source', { from: [{ namespace: 'ns1' }] }, req(undefined), false],
    ['path prefix', { to: [{ paths: ['/api/*'] }] }, req(undefined, { path: '/api/v1' }), true],
    ['path prefix does not match its parent', { to: [{ paths: ['/api/*'] }] }, req(undefined, { path: '/api' }), false],
    ['exact path', { to: [{ paths: ['/a'] }] }, req(undefined, { path: '/a/' }), false],
    ['all fields of one operation must match', { to: [{ methods: ['GET'], ports: [80] }] }, req(undefined, { method: 'GET', port: 81 }), false],
    ['any operation may match', { to: [{ methods: ['GET'] }, { ports: [81] }] }, req(undefined, { method: 'POST', port: 81 }), true],
    ['an attribute left out matches no constraint on it', { to: [{ paths: ['/*'] }] }, req(undefined), false],
  ];
  it.each(cases)('%s', (_name, rule, request, expected) => {
    expect(ruleMatches(rule, request, td)).toBe(expected);
  });

  it('maps a service to spiffe://<td>/ns/<ns>/sa/<name>, with the trust domain as a parameter', () => {
    expect(serviceSpiffeId('productpage.bookinfo')).toBe('spiffe://trellis.local/ns/bookinfo/sa/productpage');
    expect(serviceSpiffeId('productpage.bookinfo', 'corp.example')).toBe('spiffe://corp.example/ns/bookinfo/sa/productpage');
    const auth: EffectiveAuthorization = { deny: [effective('DENY', { from: [{ service: 'a.b' }] })], allow: [], hasAllowPolicies: false };
    expect(evaluateAuthorization(auth, { source: { serviceKey: 'a.b' } }, 'corp.example').decision).toBe('DENY');
  });

  it('notes rules it could not decide because the request left out what they constrain', () => {
    const auth: EffectiveAuthorization = { deny: [effective('DENY', { to: [{ paths: ['/admin/*'] }] })], allow: [], hasAllowPolicies: false };
    const result = evaluateAuthorization(auth, { source: { serviceKey: 'a.b' } });
    expect(result.decision).toBe('ALLOW');
    expect(result.undetermined).toEqual([auth.deny[0]]);
  });
});

// ---- properties -----------------------------------------------------------------------------

function effective(action: 'ALLOW' | 'DENY', rule: AuthorizationRule, index = 0): EffectiveAuthorizationRule {
  return { action, layer: 'team', document: `AuthorizationPolicy/ns/p-${action}`, source: { file: 'p.yaml', line: 1 + index }, index, rule };
}

const NAMESPACES = ['ns1', 'ns2'];
const NAMES = ['a', 'b'];
const ids = NAMESPACES.flatMap((ns) => NAMES.map((n) => `spiffe://trellis.local/ns/${ns}/sa/${n}`));
const sourceArb = fc.oneof(
  fc.record({ service: fc.constantFrom(...NAMESPACES.flatMap((ns) => NAMES.map((n) => `${n}.${ns}`))) }),
  fc.record({ namespace: fc.constantFrom(...NAMESPACES) }),
  fc.record({ spiffeId: fc.constantFrom(...ids, 'spiffe://trellis.local/ns/ns1/*', 'spiffe://other.org/*') }),
);
const operationArb = fc.record({
  paths: fc.uniqueArray(fc.constantFrom('/x', '/y', '/x/*', '/*'), { minLength: 1, maxLength: 2 }),
  methods: fc.uniqueArray(fc.constantFrom('GET', 'POST'), { minLength: 1, maxLength: 2 }),
  ports: fc.uniqueArray(fc.constantFrom(80, 81), { minLength: 1, maxLength: 2 }),
}, { requiredKeys: [] }).filter((op) => Object.keys(op).length > 0);
const ruleArb: fc.Arbitrary<AuthorizationRule> = fc.record({
  from: fc.array(sourceArb, { minLength: 1, maxLength: 2 }),
  to: fc.array(operationArb, { minLength: 1, maxLength: 2 }),
}, { requiredKeys: [] });
const requestArb: fc.Arbitrary<AuthorizationRequest> = fc.record({
  source: fc.record({ spiffeId: fc.constantFrom(...ids, 'spiffe://other.org/w') }),
  path: fc.constantFrom('/x', '/y', '/x/1', '/z'),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  port: fc.constantFrom(80, 81, 82),
});
const rulesArb = (action: 'ALLOW' | 'DENY'): fc.Arbitrary<EffectiveAuthorizationRule[]> =>
  fc.array(ruleArb, { maxLength: 4 }).map((rules) => rules.map((r, i) => effective(action, r, i)));
/** A rule built to match `request` exactly (so it is known to match without asking the matcher). */
const matchingRule = (request: AuthorizationRequest): AuthorizationRule => ({
  from: [{ spiffeId: request.source.spiffeId ?? '' }],
  to: [{ paths: [request.path ?? ''], methods: [request.method ?? ''], ports: [request.port ?? 0] }],
});

describe('authorization decision properties', () => {
  it('a DENY matching the request always wins, whatever ALLOW rules there are', () => {
    fc.assert(fc.property(requestArb, rulesArb('DENY'), rulesArb('ALLOW'), fc.boolean(), fc.nat(4), (request, denies, allows, hasAllow, at) => {
      const deny = [...denies];
      deny.splice(Math.min(at, deny.length), 0, effective('DENY', matchingRule(request), 99));
      // Add an ALLOW that matches too: it must still lose.
      const allow = [effective('ALLOW', matchingRule(request), 98), ...allows];
      const result = evaluateAuthorization({ deny, allow, hasAllowPolicies: hasAllow || allow.length > 0 }, request);
      expect(result.decision).toBe('DENY');
      expect(result.matched?.action).toBe('DENY');
    }), { numRuns: 300 });
  });

  it('with no ALLOW policies, a request no DENY matches is admitted', () => {
    fc.assert(fc.property(requestArb, rulesArb('DENY'), (request, denies) => {
      const unmatched = denies.filter((d) => !ruleMatches(d.rule, request));
      const result = evaluateAuthorization({ deny: unmatched, allow: [], hasAllowPolicies: false }, request);
      expect(result.decision).toBe('ALLOW');
      expect(result.matched).toBeUndefined();
    }), { numRuns: 300 });
  });

  it('with ALLOW policies, a request no rule matches is denied; a matching ALLOW admits it', () => {
    fc.assert(fc.property(requestArb, rulesArb('DENY'), rulesArb('ALLOW'), (request, denies, allows) => {
      const deny = denies.filter((d) => !ruleMatches(d.rule, request));
      const allow = allows.filter((a) => !ruleMatches(a.rule, request));
      const auth = { deny, allow, hasAllowPolicies: true };
      expect(evaluateAuthorization(auth, request).decision).toBe('DENY');
      const admitted = evaluateAuthorization({ ...auth, allow: [...allow, effective('ALLOW', matchingRule(request), 97)] }, request);
      expect(admitted.decision).toBe('ALLOW');
      expect(admitted.matched?.index).toBe(97);
    }), { numRuns: 300 });
  });

  it('the decision is the documented combination of rule matches', () => {
    fc.assert(fc.property(requestArb, rulesArb('DENY'), rulesArb('ALLOW'), fc.boolean(), (request, deny, allow, hasAllow) => {
      const anyDeny = deny.some((d) => ruleMatches(d.rule, request));
      const anyAllow = allow.some((a) => ruleMatches(a.rule, request));
      const expected = anyDeny ? 'DENY' : !hasAllow ? 'ALLOW' : anyAllow ? 'ALLOW' : 'DENY';
      expect(evaluateAuthorization({ deny, allow, hasAllowPolicies: hasAllow }, request).decision).toBe(expected);
    }), { numRuns: 300 });
  });
});
