import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigFiles, serializeDocument } from '../../../src/config/parse/index.ts';
import type { ConfigDocument } from '../../../src/config/types.ts';
import { parseOne, policyDoc, serviceDoc } from './helpers.ts';

const ISSUE_EXAMPLE = `apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: reviews, namespace: bookinfo}
spec:
  protocol: http
  subsets: {v1: {version: v1}, v2: {version: v2}}
  dependencies: [ratings.bookinfo]
  routes:
    - match: {pathPrefix: /api, headers: {x-canary: "true"}}
      to: [{subset: v2}]
    - to: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
      timeout: 2s
      retries: {attempts: 3, perTryTimeout: 500ms, on: [5xx, reset, unavailable]}
      fault: {abort: {percent: 1, httpStatus: 503}, delay: {percent: 5, fixed: 100ms}}
      mirror: {subset: v2, percent: 10}
      headers: {request: {set: {x-env: prod}}, response: {remove: [server]}}
  loadBalancer: {policy: least_request}
  connectionPool: {maxConnections: 100, maxPendingRequests: 50, maxRequests: 200}
  outlierDetection: {consecutive5xx: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
  rateLimit: {requestsPerSecond: 100, burst: 200}
---
apiVersion: trellis.dev/v1alpha1
kind: PlatformPolicy
metadata: {name: mesh-defaults}
spec:
  scope: {namespaces: ["*"]}
  defaults:  {timeout: 15s, retries: {attempts: 2, on: [reset, unavailable]}}
  overrides: {outlierDetection: {maxEjectionPercent: 30}}
  bounds:    {retries.attempts: {max: 5}, timeout: {max: 30s}, fault: {allowed: false}}
`;

function only(text: string): ConfigDocument {
  const result = parseOne(text, 'ok.yaml');
  expect(result.diagnostics).toEqual([]);
  expect(result.documents).toHaveLength(1);
  const [doc] = result.documents;
  if (doc === undefined) throw new Error('no document');
  return doc;
}

