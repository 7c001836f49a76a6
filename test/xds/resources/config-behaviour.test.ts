/**
 * Behavioural checks on the config golden cases: where requests end up (the simulator follows
 * listener → route → weighted clusters → endpoints), independent of resource shapes.
 */
import { describe, expect, it } from 'vitest';
import { createTranslationMemo, translateView } from '../../../src/xds/resources/translate.ts';
import { simulateRequest } from '../../support/simulate.ts';
import { loadGoldenCase } from './golden-cases.ts';

const resourcesOf = (name: string) => translateView(loadGoldenCase(name).view).resources;

describe('config behaviour (sidecar)', () => {
  const resources = resourcesOf('config-weighted-subsets');
  const request = (headers: Record<string, string>) =>
    simulateRequest(resources, { listener: 'outbound_http', host: 'reviews', path: '/reviews/1', headers });

  it('sends x-canary: true to the v2 instance only', () => {
    expect(request({ 'x-canary': 'true' })).toMatchObject({ ok: true, route: 'canary', clusters: [{ name: 'outbound|reviews.bookinfo|v2', weight: 1 }], endpoints: ['10.0.1.2:9080'] });
  });

  it('splits other traffic 90/10 between v1 and v2, never to v3', () => {
    for (const headers of [{}, { 'x-canary': 'false' }]) {
      const result = request(headers);
      expect(result).toMatchObject({
        ok: true,
        route: 'split',
        clusters: [
          { name: 'outbound|reviews.bookinfo|v1', weight: 90 },
          { name: 'outbound|reviews.bookinfo|v2', weight: 10 },
        ],
      });
      expect(result.ok && result.endpoints).toEqual(['10.0.1.1:9080', '10.0.1.2:9080']);
    }
  });
});

describe('config behaviour (proxyless gRPC)', () => {
  const resources = resourcesOf('config-proxyless-all');
  const request = (headers: Record<string, string>) =>
    simulateRequest(resources, { listener: 'echo', host: 'echo', path: '/demo.Echo/Say', headers });

  it('routes by header and splits the rest', () => {
    expect(request({ 'x-canary': 'true' })).toMatchObject({ ok: true, route: 'canary', endpoints: ['10.3.0.2:50051'] });
    expect(request({})).toMatchObject({ ok: true, route: 'split', clusters: [{ weight: 90 }, { weight: 10 }] });
  });
});

describe('config behaviour (dependencies)', () => {
  const { view } = loadGoldenCase('config-dependencies');
  const resources = translateView(view).resources;

  it('reaches declared dependencies and what their routes send to, nothing else', () => {
    expect(view.visibleServices.map((s) => s.key)).toEqual(['details.bookinfo', 'ratings.bookinfo', 'reviews.bookinfo']);
    expect(simulateRequest(resources, { listener: 'outbound_http', host: 'reviews', path: '/ratings/7' })).toMatchObject({
      ok: true,
      route: 'to-ratings',
      endpoints: ['10.0.1.5:9080'],
    });
    expect(simulateRequest(resources, { listener: 'outbound_http', host: 'web.shop', path: '/' })).toMatchObject({ ok: false });
    expect(simulateRequest(resources, { listener: 'outbound_http', host: 'productpage', path: '/' })).toMatchObject({ ok: false });
  });
});

describe('translation memo with flavors', () => {
  it('memoizes clusters per (cluster, flavor) and keeps proxyless fallbacks apart from Envoy', () => {
    const memo = createTranslationMemo();
    const { view } = loadGoldenCase('config-lb-policies');
    const reviews = view.visibleServices.find((s) => s.key === 'reviews.bookinfo')?.clusters[0];
    if (!reviews) throw new Error('no reviews cluster');
    const envoy = memo.cluster(reviews);
    expect(memo.cluster(reviews, 'envoy')).toBe(envoy);
    const grpc = memo.cluster(reviews, 'grpc');
    expect(memo.cluster(reviews, 'grpc')).toBe(grpc);
    expect((envoy.value as Record<string, unknown>)['lb_policy']).toBe('LEAST_REQUEST');
    expect((grpc.value as Record<string, unknown>)['lb_policy']).toBe('ROUND_ROBIN');
    // Same resources with or without the memo.
    expect(translateView(view, memo).resources).toEqual(translateView(view).resources);
  });
});
