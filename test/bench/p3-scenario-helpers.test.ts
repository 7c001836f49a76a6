import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { changedNames } from '../../bench/scenarios/broadcast.ts';
import { untilQuiet } from '../../bench/scenarios/bytes.ts';
import { openLoop } from '../../bench/scenarios/churn.ts';
import { mixedBehaviours } from '../../bench/scenarios/slow-clients.ts';
import { clusterOf, dependedOn, dependencyIndices, scopedNodes, scopePolicies, timeoutPolicy } from '../../bench/lib/scoped-mesh.ts';
import type { ResourceDump } from '../../bench/lib/load-protocol.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

describe('scoped mesh', () => {
  const spec = { services: 1000, namespaces: 10, fanOut: 50 };

  it('gives each namespace k distinct dependencies, disjoint across namespaces when N allows', () => {
    const first = dependencyIndices(spec, 0);
    expect(first).toHaveLength(50);
    expect(new Set(first).size).toBe(50);
    expect(dependencyIndices(spec, 3)[0]).toBe(150);
    // 10 namespaces x 50 distinct services = 500 depended-on services.
    expect(dependedOn(spec)).toHaveLength(500);
    // A small mesh wraps around and never names a service beyond N.
    const small = { services: 30, namespaces: 10, fanOut: 50 };
    expect(dependencyIndices(small, 7)).toHaveLength(30);
    expect(Math.max(...dependedOn(small))).toBe(29);
  });

  it('writes one PlatformPolicy per namespace naming its dependencies as name.namespace', () => {
    const policies = scopePolicies(spec);
    expect(policies).toHaveLength(10);
    const doc = parse(policies[2]?.text ?? '') as { kind: string; spec: { scope: { namespaces: string[] }; defaults: { dependencies: string[] } } };
    expect(doc.kind).toBe('PlatformPolicy');
    expect(doc.spec.scope.namespaces).toEqual(['ns-2']);
    expect(doc.spec.defaults.dependencies).toHaveLength(50);
    // Service 100 lives in namespace 100 mod 10 = 0.
    expect(doc.spec.defaults.dependencies[0]).toBe('svc-00100.ns-0');
    const timeout = parse(timeoutPolicy(12).text) as { spec: { defaults: { timeout: string }; scope: { namespaces: string[] } } };
    expect(timeout.spec.defaults.timeout).toBe('12s');
    expect(timeout.spec.scope.namespaces).toEqual(['*']);
    expect(clusterOf(7, 10)).toContain('svc-00007');
  });

  it('spreads streams over every namespace', () => {
    const nodes = scopedNodes(500, spec);
    const namespaces = new Set(nodes.map((n) => n.metadata?.['trellis.namespace']));
    expect(namespaces.size).toBe(10);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(500);
    // P > N: P/N streams per service.
    const many = scopedNodes(2000, spec);
    expect(many.filter((n) => n.cluster === 'svc-00003')).toHaveLength(2);
  });
});

describe('scenario helpers', () => {
  it('openLoop fires on schedule without waiting for earlier events', async () => {
    const started = performance.now();
    const firedAt: number[] = [];
    const results = await openLoop(5, 20, async (i) => {
      firedAt.push(performance.now() - started);
      // Each event takes far longer than the interval: an open loop does not wait for it.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return i * 2;
    });
    expect(results).toEqual([0, 2, 4, 6, 8]);
    expect(firedAt[4] ?? 0).toBeGreaterThanOrEqual(75);
    expect(firedAt[4] ?? 0).toBeLessThan(180);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('untilQuiet waits for the first response and then a quiet period', async () => {
    let responses = 0;
    const timer = setInterval(() => {
      if (responses < 3) responses += 1;
    }, 30);
    try {
      const started = performance.now();
      const last = await untilQuiet(async () => ({ responses }), 150, 20, 2_000);
      expect(last.responses).toBe(3);
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      // Nothing ever arrives: gives up at maxMs with what it has.
      const empty = await untilQuiet(async () => ({ responses: 0 }), 50, 20, 200);
      expect(empty.responses).toBe(0);
    } finally {
      clearInterval(timer);
    }
  });

  it('mixedBehaviours marks 1 % of the streams, spread out', () => {
    const list = mixedBehaviours(1000, 0.01, 'slow');
    expect(list.filter((b) => b === 'slow')).toHaveLength(10);
    expect(list.filter((b) => b === 'healthy')).toHaveLength(990);
    expect(list[50]).toBe('slow');
    expect(list[0]).toBe('healthy');
    // Fewer than 100 streams still get one bad stream when the stride fits.
    expect(mixedBehaviours(60, 0.01, 'nack').filter((b) => b === 'nack')).toHaveLength(1);
  });

  it('changedNames lists resources whose bytes differ, ignoring added and removed ones', () => {
    const item = (name: string, byte: number): { name: string; version: string; any: Uint8Array } => ({ name, version: '', any: Uint8Array.of(byte) });
    const before: ResourceDump = { [TypeUrl.RouteConfiguration]: { version: '1', items: [item('a', 1), item('b', 2), item('gone', 3)] } };
    const after: ResourceDump = { [TypeUrl.RouteConfiguration]: { version: '2', items: [item('a', 1), item('b', 9), item('new', 4)] } };
    expect(changedNames(before, after, TypeUrl.RouteConfiguration)).toEqual(['b']);
    expect(changedNames(before, after, TypeUrl.Cluster)).toEqual([]);
  });
});
