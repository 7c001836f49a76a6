import { describe, expect, it } from 'vitest';
import { parseConfigFiles } from '../../../src/config/parse/index.ts';
import { errors, parseOne, policyDoc, serviceDoc } from './helpers.ts';

interface BadCase {
  readonly name: string;
  readonly text: string;
  /** The YAML field path the error must name. */
  readonly field: string;
  readonly line: number;
  /** What the message must say (what is wrong and what is allowed). */
  readonly message: RegExp;
}

// Spec bodies start at line 5 (see helpers): line numbers below are counted from there.
const SUBSETS = '  subsets: {v1: {version: v1}, v2: {version: v2}}\n'; // line 5
const cases: BadCase[] = [
  // ---- document shape ----
  { name: 'wrong apiVersion', text: 'apiVersion: trellis.dev/v1\nkind: ServiceConfig\nmetadata: {name: a}\nspec: {}\n', field: 'apiVersion', line: 1, message: /must be trellis\.dev\/v1alpha1/ },
  { name: 'missing apiVersion', text: 'kind: ServiceConfig\nmetadata: {name: a}\nspec: {}\n', field: '', line: 1, message: /apiVersion is required: trellis\.dev\/v1alpha1/ },
  { name: 'unknown kind', text: 'apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfg\nmetadata: {name: a}\nspec: {}\n', field: 'kind', line: 2, message: /one of ServiceConfig, PlatformPolicy.*did you mean "ServiceConfig"/ },
  { name: 'document is a list', text: '- a\n- b\n', field: '', line: 1, message: /expected a config document.*got a list/ },
  { name: 'unknown top-level field', text: 'apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfig\nmetadata: {name: a}\nspec: {}\nstatus: {}\n', field: 'status', line: 5, message: /unknown field "status".*allowed fields: apiVersion, kind, metadata, spec/ },
  { name: 'name not a DNS label', text: serviceDoc('  protocol: http\n', '{name: Reviews_1, namespace: bookinfo}'), field: 'metadata.name', line: 3, message: /DNS label.*got the string "Reviews_1"/ },
  { name: 'namespace not a DNS label', text: serviceDoc('  protocol: http\n', '{name: reviews, namespace: "-x"}'), field: 'metadata.namespace', line: 3, message: /DNS label/ },
  { name: 'metadata without name', text: serviceDoc('  protocol: http\n', '{namespace: bookinfo}'), field: 'metadata', line: 3, message: /metadata\.name is required/ },
  { name: 'policy with a namespace', text: policyDoc('  scope: {namespaces: ["*"]}\n', '{name: p, namespace: bookinfo}'), field: 'metadata.namespace', line: 3, message: /PlatformPolicy has no namespace.*spec\.scope\.namespaces/ },
  { name: 'spec is a string', text: serviceDoc('  nope\n'), field: 'spec', line: 4, message: /expected a ServiceConfig spec.*got the string "nope"/ },
  // ---- settings ----
  { name: 'unknown field with hint', text: serviceDoc('  timout: 2s\n'), field: 'spec.timout', line: 5, message: /unknown field "timout" \(did you mean "timeout"\?\); allowed fields: protocol,/ },
  { name: 'protocol not in enum', text: serviceDoc('  protocol: https\n'), field: 'spec.protocol', line: 5, message: /one of http, grpc, tcp.*did you mean "http"/ },
  { name: 'garbage duration', text: serviceDoc('  timeout: soon\n'), field: 'spec.timeout', line: 5, message: /duration such as 250ms, 2s.*got "soon"/ },
  { name: 'negative duration', text: serviceDoc('  timeout: -2s\n'), field: 'spec.timeout', line: 5, message: /cannot be negative/ },
  { name: 'duration of the wrong type', text: serviceDoc('  timeout: [1]\n'), field: 'spec.timeout', line: 5, message: /duration.*got a list/ },
  { name: 'sub-millisecond duration', text: serviceDoc('  timeout: 0.5ms\n'), field: 'spec.timeout', line: 5, message: /millisecond precision/ },
  { name: 'retries.attempts out of range', text: serviceDoc('  retries:\n    attempts: 11\n'), field: 'spec.retries.attempts', line: 6, message: /integer 0\.\.10, got 11/ },
  { name: 'retries.attempts not a whole number', text: serviceDoc('  retries: {attempts: 1.5}\n'), field: 'spec.retries.attempts', line: 5, message: /integer 0\.\.10.*not a whole number/ },
  { name: 'retry condition unknown', text: serviceDoc('  retries:\n    on: [5xx, 503]\n'), field: 'spec.retries.on[1]', line: 6, message: /one of 5xx, gateway-error, reset, connect-failure/ },
  { name: 'retry condition listed twice', text: serviceDoc('  retries:\n    on: [reset, reset]\n'), field: 'spec.retries.on[1]', line: 6, message: /"reset" is listed twice/ },
  { name: 'fault percent over 100', text: serviceDoc('  fault:\n    abort: {percent: 101, httpStatus: 503}\n'), field: 'spec.fault.abort.percent', line: 6, message: /percentage 0\.\.100/ },
  { name: 'httpStatus out of range', text: serviceDoc('  fault:\n    abort: {percent: 1, httpStatus: 99}\n'), field: 'spec.fault.abort.httpStatus', line: 6, message: /HTTP status 200\.\.599, got 99/ },
  { name: 'grpcStatus unknown name', text: serviceDoc('  fault:\n    abort: {percent: 1, grpcStatus: BROKEN}\n'), field: 'spec.fault.abort.grpcStatus', line: 6, message: /gRPC status code 0\.\.16 or a name \(OK, CANCELLED/ },
  { name: 'abort with both statuses', text: serviceDoc('  fault:\n    abort: {percent: 1, httpStatus: 503, grpcStatus: 14}\n'), field: 'spec.fault.abort', line: 6, message: /exactly one of httpStatus \(200\.\.599\) or grpcStatus/ },
  { name: 'delay without fixed', text: serviceDoc('  fault:\n    delay: {percent: 5}\n'), field: 'spec.fault.delay', line: 6, message: /delay needs fixed/ },
  { name: 'hashHeader without ring_hash', text: serviceDoc('  loadBalancer:\n    policy: round_robin\n    hashHeader: x-user\n'), field: 'spec.loadBalancer.hashHeader', line: 7, message: /only applies with policy: ring_hash/ },
  { name: 'connection pool zero', text: serviceDoc('  connectionPool: {maxConnections: 0}\n'), field: 'spec.connectionPool.maxConnections', line: 5, message: /positive integer/ },
  { name: 'outlier percent over 100', text: serviceDoc('  outlierDetection:\n    maxEjectionPercent: 150\n'), field: 'spec.outlierDetection.maxEjectionPercent', line: 6, message: /percentage 0\.\.100 \(decimals allowed\), got 150/ },
  { name: 'outlier interval zero', text: serviceDoc('  outlierDetection: {interval: 0s}\n'), field: 'spec.outlierDetection.interval', line: 5, message: /longer than 0/ },
  { name: 'rate limit zero', text: serviceDoc('  rateLimit: {requestsPerSecond: 0}\n'), field: 'spec.rateLimit.requestsPerSecond', line: 5, message: /greater than 0/ },
  { name: 'burst below rps', text: serviceDoc('  rateLimit:\n    requestsPerSecond: 100\n    burst: 50\n'), field: 'spec.rateLimit.burst', line: 7, message: /at least requestsPerSecond \(100\), got 50/ },
  { name: 'header value not a string', text: serviceDoc('  headers:\n    request:\n      set: {x-n: 5}\n'), field: 'spec.headers.request.set.x-n', line: 7, message: /header value.*got the number 5 \(quote it: "5"\)/ },
  { name: 'header name uppercase', text: serviceDoc('  headers:\n    response:\n      remove: [Server]\n'), field: 'spec.headers.response.remove[0]', line: 7, message: /lowercase HTTP tokens.*write it lowercase: "server"/ },
  { name: 'dependency not name.namespace', text: serviceDoc('  dependencies: [ratings]\n'), field: 'spec.dependencies[0]', line: 5, message: /name\.namespace.*got the string "ratings"/ },
  { name: 'subset with empty selector', text: serviceDoc('  subsets:\n    v1: {}\n'), field: 'spec.subsets.v1', line: 6, message: /non-empty label selector/ },
  { name: 'subset name not a DNS label', text: serviceDoc('  subsets:\n    V1: {version: v1}\n'), field: 'spec.subsets.V1', line: 6, message: /subset names must be DNS labels/ },
  // ---- routes ----
  { name: 'weights that do not add up', text: serviceDoc(`${SUBSETS}  routes:\n    - to: [{subset: v1, weight: 80}, {subset: v2, weight: 10}]\n`), field: 'spec.routes[0].to', line: 7, message: /add up to 100, but to\[0\]\.weight 80 \+ to\[1\]\.weight 10 = 90/ },
  { name: 'some weights missing', text: serviceDoc(`${SUBSETS}  routes:\n    - to: [{subset: v1, weight: 100}, {subset: v2}]\n`), field: 'spec.routes[0].to', line: 7, message: /every target has a weight or none does; to\[1\] has none/ },
  { name: 'two targets without weights', text: serviceDoc(`${SUBSETS}  routes:\n    - to: [{subset: v1}, {subset: v2}]\n`), field: 'spec.routes[0].to', line: 7, message: /2 targets need weights/ },
  { name: 'weight not an integer', text: serviceDoc(`${SUBSETS}  routes:\n    - to:\n        - {subset: v1, weight: 50.5}\n        - {subset: v2, weight: 49.5}\n`), field: 'spec.routes[0].to[0].weight', line: 8, message: /integer 0\.\.100/ },
  { name: 'empty to', text: serviceDoc('  routes:\n    - to: []\n'), field: 'spec.routes[0].to', line: 6, message: /at least one target/ },
  { name: 'route without to', text: serviceDoc('  routes:\n    - timeout: 1s\n'), field: 'spec.routes[0]', line: 6, message: /route needs `to`/ },
  { name: 'unknown own subset', text: serviceDoc(`${SUBSETS}  routes:\n    - to: [{subset: v3}]\n`), field: 'spec.routes[0].to[0].subset', line: 7, message: /unknown subset "v3" of reviews\.bookinfo; known subsets: v1, v2/ },
  { name: 'own subset without any subsets', text: serviceDoc('  routes:\n    - to: [{subset: v1}]\n'), field: 'spec.routes[0].to[0].subset', line: 6, message: /spec\.subsets defines none/ },
  { name: 'path and pathPrefix', text: serviceDoc('  routes:\n    - match: {path: /a, pathPrefix: /b}\n      to: [{service: ratings.bookinfo}]\n'), field: 'spec.routes[0].match', line: 6, message: /at most one of path and pathPrefix/ },
  { name: 'path without slash', text: serviceDoc('  routes:\n    - match:\n        pathPrefix: api\n      to: [{service: ratings.bookinfo}]\n'), field: 'spec.routes[0].match.pathPrefix', line: 7, message: /must start with '\/'/ },
  { name: 'header matcher with two kinds', text: serviceDoc('  routes:\n    - match:\n        headers:\n          x-a: {exact: a, prefix: b}\n      to: [{service: ratings.bookinfo}]\n'), field: 'spec.routes[0].match.headers.x-a', line: 8, message: /exactly one of exact, prefix, regex, present; got exact and prefix/ },
  { name: 'regex does not compile', text: serviceDoc('  routes:\n    - match: {headers: {x-a: {regex: "a(b"}}}\n      to: [{service: ratings.bookinfo}]\n'), field: 'spec.routes[0].match.headers.x-a.regex', line: 6, message: /not a valid RE2 regex/ },
  { name: 'regex uses lookahead', text: serviceDoc('  routes:\n    - match: {headers: {x-a: {regex: "a(?=b)"}}}\n      to: [{service: ratings.bookinfo}]\n'), field: 'spec.routes[0].match.headers.x-a.regex', line: 6, message: /RE2.*no lookahead/ },
  { name: 'mirror to itself without subset', text: serviceDoc('  mirror: {percent: 10}\n'), field: 'spec.mirror', line: 5, message: /mirror to the service itself needs a subset/ },
  { name: 'mirror subset unknown', text: serviceDoc(`${SUBSETS}  mirror: {subset: v9, percent: 10}\n`), field: 'spec.mirror.subset', line: 6, message: /unknown subset "v9".*known subsets: v1, v2/ },
  { name: 'duplicate route names', text: serviceDoc('  routes:\n    - {name: a, match: {path: /x}, to: [{service: ratings.bookinfo}]}\n    - {name: a, to: [{service: ratings.bookinfo}]}\n'), field: 'spec.routes[1].name', line: 7, message: /route name "a" is already used by routes\[0\]/ },
  // ---- platform policies ----
  { name: 'policy without scope', text: policyDoc('  defaults: {timeout: 1s}\n'), field: 'spec', line: 4, message: /needs scope: \{namespaces/ },
  { name: 'empty scope', text: policyDoc('  scope: {namespaces: []}\n'), field: 'spec.scope', line: 5, message: /at least one namespace \("\*" for all\) or service/ },
  { name: 'star with other namespaces', text: policyDoc('  scope: {namespaces: ["*", bookinfo]}\n'), field: 'spec.scope.namespaces', line: 5, message: /"\*" already means every namespace/ },
  { name: 'routes in policy defaults', text: policyDoc('  scope: {namespaces: ["*"]}\n  defaults:\n    routes: []\n'), field: 'spec.defaults.routes', line: 7, message: /routes belongs in the service's ServiceConfig/ },
  { name: 'dependencies in overrides', text: policyDoc('  scope: {namespaces: ["*"]}\n  overrides:\n    dependencies: [a.b]\n'), field: 'spec.overrides.dependencies', line: 7, message: /defaults only/ },
  { name: 'policy mirror without service', text: policyDoc('  scope: {namespaces: ["*"]}\n  defaults:\n    mirror: {percent: 5}\n'), field: 'spec.defaults.mirror', line: 7, message: /must name its service/ },
  { name: 'bound on unknown path', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    retries.atempts: {max: 5}\n'), field: 'spec.bounds.retries.atempts', line: 7, message: /unknown field path "retries\.atempts" \(did you mean "retries\.attempts"\?\)/ },
  { name: 'empty bound', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    timeout: {}\n'), field: 'spec.bounds.timeout', line: 7, message: /at least one of min, max, allowed, values/ },
  { name: 'bound min above max', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    timeout: {min: 10s, max: 1s}\n'), field: 'spec.bounds.timeout', line: 7, message: /min \(10s\) is greater than max \(1s\)/ },
  { name: 'numeric bound on a string field', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    loadBalancer.policy: {max: 3}\n'), field: 'spec.bounds.loadBalancer.policy.max', line: 7, message: /numbers and durations only.*use values/ },
  { name: 'values on a numeric field', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    retries.attempts: {values: ["1"]}\n'), field: 'spec.bounds.retries.attempts.values', line: 7, message: /string fields only.*use min and max/ },
  { name: 'bound value outside the enum', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    loadBalancer.policy: {values: [round_robin, maglev]}\n'), field: 'spec.bounds.loadBalancer.policy.values[1]', line: 7, message: /cannot be "maglev"; its values are round_robin, least_request, ring_hash, random/ },
  { name: 'duration bound garbage', text: policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    timeout: {max: lots}\n'), field: 'spec.bounds.timeout.max', line: 7, message: /duration such as/ },
  // ---- YAML level ----
  { name: 'malformed YAML', text: 'apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfig\nmetadata: {name: a\nspec: {}\n', field: '', line: 4, message: /^YAML: / },
  { name: 'duplicate keys', text: serviceDoc('  timeout: 1s\n  timeout: 2s\n'), field: '', line: 6, message: /YAML: Map keys must be unique/ },
];

describe('bad documents', () => {
  it('has a table of at least 40 rows', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  it.each(cases)('$name → $field at line $line', ({ text, field, line, message }) => {
    const result = parseOne(text);
    const match = errors(result.diagnostics).find((d) => d.field === field && message.test(d.message));
    expect(match, JSON.stringify(result.diagnostics, null, 1)).toBeDefined();
    expect(match?.source).toBe(`bad.yaml:${line}`);
    // A document with an error is never returned.
    expect(result.documents).toEqual([]);
  });

  it('reports duplicate ids across files at both places and keeps the first', () => {
    const a = serviceDoc('  timeout: 1s\n');
    const result = parseConfigFiles([{ name: 'a.yaml', text: a }, { name: 'b.yaml', text: `# another copy\n${a}` }]);
    const duplicates = errors(result.diagnostics).filter((d) => d.message.includes('duplicate document ServiceConfig/bookinfo/reviews'));
    expect(duplicates.map((d) => [d.source, d.field])).toEqual([['a.yaml:3', 'metadata.name'], ['b.yaml:4', 'metadata.name']]);
    expect(duplicates[0]?.message).toContain('also defined at b.yaml:4');
    expect(duplicates[1]?.message).toContain('also defined at a.yaml:3');
    expect(result.documents.map((d) => d.spec)).toEqual([{ timeout: 1000 }]);
  });

  it('reports duplicates within one file and for the default namespace', () => {
    const doc = serviceDoc('  timeout: 1s\n', '{name: a}');
    const result = parseOne(`${doc}---\n${serviceDoc('  timeout: 2s\n', '{name: a, namespace: default}')}`);
    expect(errors(result.diagnostics).map((d) => d.source)).toEqual(['bad.yaml:3', 'bad.yaml:9']);
  });

  it('collects every problem of a document at once', () => {
    const result = parseOne(serviceDoc('  timeout: x\n  retries: {attempts: 99}\n  protocol: udp\n'));
    expect(errors(result.diagnostics).map((d) => d.field).sort()).toEqual(['spec.protocol', 'spec.retries.attempts', 'spec.timeout']);
  });

  it('refuses alias bombs with a diagnostic', () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [from, to] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']] as const) {
      rows.push(`${to}: &${to} [${Array.from({ length: 10 }, () => `*${from}`).join(', ')}]`);
    }
    const result = parseOne(`${rows.join('\n')}\n`);
    expect(result.documents).toEqual([]);
    expect(errors(result.diagnostics)[0]?.message).toMatch(/too many alias expansions/);
  });

  it('refuses huge input quickly and survives deep nesting', () => {
    const started = Date.now();
    const huge = parseOne(`a: "${'x'.repeat(10 * 1024 * 1024)}"\n`);
    expect(errors(huge.diagnostics)[0]?.message).toMatch(/at most 4194304/);
    const deep = parseOne(`${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect(errors(deep.diagnostics).length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('warns about unreachable routes without rejecting the document', () => {
    const result = parseOne(serviceDoc('  routes:\n    - to: [{service: ratings.bookinfo}]\n    - match: {path: /a}\n      to: [{service: details.bookinfo}]\n'));
    expect(result.diagnostics).toEqual([{ severity: 'warning', field: 'spec.routes[1]', source: 'bad.yaml:7', message: expect.stringContaining('never reached') }]);
    expect(result.documents).toHaveLength(1);
  });
});
