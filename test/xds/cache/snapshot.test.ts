import { describe, expect, it } from 'vitest';
import { buildSnapshot, patchResourceSet, resourceSet, sameContent, withResourceSet } from '../../../src/xds/cache/snapshot.ts';
import type { EncodedResource, ResourceSet } from '../../../src/xds/cache/types.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';

function item(name: string, version: string): EncodedResource {
  return { name, version, any: new TextEncoder().encode(`${name}:${version}`) };
}

function items(count: number, tag = 'v1'): EncodedResource[] {
  return Array.from({ length: count }, (_, i) => item(`cluster-${String(i).padStart(4, '0')}`, `${tag}-${i}`));
}

function contents(set: ResourceSet): Array<[string, string]> {
  return [...set.items.values()].map((r) => [r.name, r.version]);
}

describe('resourceSet versions', () => {
  it('do not depend on the order items were given in, and items iterate sorted by name', () => {
    const list = items(50);
    const shuffled = [...list].reverse();
    const a = resourceSet(list);
    const b = resourceSet(shuffled);
    expect(b.version).toBe(a.version);
    expect([...b.items.keys()]).toEqual(list.map((r) => r.name));
  });

  it('change when any item version changes, and when versions swap between names', () => {
    const a = resourceSet([item('x', '1'), item('y', '2')]);
    expect(resourceSet([item('x', '1'), item('y', '3')]).version).not.toBe(a.version);
    expect(resourceSet([item('x', '2'), item('y', '1')]).version).not.toBe(a.version);
    expect(resourceSet([item('x', '1')]).version).not.toBe(a.version);
    expect(resourceSet([]).version).not.toBe(resourceSet([item('x', '1')]).version);
  });
});

describe('patchResourceSet', () => {
  it('equals the set built from scratch with the same content (version, items, order)', () => {
    const before = resourceSet(items(200));
    const patched = patchResourceSet(before, [item('cluster-0007', 'new-7'), item('cluster-0150', 'new-150')]);
    const expected = resourceSet([...items(200).filter((r) => r.name !== 'cluster-0007' && r.name !== 'cluster-0150'), item('cluster-0007', 'new-7'), item('cluster-0150', 'new-150')]);
    expect(patched.version).toBe(expected.version);
    expect(patched.version).not.toBe(before.version);
    expect(contents(patched)).toEqual(contents(expected));
    expect(patched.items.get('cluster-0007')?.version).toBe('new-7');
    expect(patched.items.size).toBe(200);
    // The original set is untouched.
    expect(before.items.get('cluster-0007')?.version).toBe('v1-7');
  });

  it('stays equal to a from-scratch build over many successive patches (past any flattening)', () => {
    const size = 300;
    let set = resourceSet(items(size));
    const truth = new Map(items(size).map((r) => [r.name, r] as const));
    for (let round = 0; round < 400; round += 1) {
      const name = `cluster-${String((round * 37) % size).padStart(4, '0')}`;
      const next = item(name, `r${round}`);
      truth.set(name, next);
      set = patchResourceSet(set, [next]);
      if (round % 50 === 49) {
        const scratch = resourceSet(truth.values());
        expect(set.version).toBe(scratch.version);
        expect(contents(set)).toEqual(contents(scratch));
      }
    }
  });

  it('returns the same set when nothing changes, and going back restores the old version', () => {
    const before = resourceSet(items(10));
    expect(patchResourceSet(before, [item('cluster-0003', 'v1-3')])).toBe(before);
    const changed = patchResourceSet(before, [item('cluster-0003', 'other')]);
    expect(patchResourceSet(changed, [item('cluster-0003', 'v1-3')]).version).toBe(before.version);
  });

  it('falls back to a full rebuild when a name is new', () => {
    const before = resourceSet(items(5));
    const patched = patchResourceSet(before, [item('aaa-new', '1')]);
    const expected = resourceSet([...items(5), item('aaa-new', '1')]);
    expect(patched.version).toBe(expected.version);
    expect([...patched.items.keys()][0]).toBe('aaa-new');
  });

  it('replaces one type\'s set without rebuilding: same object when the set is the same, same version as a full build', () => {
    const before = buildSnapshot({ [TypeUrl.Cluster]: resourceSet([item('c', '1')]), [TypeUrl.ClusterLoadAssignment]: resourceSet(items(3)) });
    expect(withResourceSet(before, TypeUrl.ClusterLoadAssignment, before.resources[TypeUrl.ClusterLoadAssignment])).toBe(before);
    const endpoints = resourceSet([...items(2), item('cluster-0002', 'x')]);
    const replaced = withResourceSet(before, TypeUrl.ClusterLoadAssignment, endpoints);
    expect(replaced.resources[TypeUrl.Cluster]).toBe(before.resources[TypeUrl.Cluster]);
    expect(replaced.resources[TypeUrl.ClusterLoadAssignment]).toBe(endpoints);
    expect(replaced.version).toBe(buildSnapshot({ ...before.resources, [TypeUrl.ClusterLoadAssignment]: endpoints }).version);
    expect(replaced.version).not.toBe(before.version);
  });

  it('tells snapshots of equal content apart from changed ones without hashing them', () => {
    const a = buildSnapshot({ [TypeUrl.Cluster]: resourceSet([item('c', '1')]) });
    const equal = buildSnapshot({ [TypeUrl.Cluster]: resourceSet([item('c', '1')]) });
    const changed = buildSnapshot({ [TypeUrl.Cluster]: resourceSet([item('c', '2')]) });
    const moreTypes = buildSnapshot({ [TypeUrl.Cluster]: resourceSet([item('c', '1')]), [TypeUrl.Secret]: resourceSet([item('s', '1')]) });
    expect(equal.resources[TypeUrl.Cluster]).not.toBe(a.resources[TypeUrl.Cluster]);
    expect(sameContent(a, equal)).toBe(true);
    expect(sameContent(a, changed)).toBe(false);
    expect(sameContent(a, moreTypes)).toBe(false);
  });

  it('gives a snapshot the same version as one built from scratch', () => {
    const clusters = resourceSet([item('c', '1')]);
    const before = buildSnapshot({ [TypeUrl.Cluster]: clusters, [TypeUrl.ClusterLoadAssignment]: resourceSet(items(20)) });
    const patched = buildSnapshot({ ...before.resources, [TypeUrl.ClusterLoadAssignment]: patchResourceSet(before.resources[TypeUrl.ClusterLoadAssignment], [item('cluster-0001', 'z')]) });
    const scratch = buildSnapshot({
      [TypeUrl.Cluster]: resourceSet([item('c', '1')]),
      [TypeUrl.ClusterLoadAssignment]: resourceSet([...items(20).filter((r) => r.name !== 'cluster-0001'), item('cluster-0001', 'z')]),
    });
    expect(patched.version).toBe(scratch.version);
    expect(patched.version).not.toBe(before.version);
  });
});
