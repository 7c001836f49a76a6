import { describe, expect, it } from 'vitest';
import { parseConfigFiles } from '../../src/config/parse/index.ts';
import type { ConfigSnapshot } from '../../src/config/types.ts';
import { previewEnvoy } from '../../src/pipeline/preview.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import { registryFixture } from '../support/registry-fixture.ts';

const registry = registryFixture({
  instances: [
    { service: 'reviews', namespace: 'shop', address: '10.0.0.1', port: 9080, labels: { version: 'v1' } },
    { service: 'reviews', namespace: 'shop', address: '10.0.0.2', port: 9080, labels: { version: 'v2' } },
    { service: 'ratings', namespace: 'shop', address: '10.0.1.1', port: 9080 },
  ],
});

function snapshot(yaml: string): ConfigSnapshot {
  const { documents, diagnostics } = parseConfigFiles([{ name: 'c.yaml', text: yaml }]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { revision: 1, documents: new Map(documents.map((d) => [d.id, d])) };
}

const reviews = (timeout: string): string => `
apiVersion: trellis.dev/v1alpha1
kind: ServiceConfig
metadata: {name: reviews, namespace: shop}
spec:
  subsets: {v1: {version: v1}, v2: {version: v2}}
  routes:
    - to: [{subset: v1, weight: 80}, {subset: v2, weight: 20}]
      timeout: ${timeout}
`;

describe('previewEnvoy', () => {
  it("shows what callers get for the service and its own inbound side, and nothing of other services", () => {
    const preview = previewEnvoy(registry, snapshot(reviews('2s')), 'reviews.shop');
    expect(Object.keys(preview[TypeUrl.Cluster] ?? {}).sort()).toEqual([
      'inbound|9080|reviews.shop',
      'outbound|reviews.shop',
      'outbound|reviews.shop|v1',
      'outbound|reviews.shop|v2',
    ]);
    expect(Object.keys(preview[TypeUrl.ClusterLoadAssignment] ?? {})).not.toContain('outbound|ratings.shop');
    expect(Object.keys(preview[TypeUrl.RouteConfiguration] ?? {})).toEqual(['outbound_http/reviews.shop']);
    const config = preview[TypeUrl.RouteConfiguration]?.['outbound_http/reviews.shop'] as { virtual_hosts: Array<{ routes: Array<{ route: { timeout: string } }> }> };
    expect(config.virtual_hosts[0]?.routes[0]?.route.timeout).toBe('2s');
    // The authorities that select it (the caller shares the namespace, so short names too).
    expect(Object.keys(preview[TypeUrl.ScopedRouteConfiguration] ?? {}).sort()).toEqual([
      'outbound_http/reviews',
      'outbound_http/reviews.shop',
    ]);
    expect(Object.keys(preview[TypeUrl.Listener] ?? {})).toEqual(['inbound|9080']);
  });

  it('differs exactly where the config differs', () => {
    const before = previewEnvoy(registry, snapshot(reviews('2s')), 'reviews.shop');
    const after = previewEnvoy(registry, snapshot(reviews('3s')), 'reviews.shop');
    expect(after[TypeUrl.Cluster]).toEqual(before[TypeUrl.Cluster]);
    expect(after[TypeUrl.RouteConfiguration]).not.toEqual(before[TypeUrl.RouteConfiguration]);
  });
});
