/** AuthorizationPolicy parsing: valid team and platform policies, a table of bad ones, fuzzing, references. */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkReferences, parseConfigFiles } from '../../../src/config/parse/index.ts';
import type { AuthorizationPolicyDocument, ConfigDocument } from '../../../src/config/types.ts';
import { errors, parseOne } from './helpers.ts';

/** An AuthorizationPolicy whose spec body starts at line 5 (give it indented by two spaces). */
function authzDoc(spec: string, metadata = '{name: reviews-callers, namespace: bookinfo}'): string {
  return `apiVersion: trellis.dev/v1alpha1\nkind: AuthorizationPolicy\nmetadata: ${metadata}\nspec:\n${spec}`;
}
const TEAM = '  target: {service: reviews}\n  action: ALLOW\n'; // lines 5-6
const PLATFORM_META = '{name: deny-legacy}';
const PLATFORM = '  scope: {namespaces: ["*"]}\n  action: DENY\n'; // lines 5-6

function only(text: string): AuthorizationPolicyDocument {
  const result = parseOne(text, 'authz.yaml');
  expect(errors(result.diagnostics)).toEqual([]);
  const doc = result.documents[0];
  if (doc?.kind !== 'AuthorizationPolicy') throw new Error(`expected an AuthorizationPolicy, got ${doc?.kind ?? 'nothing'}`);
  return doc;
}

describe('valid AuthorizationPolicies', () => {
  it('a team policy: namespaced id, target, rules with every source and operation form', () => {
    const doc = only(authzDoc(`${TEAM}  rules:
    - from: [{service: productpage.bookinfo}, {namespace: ops}, {spiffeId: "spiffe://trellis.local/ns/batch/*"}]
      to: [{paths: [/reviews/*, /healthz], methods: [GET, POST], ports: [9080]}]
    - {}
`));
    expect(doc.id).toBe('AuthorizationPolicy/bookinfo/reviews-callers');
    expect(doc.namespace).toBe('bookinfo');
    expect(doc.spec).toEqual({
      target: { service: 'reviews' },
      action: 'ALLOW',
      rules: [
        {
          from: [{ service: 'productpage.bookinfo' }, { namespace: 'ops' }, { spiffeId: 'spiffe://trellis.local/ns/batch/*' }],
          to: [{ paths: ['/reviews/*', '/healthz'], methods: ['GET', 'POST'], ports: [9080] }],
        },
        {},
      ],
    });
    expect(doc.lines['spec.rules[1]']).toBe(10);
  });

  it('a platform policy: cluster-scoped id, scope, no namespace', () => {
    const doc = only(authzDoc(`${PLATFORM}  rules: [{from: [{spiffeId: "spiffe://trellis.local/ns/legacy/sa/old"}]}]\n`, PLATFORM_META));
    expect(doc.id).toBe('AuthorizationPolicy/deny-legacy');
    expect(doc.namespace).toBeUndefined();
    expect(doc.spec).toEqual({ scope: { namespaces: ['*'] }, action: 'DENY', rules: [{ from: [{ spiffeId: 'spiffe://trellis.local/ns/legacy/sa/old' }] }] });
  });

  it('a team and a platform policy of the same name are different documents', () => {
    const result = parseConfigFiles([{
      name: 'two.yaml',
      text: `${authzDoc(`${TEAM}  rules: [{}]\n`, '{name: same, namespace: bookinfo}')}---\n${authzDoc(`${PLATFORM}  rules: [{}]\n`, '{name: same}')}`,
    }]);
    expect(errors(result.diagnostics)).toEqual([]);
    expect(result.documents.map((d) => d.id)).toEqual(['AuthorizationPolicy/bookinfo/same', 'AuthorizationPolicy/same']);
  });
});

interface BadCase {
  readonly name: string;
  readonly text: string;
  readonly field: string;
  readonly line: number;
  readonly message: RegExp;
}

