import { describe, expect, it } from 'vitest';
import { checkBounds } from '../../../src/config/merge/index.ts';
import type { ServiceSettings } from '../../../src/config/types.ts';
import { MESH, platformPolicy, serviceConfig, snapshotOf } from './fixtures.ts';

const meshBounds = platformPolicy(
  'mesh-defaults',
  MESH,
  {
    bounds: {
      'retries.attempts': { min: 1, max: 5 },
      timeout: { max: 30_000 },
      fault: { allowed: false },
      'loadBalancer.policy': { values: ['round_robin', 'least_request'] },
      'retries.on': { values: ['5xx', 'reset', 'unavailable'] },
    },
  },
  {
    file: 'mesh.yaml',
    lines: {
      'spec.bounds': 5,
      'spec.bounds.retries.attempts': 6,
      'spec.bounds.retries.attempts.max': 7,
      'spec.bounds.retries.attempts.min': 8,
      'spec.bounds.timeout': 9,
      'spec.bounds.fault': 10,
      'spec.bounds.loadBalancer.policy': 11,
    },
  },
);

function team(spec: ServiceSettings, lines: Record<string, number> = {}) {
  return serviceConfig('reviews', 'bookinfo', spec, { file: 'reviews.yaml', lines });
}

describe('checkBounds', () => {
  it('rejects a team timeout above max, naming field, value, bound, policy and both lines', () => {
    const diags = checkBounds(snapshotOf([meshBounds, team({ timeout: 45_000 }, { 'spec.timeout': 12 })]));
    expect(diags).toHaveLength(1);
    const d = diags[0];
    expect(d).toMatchObject({ severity: 'error', field: 'spec.timeout', source: 'reviews.yaml:12' });
    expect(d?.message).toContain('45s');
    expect(d?.message).toContain('max 30s');
    expect(d?.message).toContain('PlatformPolicy/mesh-defaults');
    expect(d?.message).toContain('mesh.yaml:9');
  });

  it('checks route-level values too, once per violated bound', () => {
    const spec: ServiceSettings = {
      retries: { attempts: 9 },
      routes: [
        { to: [{ subset: 'v1' }], timeout: 31_000, retries: { attempts: 0, on: ['reset', 'gateway-error', 'cancelled'] } },
        { to: [{ subset: 'v2' }], timeout: 30_000, fault: { abort: { percent: 1, httpStatus: 503 } } },
      ],
    };
    const diags = checkBounds(snapshotOf([meshBounds, team(spec, { 'spec.routes[0].timeout': 20, 'spec.routes[0].retries.on': 22 })]));
    const summary = diags.map((d) => `${d.severity} ${d.field} ${d.source}`).sort();
    expect(summary).toEqual(
      [
        'error spec.retries.attempts reviews.yaml:1',
        'error spec.routes[0].timeout reviews.yaml:20',
        'error spec.routes[0].retries.attempts reviews.yaml:1',
        'error spec.routes[0].retries.on[1] reviews.yaml:22',
        'error spec.routes[0].retries.on[2] reviews.yaml:22',
        'error spec.routes[1].fault reviews.yaml:1',
      ].sort(),
    );
    const byField = new Map(diags.map((d) => [d.field, d.message]));
    expect(byField.get('spec.retries.attempts')).toMatch(/9 exceeds max 5.*mesh\.yaml:7/);
    expect(byField.get('spec.routes[0].retries.attempts')).toMatch(/0 is below min 1.*mesh\.yaml:8/);
    expect(byField.get('spec.routes[0].retries.on[1]')).toContain('"gateway-error"');
    expect(byField.get('spec.routes[1].fault')).toMatch(/not allowed by PlatformPolicy\/mesh-defaults \(mesh\.yaml:10\)/);
  });

  it('accepts values inside bounds and ignores policies that do not apply', () => {
    const inside = team({ timeout: 30_000, retries: { attempts: 5, on: ['5xx'] }, loadBalancer: { policy: 'least_request' } });
    expect(checkBounds(snapshotOf([meshBounds, inside]))).toEqual([]);
    const elsewhere = platformPolicy('payments-only', { namespaces: ['payments'] }, { bounds: { timeout: { max: 1 } } });
    expect(checkBounds(snapshotOf([elsewhere, team({ timeout: 45_000 })]))).toEqual([]);
  });

  it('reports one diagnostic per policy whose bound is violated', () => {
    const ns = platformPolicy('bookinfo-limits', { namespaces: ['bookinfo'] }, { bounds: { timeout: { max: 10_000 } } });
    const diags = checkBounds(snapshotOf([ns, meshBounds, team({ timeout: 45_000, loadBalancer: { policy: 'random' } })]));
    expect(diags.map((d) => `${d.field} ${/PlatformPolicy\/[\w-]+/.exec(d.message)?.[0]}`).sort()).toEqual([
      'spec.loadBalancer.policy PlatformPolicy/mesh-defaults',
      'spec.timeout PlatformPolicy/bookinfo-limits',
      'spec.timeout PlatformPolicy/mesh-defaults',
    ]);
    expect(diags.find((d) => d.message.includes('bookinfo-limits'))?.message).toContain('max 10s');
  });

  it('warns (does not reject) platform defaults and overrides beyond an overlapping bound', () => {
    const loose = platformPolicy('bookinfo-defaults', { namespaces: ['bookinfo'] }, { defaults: { timeout: 60_000 }, overrides: { fault: { delay: { percent: 1, fixed: 5 } } } }, {
      file: 'ns.yaml',
      lines: { 'spec.defaults.timeout': 4, 'spec.overrides.fault': 6 },
    });
    const unrelated = platformPolicy('x', { services: ['a.payments'] }, { defaults: { timeout: 60_000 } });
    const diags = checkBounds(snapshotOf([meshBounds, loose]));
    expect(diags.map((d) => `${d.severity} ${d.field} ${d.source}`).sort()).toEqual([
      'warning spec.defaults.timeout ns.yaml:4',
      'warning spec.overrides.fault ns.yaml:6',
    ]);
    const onlyNs = platformPolicy('ns-bounds', { namespaces: ['bookinfo'] }, { bounds: { timeout: { max: 1 } } });
    expect(checkBounds(snapshotOf([onlyNs, unrelated]))).toEqual([]);
  });
});
