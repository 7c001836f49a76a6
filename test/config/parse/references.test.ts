import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReferences, parseConfigFiles } from '../../../src/config/parse/index.ts';
import type { ConfigSnapshot } from '../../../src/config/types.ts';
import { parseRegistryFile } from '../../../src/registry/registry-file.ts';
import { policyDoc, serviceDoc } from './helpers.ts';

function snapshotOf(files: Array<{ name: string; text: string }>): ConfigSnapshot {
  const result = parseConfigFiles(files);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { revision: 1, documents: new Map(result.documents.map((d) => [d.id, d])) };
}

describe('checkReferences', () => {
  it('accepts the bookinfo example config against the bookinfo registry', () => {
    const root = join(import.meta.dirname, '../../../examples/bookinfo');
    const registry = parseRegistryFile(readFileSync(join(root, 'registry.yaml'), 'utf8'), 'registry.yaml');
    expect(registry.diagnostics).toEqual([]);
    const known = new Set(registry.instances.map((i) => {
      const { service, namespace } = i as { service: string; namespace: string };
      return `${service}.${namespace}`;
    }));
    expect(known.has('reviews.bookinfo')).toBe(true);
    const dir = join(root, 'config');
    const files = readdirSync(dir).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
    expect(checkReferences(snapshotOf(files), known)).toEqual([]);
  });

  it('names unknown services and subsets with file, line and field', () => {
    const reviews = serviceDoc([
      '  subsets: {v1: {version: v1}}',
      '  dependencies: [ratings.bookinfo, ratingz.bookinfo]',  // line 6
      '  routes:',
      '    - match: {path: /x}',
      '      to: [{service: ratings.bookinfo, subset: v2}]',   // line 9: ratings defines only v1
      '    - to: [{service: details.bookinfo, subset: v1}]',   // line 10: details has no ServiceConfig
      '      mirror: {service: ghost.bookinfo, percent: 5}',   // line 11
      '',
    ].join('\n'));
    const ratings = serviceDoc('  subsets: {v1: {version: v1}}\n', '{name: ratings, namespace: bookinfo}');
    const policy = policyDoc('  scope: {services: [reviews.bookinfo, nobody.bookinfo]}\n  defaults: {mirror: {service: ratings.bookinfo, subset: v9, percent: 1}}\n');
    const snapshot = snapshotOf([{ name: 'reviews.yaml', text: reviews }, { name: 'ratings.yaml', text: ratings }, { name: 'policy.yaml', text: policy }]);
    const found = checkReferences(snapshot, new Set(['details.bookinfo']));
    expect(found.map((d) => [d.source, d.field])).toEqual([
      ['reviews.yaml:6', 'spec.dependencies[1]'],
      ['reviews.yaml:9', 'spec.routes[0].to[0].subset'],
      ['reviews.yaml:10', 'spec.routes[1].to[0].subset'],
      ['reviews.yaml:11', 'spec.routes[1].mirror.service'],
      ['policy.yaml:5', 'spec.scope.services[1]'],
      ['policy.yaml:6', 'spec.defaults.mirror.subset'],
    ]);
    expect(found[0]?.message).toMatch(/unknown service "ratingz\.bookinfo" \(did you mean "ratings\.bookinfo"\?\); known services: details\.bookinfo, ratings\.bookinfo, reviews\.bookinfo/);
    expect(found[1]?.message).toBe('unknown subset "v2" of ratings.bookinfo (did you mean "v1"?); known subsets: v1');
    expect(found[2]?.message).toMatch(/details\.bookinfo has no ServiceConfig defining subsets/);
    expect(found.every((d) => d.severity === 'error')).toBe(true);
  });
});
