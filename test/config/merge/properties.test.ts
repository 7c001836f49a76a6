/**
 * Property tests over generated policy/config sets. The oracle here is written from the issue's
 * precedence rule (builtin < defaults wide→narrow < team < overrides wide→narrow, ties by name),
 * independently of the merge's own code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBounds, mergeService } from '../../../src/config/merge/index.ts';
import type { Bound, ConfigDocument, PolicyScope, RouteSpec, ServiceSettings } from '../../../src/config/types.ts';
import { platformPolicy, serviceConfig, snapshotOf, type PolicyParts } from './fixtures.ts';

const NAMESPACES = ['ns-a', 'ns-b'] as const;
const SERVICES = ['svc1.ns-a', 'svc2.ns-a', 'svc1.ns-b'] as const;
const TARGET = 'svc1.ns-a';

const scopeArb: fc.Arbitrary<PolicyScope> = fc.oneof(
  fc.constant({ namespaces: ['*'] }),
  fc.subarray([...NAMESPACES], { minLength: 1 }).map((namespaces) => ({ namespaces })),
  fc.subarray([...SERVICES], { minLength: 1 }).map((services) => ({ services })),
);

const routeArb: fc.Arbitrary<RouteSpec> = fc.record(
  {
    to: fc.constant([{ subset: 'v1' }]),
    timeout: fc.constantFrom(1000, 20_000, 45_000),
    retries: fc.record({ attempts: fc.integer({ min: 0, max: 8 }), on: fc.subarray(['5xx', 'reset', 'cancelled']) }, { requiredKeys: [] }),
    fault: fc.constant({ abort: { percent: 5, httpStatus: 503 } }),
  },
  { requiredKeys: ['to'] },
);

// Small value pools so equal values at several layers happen often.
const settingsArb: fc.Arbitrary<ServiceSettings> = fc.record(
  {
    protocol: fc.constantFrom('http' as const, 'grpc' as const, 'tcp' as const),
    timeout: fc.constantFrom(1000, 2000, 45_000),
    retries: fc.record({ attempts: fc.integer({ min: 0, max: 8 }), on: fc.subarray(['5xx', 'reset', 'unavailable', 'gateway-error']) }, { requiredKeys: [] }),
    subsets: fc.dictionary(fc.constantFrom('v1', 'v2', 'v3'), fc.record({ version: fc.constantFrom('a', 'b') }), { maxKeys: 3 }),
    loadBalancer: fc.record({ policy: fc.constantFrom('round_robin' as const, 'least_request' as const, 'random' as const) }, { requiredKeys: [] }),
    fault: fc.record({ delay: fc.record({ percent: fc.constantFrom(1, 50), fixed: fc.constantFrom(100, 2000) }) }, { requiredKeys: [] }),
    routes: fc.array(routeArb, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const boundsArb: fc.Arbitrary<Record<string, Bound>> = fc.record(
  {
    timeout: fc.record({ max: fc.constantFrom(1000, 30_000) }),
    'retries.attempts': fc.record({ min: fc.constantFrom(0, 1), max: fc.constantFrom(3, 5) }, { requiredKeys: [] }),
    fault: fc.constant({ allowed: false }),
    'loadBalancer.policy': fc.subarray(['round_robin', 'least_request', 'random']).map((values) => ({ values })),
    'retries.on': fc.subarray(['5xx', 'reset', 'unavailable']).map((values) => ({ values })),
  },
  { requiredKeys: [] },
);

interface PolicyGen {
  readonly name: string;
  readonly scope: PolicyScope;
  readonly defaults: ServiceSettings | undefined;
  readonly overrides: ServiceSettings | undefined;
  readonly bounds: Record<string, Bound> | undefined;
}

const policyArb: fc.Arbitrary<PolicyGen> = fc.record({
  name: fc.constantFrom('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'),
  scope: scopeArb,
  defaults: fc.option(settingsArb, { nil: undefined }),
  overrides: fc.option(settingsArb, { nil: undefined }),
  bounds: fc.option(boundsArb, { nil: undefined }),
});

interface World {
  readonly policies: readonly PolicyGen[];
  readonly teams: ReadonlyArray<readonly [string, ServiceSettings]>;
}

const worldArb: fc.Arbitrary<World> = fc.record({
  policies: fc.uniqueArray(policyArb, { selector: (p) => p.name, maxLength: 6 }),
  teams: fc.uniqueArray(fc.tuple(fc.constantFrom(...SERVICES), settingsArb), { selector: (t) => t[0], maxLength: 3 }),
});

function docsOf(world: World): ConfigDocument[] {
  const docs: ConfigDocument[] = world.policies.map((p) => {
    const parts: { -readonly [K in keyof PolicyParts]: PolicyParts[K] } = {};
    if (p.defaults !== undefined) parts.defaults = p.defaults;
    if (p.overrides !== undefined) parts.overrides = p.overrides;
    if (p.bounds !== undefined) parts.bounds = p.bounds;
    return platformPolicy(p.name, p.scope, parts);
  });
  for (const [key, spec] of world.teams) {
    const [name = '', namespace = ''] = key.split('.');
    docs.push(serviceConfig(name, namespace, spec, { file: `${key}.yaml` }));
  }
  return docs;
}

// ---- the oracle ------------------------------------------------------------------------------

function rankOf(scope: PolicyScope, key: string): number | undefined {
  if (scope.services?.includes(key)) return 2;
  if (scope.namespaces?.includes(key.split('.')[1] ?? '')) return 1;
  if (scope.namespaces?.includes('*')) return 0;
  return undefined;
}

interface Setter {
  readonly layer: string;
  readonly document: string;
  readonly settings: ServiceSettings;
  readonly rank: number;
}

function setters(world: World, key: string): Setter[] {
  const applicable = world.policies
    .map((p) => ({ p, rank: rankOf(p.scope, key) }))
    .filter((x): x is { p: PolicyGen; rank: number } => x.rank !== undefined)
    .sort((a, b) => a.rank - b.rank || (a.p.name < b.p.name ? -1 : 1));
  const out: Setter[] = [{ layer: 'builtin', document: 'builtin', settings: { loadBalancer: { policy: 'round_robin' }, mtls: { mode: 'DISABLE' } }, rank: -1 }];
  for (const { p, rank } of applicable) if (p.defaults) out.push({ layer: 'platform-default', document: `PlatformPolicy/${p.name}`, settings: p.defaults, rank });
  const team = world.teams.find(([k]) => k === key);
  if (team) out.push({ layer: 'service', document: `ServiceConfig/${key.split('.')[1]}/${key.split('.')[0]}`, settings: team[1], rank: 3 });
  for (const { p, rank } of applicable) if (p.overrides) out.push({ layer: 'platform-override', document: `PlatformPolicy/${p.name}`, settings: p.overrides, rank });
  return out;
}

const CHECKED: Record<string, (s: ServiceSettings) => unknown> = {
  protocol: (s) => s.protocol,
  timeout: (s) => s.timeout,
  'retries.attempts': (s) => s.retries?.attempts,
  'retries.on': (s) => s.retries?.on,
  'subsets.v1': (s) => s.subsets?.['v1'],
  'subsets.v3': (s) => s.subsets?.['v3'],
  'loadBalancer.policy': (s) => s.loadBalancer?.policy,
  'fault.delay.fixed': (s) => s.fault?.delay?.fixed,
  routes: (s) => s.routes,
};

/** Leaves of settings per the issue: routes/protocol/timeout/dependencies whole, subsets per key, the rest per nested field. */
function leafPaths(settings: ServiceSettings): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    else out.push(path);
  };
  for (const [field, value] of Object.entries(settings)) {
    if (['routes', 'protocol', 'timeout', 'dependencies'].includes(field)) out.push(field);
    else if (field === 'subsets') for (const k of Object.keys(value as object)) out.push(`subsets.${k}`);
    else walk(value, field);
  }
  return out.sort();
}

