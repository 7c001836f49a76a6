import { describe, expect, it } from 'vitest';
import { explainJson, explainService, formatExplain, formatMs, mergeService } from '../../../src/config/merge/index.ts';
import { MESH, platformPolicy, serviceConfig, snapshotOf } from './fixtures.ts';

const mesh = platformPolicy('mesh-defaults', MESH, { defaults: { timeout: 15_000, retries: { attempts: 2 } } }, {
  file: 'mesh.yaml',
  lines: { 'spec.defaults.timeout': 6, 'spec.defaults.retries.attempts': 7 },
});
const reviews = serviceConfig(
  'reviews',
  'bookinfo',
  { timeout: 2000, retries: { attempts: 3, perTryTimeout: 500 }, mirror: { subset: 'v2', percent: 10 }, routes: [{ to: [{ subset: 'v1' }], timeout: 1500 }] },
  { file: 'reviews.yaml', lines: { 'spec.timeout': 12, 'spec.retries.attempts': 14, 'spec.retries.perTryTimeout': 15, 'spec.mirror.percent': 17, 'spec.routes': 18 } },
);

describe('explain', () => {
  const rows = explainService(mergeService('reviews.bookinfo', snapshotOf([mesh, reviews])));

  it('formats durations, percents and lists, sorted by path', () => {
    expect(rows.map((r) => r.path)).toEqual([
      'loadBalancer.policy',
      'mirror.percent',
      'mirror.subset',
      'mtls.mode',
      'retries.attempts',
      'retries.perTryTimeout',
      'routes',
      'timeout',
    ]);
    const byPath = new Map(rows.map((r) => [r.path, r]));
    expect(byPath.get('timeout')).toEqual({
      path: 'timeout',
      value: '2s',
      layer: 'service',
      document: 'ServiceConfig/bookinfo/reviews',
      source: 'reviews.yaml:12',
      overrode: [{ value: '15s', layer: 'platform-default', document: 'PlatformPolicy/mesh-defaults', source: 'mesh.yaml:6' }],
    });
    expect(byPath.get('retries.perTryTimeout')?.value).toBe('500ms');
    expect(byPath.get('mirror.percent')?.value).toBe('10%');
    expect(byPath.get('routes')?.value).toBe('[{to: [{subset: v1}], timeout: 1500ms}]');
    expect(byPath.get('loadBalancer.policy')).toMatchObject({ value: 'round_robin', layer: 'builtin', document: 'builtin' });
    expect(byPath.get('loadBalancer.policy')?.source).toBeUndefined();
  });

  it('prints a table with provenance and what each value overrode', () => {
    const text = formatExplain(rows);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FIELD\s+VALUE\s+LAYER\s+SET BY\s+OVERRODE$/);
    const attempts = lines.find((l) => l.startsWith('retries.attempts'));
    expect(attempts).toMatch(
      /^retries\.attempts\s+3\s+service\s+ServiceConfig\/bookinfo\/reviews \(reviews\.yaml:14\)\s+overrode 2 from platform-default PlatformPolicy\/mesh-defaults \(mesh\.yaml:7\)$/,
    );
    // Columns line up: every row's LAYER column starts at the same offset.
    const col = lines[0]?.indexOf('LAYER') ?? -1;
    for (const l of lines.slice(1)) {
      if (!l.startsWith('routes')) expect(l.slice(col)).toMatch(/^(service|builtin|platform-default|platform-override)\b/);
    }
    expect(formatExplain([])).toBe('');
  });

  it('emits the rows as JSON', () => {
    expect(JSON.parse(explainJson(rows))).toEqual(rows);
  });

  it('formats milliseconds in the largest whole unit', () => {
    expect([0, 1, 500, 1500, 2000, 60_000, 90_000, 3_600_000].map(formatMs)).toEqual(['0s', '1ms', '500ms', '1500ms', '2s', '1m', '90s', '1h']);
  });
});