describe('valid documents', () => {
  it('parses the issue example to exactly the typed values (durations in ms)', () => {
    const result = parseConfigFiles([{ name: 'issue.yaml', text: ISSUE_EXAMPLE }]);
    expect(result.diagnostics).toEqual([]);
    const [service, policy] = result.documents;
    expect(service).toMatchObject({ kind: 'ServiceConfig', id: 'ServiceConfig/bookinfo/reviews', name: 'reviews', namespace: 'bookinfo', source: { file: 'issue.yaml', line: 1 } });
    expect(service?.spec).toEqual({
      protocol: 'http',
      subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
      dependencies: ['ratings.bookinfo'],
      routes: [
        { match: { pathPrefix: '/api', headers: { 'x-canary': 'true' } }, to: [{ subset: 'v2' }] },
        {
          to: [{ subset: 'v1', weight: 90 }, { subset: 'v2', weight: 10 }],
          timeout: 2000,
          retries: { attempts: 3, perTryTimeout: 500, on: ['5xx', 'reset', 'unavailable'] },
          fault: { abort: { percent: 1, httpStatus: 503 }, delay: { percent: 5, fixed: 100 } },
          mirror: { subset: 'v2', percent: 10 },
          headers: { request: { set: { 'x-env': 'prod' } }, response: { remove: ['server'] } },
        },
      ],
      loadBalancer: { policy: 'least_request' },
      connectionPool: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200 },
      outlierDetection: { consecutive5xx: 5, interval: 10_000, baseEjectionTime: 30_000, maxEjectionPercent: 50 },
      rateLimit: { requestsPerSecond: 100, burst: 200 },
    });
    expect(policy).toMatchObject({ kind: 'PlatformPolicy', id: 'PlatformPolicy/mesh-defaults', source: { file: 'issue.yaml', line: 22 } });
    expect(policy?.spec).toEqual({
      scope: { namespaces: ['*'] },
      defaults: { timeout: 15_000, retries: { attempts: 2, on: ['reset', 'unavailable'] } },
      overrides: { outlierDetection: { maxEjectionPercent: 30 } },
      bounds: { 'retries.attempts': { max: 5 }, timeout: { max: 30_000 }, fault: { allowed: false } },
    });
    // raw keeps the document as written.
    expect((service?.raw as { spec: { routes: Array<{ timeout?: string }> } }).spec.routes[1]?.timeout).toBe('2s');
  });

  it('maps field paths to the lines they are written on', () => {
    const doc = parseConfigFiles([{ name: 'issue.yaml', text: ISSUE_EXAMPLE }]).documents[0];
    expect(doc?.lines).toMatchObject({
      '': 1, kind: 2, 'metadata.name': 3, spec: 4, 'spec.subsets.v2.version': 6, 'spec.dependencies[0]': 7,
      'spec.routes[0]': 9, 'spec.routes[0].match.headers.x-canary': 9, 'spec.routes[0].to[0].subset': 10,
      'spec.routes[1].to[1].weight': 11, 'spec.routes[1].timeout': 12, 'spec.routes[1].retries.on[2]': 13,
      'spec.routes[1].fault.delay.fixed': 14, 'spec.rateLimit.burst': 20,
    });
    const policy = parseConfigFiles([{ name: 'issue.yaml', text: ISSUE_EXAMPLE }]).documents[1];
    expect(policy?.lines).toMatchObject({ '': 22, 'spec.scope.namespaces[0]': 26, 'spec.defaults.retries.attempts': 27, 'spec.bounds.retries.attempts.max': 29 });
  });

  it('reads block-style documents with lines on their own rows', () => {
    const doc = only(serviceDoc('  subsets:\n    canary:\n      version: v2\n  routes:\n    - name: split\n      to:\n        - subset: canary\n          weight: 100\n      timeout: 1m30s\n'));
    expect(doc.spec).toEqual({ subsets: { canary: { version: 'v2' } }, routes: [{ name: 'split', to: [{ subset: 'canary', weight: 100 }], timeout: 90_000 }] });
    expect(doc.lines).toMatchObject({ 'spec.subsets.canary.version': 7, 'spec.routes[0]': 9, 'spec.routes[0].to[0]': 11, 'spec.routes[0].to[0].weight': 12, 'spec.routes[0].timeout': 13 });
  });

  it('normalizes durations, percents, gRPC status names and header matchers', () => {
    const doc = only(serviceDoc([
      '  protocol: grpc',
      '  timeout: 1500',                         // a number is milliseconds
      '  retries: {perTryTimeout: 1.5s, on: [deadline-exceeded, resource-exhausted]}',
      '  fault: {abort: {percent: 0.5, grpcStatus: unavailable}, delay: {percent: 100, fixed: 1h}}',
      '  loadBalancer: {policy: ring_hash, hashHeader: x-user}',
      '  routes:',
      '    - match: {path: /echo.Echo/Say, headers: {x-a: {prefix: b}, x-b: {regex: "^v[0-9]+$"}, x-c: {present: false}, ":authority": {exact: h}}}',
      '      to: [{service: echo.demo}]',
      '      fault: {abort: {percent: 100, grpcStatus: 4}}',
      '',
    ].join('\n'), '{name: echo}'));
    expect(doc.id).toBe('ServiceConfig/default/echo');
    expect(doc.spec).toEqual({
      protocol: 'grpc',
      timeout: 1500,
      retries: { perTryTimeout: 1500, on: ['deadline-exceeded', 'resource-exhausted'] },
      fault: { abort: { percent: 0.5, grpcStatus: 14 }, delay: { percent: 100, fixed: 3_600_000 } },
      loadBalancer: { policy: 'ring_hash', hashHeader: 'x-user' },
      routes: [{
        match: { path: '/echo.Echo/Say', headers: { 'x-a': { prefix: 'b' }, 'x-b': { regex: '^v[0-9]+$' }, 'x-c': { present: false }, ':authority': { exact: 'h' } } },
        to: [{ service: 'echo.demo' }],
        fault: { abort: { percent: 100, grpcStatus: 4 } },
      }],
    });
  });

  it('accepts policies scoped to services with every kind of bound', () => {
    const doc = only(policyDoc([
      '  scope: {services: [reviews.bookinfo], namespaces: [payments]}',
      '  defaults: {dependencies: [ratings.bookinfo], mirror: {service: shadow.test, percent: 1}}',
      '  overrides: {headers: {response: {set: {x-by: trellis}}}}',
      '  bounds:',
      '    retries.on: {values: [reset, 5xx]}',
      '    outlierDetection.maxEjectionPercent: {min: 10, max: 50}',
      '    retries.perTryTimeout: {min: 100, max: 2s}',
      '    routes: {allowed: false}',
      '',
    ].join('\n')));
    expect(doc.spec).toEqual({
      scope: { namespaces: ['payments'], services: ['reviews.bookinfo'] },
      defaults: { dependencies: ['ratings.bookinfo'], mirror: { service: 'shadow.test', percent: 1 } },
      overrides: { headers: { response: { set: { 'x-by': 'trellis' } } } },
      bounds: {
        'retries.on': { values: ['reset', '5xx'] },
        'outlierDetection.maxEjectionPercent': { min: 10, max: 50 },
        'retries.perTryTimeout': { min: 100, max: 2000 },
        routes: { allowed: false },
      },
    });
  });

  it('skips empty and comment-only documents', () => {
    const result = parseOne(`# header\n---\n${serviceDoc('  timeout: 1s\n')}---\n# nothing here\n---\n`);
    expect(result.diagnostics).toEqual([]);
    expect(result.documents.map((d) => [d.id, d.source.line])).toEqual([['ServiceConfig/bookinfo/reviews', 3]]);
    expect(parseOne('').documents).toEqual([]);
  });

  it('serializes a document back to YAML that parses to the same document', () => {
    for (const doc of parseConfigFiles([{ name: 'issue.yaml', text: ISSUE_EXAMPLE }]).documents) {
      const again = parseOne(serializeDocument(doc), 'again.yaml');
      expect(again.diagnostics).toEqual([]);
      expect(again.documents[0]?.spec).toEqual(doc.spec);
      expect(again.documents[0]?.raw).toEqual(doc.raw);
      expect(serializeDocument(doc)).toMatch(/timeout: (2s|15s)\n/);
    }
  });
});

describe('examples/bookinfo/config', () => {
  it('is valid on its own', () => {
    const dir = join(import.meta.dirname, '../../../examples/bookinfo/config');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
    expect(files.map((f) => f.name)).toEqual(['bookinfo-guardrails.yaml', 'mesh-defaults.yaml', 'productpage.yaml', 'ratings.yaml', 'reviews.yaml']);
    const result = parseConfigFiles(files);
    expect(result.diagnostics).toEqual([]);
    expect(result.documents.map((d) => d.id).sort()).toEqual([
      'PlatformPolicy/bookinfo-guardrails', 'PlatformPolicy/mesh-defaults', 'ServiceConfig/bookinfo/productpage',
      'ServiceConfig/bookinfo/ratings', 'ServiceConfig/bookinfo/reviews',
    ]);
    const reviews = result.documents.find((d) => d.id === 'ServiceConfig/bookinfo/reviews');
    expect(reviews?.kind === 'ServiceConfig' ? reviews.spec.routes?.[1]?.to : undefined).toEqual([{ subset: 'v1', weight: 90 }, { subset: 'v2', weight: 10 }]);
  });
});