function at(value: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);
}

// ---- properties -------------------------------------------------------------------------------

describe('merge properties', () => {
  it('each leaf comes from the highest layer that sets it and lists every lower setter', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const eff = mergeService(TARGET, snapshotOf(docsOf(world)));
        const chain = setters(world, TARGET);
        for (const [path, get] of Object.entries(CHECKED)) {
          const set = chain.filter((s) => get(s.settings) !== undefined);
          const p = eff.provenance.get(path);
          const top = set[set.length - 1];
          if (top === undefined) {
            expect(p).toBeUndefined();
            expect(get(eff.settings)).toBeUndefined();
            continue;
          }
          expect(p?.layer).toBe(top.layer);
          expect(p?.document).toBe(top.document);
          expect(p?.value).toEqual(get(top.settings));
          expect(get(eff.settings)).toEqual(get(top.settings));
          // Equal values at lower layers are still listed as overridden.
          expect(p?.overrode.map((o) => [o.layer, o.document, o.value])).toEqual(set.slice(0, -1).map((s) => [s.layer, s.document, get(s.settings)]));
        }
      }),
    );
  });

  it('an override beats team and defaults; the team beats defaults; narrower beats wider', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const p = mergeService(TARGET, snapshotOf(docsOf(world))).provenance.get('timeout');
        const chain = setters(world, TARGET).filter((s) => s.settings.timeout !== undefined);
        const overrides = chain.filter((s) => s.layer === 'platform-override');
        const defaults = chain.filter((s) => s.layer === 'platform-default');
        if (overrides.length > 0) {
          expect(p?.layer).toBe('platform-override');
          const narrowest = Math.max(...overrides.map((o) => o.rank));
          expect(overrides.find((o) => o.document === p?.document)?.rank).toBe(narrowest);
        } else if (chain.some((s) => s.layer === 'service')) {
          expect(p?.layer).toBe('service');
        } else if (defaults.length > 0) {
          expect(p?.layer).toBe('platform-default');
          expect(defaults.find((d) => d.document === p?.document)?.rank).toBe(Math.max(...defaults.map((d) => d.rank)));
        } else {
          expect(p).toBeUndefined();
        }
      }),
    );
  });

  it('does not depend on document order', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) => {
          const docs = docsOf(world);
          return fc.tuple(fc.constant(docs), fc.shuffledSubarray(docs, { minLength: docs.length, maxLength: docs.length }), fc.constantFrom(...SERVICES));
        }),
        ([docs, shuffled, key]) => {
          const a = mergeService(key, snapshotOf(docs));
          const b = mergeService(key, snapshotOf(shuffled));
          expect(b.settings).toEqual(a.settings);
          expect([...b.provenance]).toEqual([...a.provenance]);
          expect(checkBounds(snapshotOf(shuffled))).toEqual(checkBounds(snapshotOf(docs)));
        },
      ),
    );
  });

  it('gives every leaf provenance and no provenance without a leaf', () => {
    fc.assert(
      fc.property(worldArb, fc.constantFrom(...SERVICES), (world, key) => {
        const eff = mergeService(key, snapshotOf(docsOf(world)));
        expect([...eff.provenance.keys()].sort()).toEqual(leafPaths(eff.settings));
        for (const [path, p] of eff.provenance) {
          expect(at(eff.settings, path)).toEqual(p.value);
          if (p.layer !== 'builtin') expect(p.source?.line).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('bounds properties', () => {
  /** Expected `file|field|policy` per violation, from the bound rules stated in the issue. */
  function expectedViolations(world: World): string[] {
    const out: string[] = [];
    for (const [key, spec] of world.teams) {
      const sites: Array<[string, unknown]> = [['spec', spec], ...(spec.routes ?? []).map((r, i): [string, unknown] => [`spec.routes[${i}]`, r])];
      for (const p of world.policies) {
        if (rankOf(p.scope, key) === undefined || p.bounds === undefined) continue;
        for (const [path, bound] of Object.entries(p.bounds)) {
          for (const [prefix, site] of sites) {
            const v = at(site, path);
            if (v === undefined) continue;
            const tag = (field: string): string => `${key}.yaml|${field}|PlatformPolicy/${p.name}`;
            if (bound.allowed === false) out.push(tag(`${prefix}.${path}`));
            else if (typeof v === 'number' && ((bound.min !== undefined && v < bound.min) || (bound.max !== undefined && v > bound.max))) out.push(tag(`${prefix}.${path}`));
            else if (typeof v === 'string' && bound.values && !bound.values.includes(v)) out.push(tag(`${prefix}.${path}`));
            else if (Array.isArray(v) && bound.values) {
              v.forEach((e: unknown, i) => {
                if (typeof e === 'string' && !bound.values?.includes(e)) out.push(tag(`${prefix}.${path}[${i}]`));
              });
            }
          }
        }
      }
    }
    return out.sort();
  }

  it('reports every violating team value exactly once per violated bound, and nothing else', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const errors = checkBounds(snapshotOf(docsOf(world))).filter((d) => d.severity === 'error');
        const actual = errors.map((d) => `${d.source?.split(':')[0]}|${d.field}|${/PlatformPolicy\/[a-z]+/.exec(d.message)?.[0]}`).sort();
        expect(actual).toEqual(expectedViolations(world));
        for (const d of errors) {
          expect(d.source).toMatch(/^svc\d\.ns-[ab]\.yaml:\d+$/);
          // The policy's own file:line where the bound is declared.
          expect(d.message).toMatch(/\((alpha|beta|gamma|delta|epsilon|zeta)\.yaml:\d+\)$/);
        }
      }),
    );
  });

  it('never turns platform values into errors', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const onlyPolicies: World = { policies: world.policies, teams: [] };
        expect(checkBounds(snapshotOf(docsOf(onlyPolicies))).every((d) => d.severity === 'warning')).toBe(true);
      }),
    );
  });
});