const RULES = '  rules: [{}]\n';
const cases: BadCase[] = [
  { name: 'team policy without target', text: authzDoc(`  action: ALLOW\n${RULES}`), field: 'spec', line: 4, message: /needs target: \{service: NAME\} \(a service of namespace bookinfo\)/ },
  { name: 'team policy with a scope', text: authzDoc(`${TEAM}${RULES}  scope: {namespaces: [bookinfo]}\n`), field: 'spec.scope', line: 8, message: /namespaced \(team\) AuthorizationPolicy guards one service: use spec\.target\.service/ },
  { name: 'platform policy without scope', text: authzDoc(`  action: DENY\n${RULES}`, PLATFORM_META), field: 'spec', line: 4, message: /cluster-scoped AuthorizationPolicy needs scope/ },
  { name: 'platform policy with a target', text: authzDoc(`${PLATFORM}${RULES}  target: {service: reviews}\n`, PLATFORM_META), field: 'spec.target', line: 8, message: /spec\.target needs metadata\.namespace/ },
  { name: 'target naming another namespace', text: authzDoc('  target: {service: reviews.other}\n  action: ALLOW\n' + RULES), field: 'spec.target.service', line: 5, message: /name in the policy's namespace.*write the policy in that namespace/ },
  { name: 'target not a DNS label', text: authzDoc('  target: {service: Reviews}\n  action: ALLOW\n' + RULES), field: 'spec.target.service', line: 5, message: /target\.service must be a DNS label/ },
  { name: 'action missing', text: authzDoc('  target: {service: reviews}\n' + RULES), field: 'spec', line: 4, message: /action is required: ALLOW or DENY/ },
  { name: 'action misspelled', text: authzDoc('  target: {service: reviews}\n  action: ALOW\n' + RULES), field: 'spec.action', line: 6, message: /one of ALLOW, DENY.*did you mean "ALLOW"/ },
  { name: 'rules missing', text: authzDoc(TEAM), field: 'spec', line: 4, message: /rules is required: a non-empty list/ },
  { name: 'rules empty', text: authzDoc(`${TEAM}  rules: []\n`), field: 'spec.rules', line: 7, message: /rules must not be empty \(use \[\{\}\] to match every request\)/ },
  { name: 'unknown rule field with hint', text: authzDoc(`${TEAM}  rules:\n    - form: [{namespace: ops}]\n`), field: 'spec.rules[0].form', line: 8, message: /unknown field "form" \(did you mean "from"\?\)/ },
  { name: 'source with two kinds', text: authzDoc(`${TEAM}  rules:\n    - from: [{namespace: ops, service: a.ops}]\n`), field: 'spec.rules[0].from[0]', line: 8, message: /exactly one of service \(name\.namespace\), namespace, spiffeId; got service and namespace/ },
  { name: 'source with none', text: authzDoc(`${TEAM}  rules:\n    - from: [{}]\n`), field: 'spec.rules[0].from[0]', line: 8, message: /exactly one of .*got none/ },
  { name: 'source service without namespace', text: authzDoc(`${TEAM}  rules:\n    - from: [{service: productpage}]\n`), field: 'spec.rules[0].from[0].service', line: 8, message: /name\.namespace.*got the string "productpage"/ },
  { name: 'source namespace not a label', text: authzDoc(`${TEAM}  rules:\n    - from: [{namespace: Ops}]\n`), field: 'spec.rules[0].from[0].namespace', line: 8, message: /namespace must be a DNS label/ },
  { name: 'spiffeId without scheme', text: authzDoc(`${TEAM}  rules:\n    - from: [{spiffeId: trellis.local/ns/a/sa/b}]\n`), field: 'spec.rules[0].from[0].spiffeId', line: 8, message: /starting with spiffe:\/\// },
  { name: 'spiffeId star in the middle', text: authzDoc(`${TEAM}  rules:\n    - from: [{spiffeId: "spiffe://trellis.local/ns/*/sa/b"}]\n`), field: 'spec.rules[0].from[0].spiffeId', line: 8, message: /"\*" may only end a SPIFFE id/ },
  { name: 'spiffeId without path', text: authzDoc(`${TEAM}  rules:\n    - from: [{spiffeId: "spiffe://trellis.local"}]\n`), field: 'spec.rules[0].from[0].spiffeId', line: 8, message: /spiffe:\/\/<trust-domain>\/<path>/ },
  { name: 'empty from list', text: authzDoc(`${TEAM}  rules:\n    - from: []\n`), field: 'spec.rules[0].from', line: 8, message: /empty from list matches nothing; leave from out/ },
  { name: 'empty operation', text: authzDoc(`${TEAM}  rules:\n    - to: [{}]\n`), field: 'spec.rules[0].to[0]', line: 8, message: /at least one of paths, methods, ports/ },
  { name: 'path without slash', text: authzDoc(`${TEAM}  rules:\n    - to: [{paths: [reviews]}]\n`), field: 'spec.rules[0].to[0].paths[0]', line: 8, message: /starting with "\/".*got the string "reviews"/ },
  { name: 'path star in the middle', text: authzDoc(`${TEAM}  rules:\n    - to: [{paths: ["/a/*/b"]}]\n`), field: 'spec.rules[0].to[0].paths[0]', line: 8, message: /prefix ending in "\*"/ },
  { name: 'lowercase method', text: authzDoc(`${TEAM}  rules:\n    - to: [{methods: [get]}]\n`), field: 'spec.rules[0].to[0].methods[0]', line: 8, message: /write it upper case: "GET"/ },
  { name: 'unknown method', text: authzDoc(`${TEAM}  rules:\n    - to: [{methods: [GRPC]}]\n`), field: 'spec.rules[0].to[0].methods[0]', line: 8, message: /HTTP method .*gRPC calls are POST/ },
  { name: 'port out of range', text: authzDoc(`${TEAM}  rules:\n    - to: [{ports: [0]}]\n`), field: 'spec.rules[0].to[0].ports[0]', line: 8, message: /port 1\.\.65535, got 0/ },
  { name: 'port listed twice', text: authzDoc(`${TEAM}  rules:\n    - to: [{ports: [80, 80]}]\n`), field: 'spec.rules[0].to[0].ports[1]', line: 8, message: /port 80 is listed twice/ },
  { name: 'port as a string', text: authzDoc(`${TEAM}  rules:\n    - to: [{ports: ["80"]}]\n`), field: 'spec.rules[0].to[0].ports[0]', line: 8, message: /port 1\.\.65535, got the string "80"/ },
  { name: 'namespace not a DNS label', text: authzDoc(`${TEAM}${RULES}`, '{name: a, namespace: Book_Info}'), field: 'metadata.namespace', line: 3, message: /metadata\.namespace must be a DNS label/ },
  { name: 'rules not a list', text: authzDoc(`${TEAM}  rules: {from: []}\n`), field: 'spec.rules', line: 7, message: /expected rules \(a list\), got a mapping/ },
];

describe('bad AuthorizationPolicies', () => {
  it.each(cases)('$name', ({ text, field, line, message }) => {
    const result = parseOne(text);
    const found = errors(result.diagnostics);
    expect(result.documents).toEqual([]);
    const hit = found.find((d) => d.field === field && message.test(d.message));
    expect(hit, `no error at ${field} matching ${String(message)}; got ${JSON.stringify(found)}`).toBeDefined();
    expect(hit?.source).toBe(`bad.yaml:${line}`);
  });

  it('has at least 15 rows', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });
});

describe('AuthorizationPolicy fuzzing', () => {
  const jsonish = fc.jsonValue({ maxDepth: 4 });
  it('never throws and always names file:line, whatever the spec, rules or metadata hold', () => {
    fc.assert(fc.property(jsonish, jsonish, fc.option(fc.constantFrom('bookinfo', 'Bad', ''), { nil: undefined }), (spec, rules, namespace) => {
      const metadata = namespace === undefined ? { name: 'p' } : { name: 'p', namespace };
      for (const body of [spec, { target: { service: 'reviews' }, scope: { namespaces: ['*'] }, action: 'ALLOW', rules }, { scope: { namespaces: ['*'] }, action: 'DENY', rules: [{ from: rules, to: rules }] }]) {
        const text = stringify({ apiVersion: 'trellis.dev/v1alpha1', kind: 'AuthorizationPolicy', metadata, spec: body });
        const result = parseConfigFiles([{ name: 'f.yaml', text }]);
        const lineCount = text.split('\n').length;
        for (const d of result.diagnostics) {
          const line = Number(/^f\.yaml:(\d+)$/.exec(d.source ?? '')?.[1]);
          expect(line).toBeGreaterThanOrEqual(1);
          expect(line).toBeLessThanOrEqual(lineCount);
        }
        // A document comes out only when nothing is wrong with it.
        if (result.documents.length > 0) expect(errors(result.diagnostics)).toEqual([]);
      }
    }), { numRuns: 300 });
  });
});

describe('AuthorizationPolicy references', () => {
  function snapshot(docs: readonly ConfigDocument[]): { revision: number; documents: Map<string, ConfigDocument> } {
    return { revision: 1, documents: new Map(docs.map((d) => [d.id, d])) };
  }

  it('unknown targets, from services and scope services are errors at their line; known ones pass', () => {
    const result = parseConfigFiles([{
      name: 'authz.yaml',
      text: `${authzDoc(`  target: {service: reviwes}\n  action: ALLOW\n  rules:\n    - from: [{service: productpage.bookinfo}, {service: ghost.bookinfo}]\n`)}---\n` +
        authzDoc(`  scope: {services: [ratings.bookinfo]}\n  action: DENY\n${RULES}`, PLATFORM_META),
    }]);
    expect(errors(result.diagnostics)).toEqual([]);
    const diagnostics = checkReferences(snapshot(result.documents), new Set(['reviews.bookinfo', 'productpage.bookinfo']));
    expect(diagnostics.map((d) => [d.field, d.source])).toEqual([
      ['spec.target.service', 'authz.yaml:5'],
      ['spec.rules[0].from[1].service', 'authz.yaml:8'],
      ['spec.scope.services[0]', 'authz.yaml:14'],
    ]);
    expect(diagnostics[0]?.message).toMatch(/unknown service "reviwes\.bookinfo" \(did you mean "reviews\.bookinfo"\?\)/);
    expect(checkReferences(snapshot(result.documents), new Set(['reviews.bookinfo', 'reviwes.bookinfo', 'productpage.bookinfo', 'ghost.bookinfo', 'ratings.bookinfo']))).toEqual([]);
  });
});
