import { describe, expect, it } from 'vitest';
import { mergeService, MERGE_STRATEGY, SETTINGS_FIELDS, fieldSource, policyApplies, scopeRank } from '../../../src/config/merge/index.ts';
import { MESH, platformPolicy, serviceConfig, snapshotOf } from './fixtures.ts';

const KEY = 'reviews.bookinfo';

describe('mergeService', () => {
  it('declares a strategy for every settings field', () => {
    expect(new Set(SETTINGS_FIELDS)).toEqual(new Set(Object.keys(MERGE_STRATEGY)));
    expect(MERGE_STRATEGY.subsets).toBe('keyed');
    expect(MERGE_STRATEGY.routes).toBe('replace');
    expect(MERGE_STRATEGY.retries).toBe('deep');
  });

  it('gives a service with no documents only the builtin load balancer and mTLS mode', () => {
    const eff = mergeService(KEY, snapshotOf([]));
    expect(eff.serviceKey).toBe(KEY);
    expect(eff.settings).toEqual({ loadBalancer: { policy: 'round_robin' }, mtls: { mode: 'DISABLE' } });
    expect(eff.provenance.get('mtls.mode')).toMatchObject({ layer: 'builtin', value: 'DISABLE' });
    const p = eff.provenance.get('loadBalancer.policy');
    expect(p).toMatchObject({ layer: 'builtin', document: 'builtin', value: 'round_robin', overrode: [] });
    expect(p?.source).toBeUndefined();
  });

  it('layers default < service < override with file:line of each field', () => {
    const mesh = platformPolicy(
      'mesh-defaults',
      MESH,
      {
        defaults: { timeout: 15_000, retries: { attempts: 2, on: ['reset', 'unavailable'] } },
        overrides: { outlierDetection: { maxEjectionPercent: 30 } },
      },
      {
        file: 'mesh.yaml',
        lines: {
          'spec.defaults': 6,
          'spec.defaults.timeout': 6,
          'spec.defaults.retries': 7,
          'spec.defaults.retries.attempts': 7,
          'spec.defaults.retries.on': 8,
          'spec.overrides.outlierDetection.maxEjectionPercent': 10,
        },
      },
    );
    const reviews = serviceConfig(
      'reviews',
      'bookinfo',
      { timeout: 2_000, retries: { attempts: 3 }, outlierDetection: { maxEjectionPercent: 50, consecutive5xx: 5 }, loadBalancer: { policy: 'least_request' } },
      {
        file: 'reviews.yaml',
        lines: {
          'spec.timeout': 12,
          'spec.retries.attempts': 14,
          'spec.outlierDetection': 16,
          'spec.outlierDetection.maxEjectionPercent': 17,
          'spec.loadBalancer.policy': 19,
        },
      },
    );
    const eff = mergeService(KEY, snapshotOf([reviews, mesh]));
    expect(eff.settings).toEqual({
      timeout: 2_000,
      retries: { attempts: 3, on: ['reset', 'unavailable'] },
      outlierDetection: { maxEjectionPercent: 30, consecutive5xx: 5 },
      loadBalancer: { policy: 'least_request' },
      mtls: { mode: 'DISABLE' },
    });
    const attempts = eff.provenance.get('retries.attempts');
    expect(attempts).toEqual({
      layer: 'service',
      document: 'ServiceConfig/bookinfo/reviews',
      source: { file: 'reviews.yaml', line: 14 },
      value: 3,
      overrode: [{ layer: 'platform-default', document: 'PlatformPolicy/mesh-defaults', source: { file: 'mesh.yaml', line: 7 }, value: 2 }],
    });
    expect(eff.provenance.get('retries.on')).toMatchObject({ layer: 'platform-default', source: { file: 'mesh.yaml', line: 8 }, overrode: [] });
    const mep = eff.provenance.get('outlierDetection.maxEjectionPercent');
    expect(mep).toMatchObject({ layer: 'platform-override', value: 30, source: { file: 'mesh.yaml', line: 10 } });
    expect(mep?.overrode).toEqual([{ layer: 'service', document: 'ServiceConfig/bookinfo/reviews', source: { file: 'reviews.yaml', line: 17 }, value: 50 }]);
    // The field's own line missing: its parent's line.
    expect(eff.provenance.get('outlierDetection.consecutive5xx')?.source).toEqual({ file: 'reviews.yaml', line: 16 });
    expect(eff.provenance.get('loadBalancer.policy')).toMatchObject({ layer: 'service', overrode: [{ layer: 'builtin', value: 'round_robin' }] });
    expect([...eff.provenance.keys()]).toEqual([...eff.provenance.keys()].sort());
  });

  it('merges subsets by name and replaces each selector whole', () => {
    const mesh = platformPolicy('m', MESH, { defaults: { subsets: { v1: { version: 'v1', track: 'stable' }, canary: { track: 'canary' } } } });
    const team = serviceConfig('reviews', 'bookinfo', { subsets: { v1: { version: 'one' }, v2: { version: 'v2' } } });
    const eff = mergeService(KEY, snapshotOf([mesh, team]));
    expect(eff.settings.subsets).toEqual({ v1: { version: 'one' }, v2: { version: 'v2' }, canary: { track: 'canary' } });
    expect(eff.provenance.get('subsets.v1')).toMatchObject({ layer: 'service', overrode: [{ layer: 'platform-default', value: { version: 'v1', track: 'stable' } }] });
    expect(eff.provenance.get('subsets.canary')?.layer).toBe('platform-default');
    expect(eff.provenance.has('subsets.v1.version')).toBe(false);
  });

  it('replaces routes and lists whole; deep-merges header maps', () => {
    const mesh = platformPolicy('m', MESH, {
      defaults: {
        routes: [{ to: [{ subset: 'v1' }] }, { to: [{ subset: 'v2' }] }],
        dependencies: ['a.x', 'b.x'],
        headers: { request: { set: { 'x-env': 'prod', 'x-team': 'platform' } } },
      },
    });
    const team = serviceConfig('reviews', 'bookinfo', {
      routes: [{ to: [{ subset: 'v3' }], timeout: 1000 }],
      dependencies: ['c.x'],
      headers: { request: { set: { 'x-team': 'reviews' }, remove: ['x-debug'] } },
    });
    const eff = mergeService(KEY, snapshotOf([team, mesh]));
    expect(eff.settings.routes).toEqual([{ to: [{ subset: 'v3' }], timeout: 1000 }]);
    expect(eff.settings.dependencies).toEqual(['c.x']);
    expect(eff.settings.headers).toEqual({ request: { set: { 'x-env': 'prod', 'x-team': 'reviews' }, remove: ['x-debug'] } });
    expect(eff.provenance.get('routes')).toMatchObject({ layer: 'service', overrode: [{ layer: 'platform-default' }] });
    expect(eff.provenance.has('routes[0].timeout')).toBe(false);
    expect(eff.provenance.get('headers.request.set.x-env')?.layer).toBe('platform-default');
    expect(eff.provenance.get('headers.request.set.x-team')?.layer).toBe('service');
  });

  it('orders policies widest first: a narrower default and a narrower override win, ties by name', () => {
    const docs = [
      platformPolicy('z-mesh', MESH, { defaults: { timeout: 1 }, overrides: { protocol: 'tcp' } }),
      platformPolicy('a-mesh', MESH, { defaults: { timeout: 2, connectionPool: { maxConnections: 1 } } }),
      platformPolicy('ns', { namespaces: ['bookinfo'] }, { defaults: { timeout: 3 }, overrides: { protocol: 'grpc' } }),
      platformPolicy('svc', { services: [KEY] }, { defaults: { timeout: 4 }, overrides: { protocol: 'http' } }),
      platformPolicy('other-ns', { namespaces: ['payments'] }, { defaults: { timeout: 99, rateLimit: { requestsPerSecond: 1 } } }),
    ];
    const eff = mergeService(KEY, snapshotOf(docs));
    expect(eff.settings.timeout).toBe(4);
    expect(eff.provenance.get('timeout')?.overrode.map((o) => o.document)).toEqual([
      'PlatformPolicy/a-mesh',
      'PlatformPolicy/z-mesh',
      'PlatformPolicy/ns',
    ]);
    expect(eff.settings.protocol).toBe('http');
    expect(eff.provenance.get('protocol')?.overrode.map((o) => o.value)).toEqual(['tcp', 'grpc']);
    expect(eff.settings.connectionPool).toEqual({ maxConnections: 1 });
    expect(eff.settings.rateLimit).toBeUndefined();
    // A policy listing the service and also the mesh counts at its narrowest matching clause.
    const both = platformPolicy('aa-both', { namespaces: ['*'], services: [KEY] }, { defaults: { timeout: 5 } });
    expect(mergeService(KEY, snapshotOf([...docs, both])).settings.timeout).toBe(4); // 'svc' > 'aa-both' by name
    expect(mergeService('other.elsewhere', snapshotOf([...docs, both])).provenance.get('timeout')?.document).toBe('PlatformPolicy/z-mesh');
  });

  it('ranks scopes mesh < namespace < service and applies only where they match', () => {
    const mesh = platformPolicy('m', MESH, {});
    const ns = platformPolicy('n', { namespaces: ['bookinfo', 'shop'] }, {});
    const svc = platformPolicy('s', { namespaces: ['shop'], services: [KEY] }, {});
    expect([scopeRank(mesh), scopeRank(ns), scopeRank(svc)]).toEqual([0, 1, 2]);
    expect([scopeRank(mesh, KEY), scopeRank(ns, KEY), scopeRank(svc, KEY)]).toEqual([0, 1, 2]);
    expect(scopeRank(svc, 'cart.shop')).toBe(1);
    expect(policyApplies(svc, 'ratings.bookinfo')).toBe(false);
    expect(policyApplies(ns, 'ratings.bookinfo')).toBe(true);
    expect(policyApplies(platformPolicy('e', {}, {}), KEY)).toBe(false);
  });

  it('applies platform defaults to a service without a ServiceConfig', () => {
    const eff = mergeService('ratings.bookinfo', snapshotOf([platformPolicy('m', MESH, { defaults: { timeout: 15_000 } })]));
    expect(eff.settings.timeout).toBe(15_000);
  });

  it('reports the highest layer for a value equal at several layers and lists the others', () => {
    const docs = [
      platformPolicy('m', MESH, { defaults: { timeout: 5000 }, overrides: { timeout: 5000 } }),
      serviceConfig('reviews', 'bookinfo', { timeout: 5000 }),
    ];
    const p = mergeService(KEY, snapshotOf(docs)).provenance.get('timeout');
    expect(p?.layer).toBe('platform-override');
    expect(p?.overrode.map((o) => o.layer)).toEqual(['platform-default', 'service']);
  });

  it('quotes keys with dots in provenance paths and still finds their lines', () => {
    const team = serviceConfig('reviews', 'bookinfo', { headers: { response: { set: { 'x.trace.id': 'on' } } } }, {
      lines: { 'spec.headers.response.set': 4, 'spec.headers.response.set.x.trace.id': 5 },
    });
    const eff = mergeService(KEY, snapshotOf([team]));
    const p = eff.provenance.get('headers.response.set["x.trace.id"]');
    expect(p).toMatchObject({ value: 'on', layer: 'service', source: { file: 'reviews.yaml', line: 5 } });
    expect(eff.settings.headers).toEqual({ response: { set: { 'x.trace.id': 'on' } } });
  });

  it('falls back to the document line when no path line is known', () => {
    const doc = serviceConfig('r', 'n', { timeout: 1 }, { lines: {} });
    expect(fieldSource(doc, 'spec.routes[0].timeout')).toEqual({ file: 'r.yaml', line: 1 });
    const lined = serviceConfig('r', 'n', { timeout: 1 }, { lines: { 'spec.routes[0]': 9, 'spec.routes': 8 } });
    expect(fieldSource(lined, 'spec.routes[0].timeout')).toEqual({ file: 'r.yaml', line: 9 });
    expect(fieldSource(lined, 'spec.routes[1].timeout')).toEqual({ file: 'r.yaml', line: 8 });
  });
});
