import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/lib/args.ts';
import { optionsOnly } from '../../bench/lib/scenario-process.ts';
import { calibrationMs } from '../../bench/lib/calibration.ts';
import { weightForChange } from '../../bench/lib/change-runs.ts';
import { generateInstances, generateRegistrySnapshot } from '../../bench/lib/mesh-generator.ts';
import { atMost, toMarkdown } from '../../bench/lib/report.ts';
import { median, percentile, summary } from '../../bench/lib/stats.ts';
import { convergenceNodes } from '../../bench/scenarios/endpoint-convergence.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose

  it('picks the smallest sample with at least q of the samples at or below it', () => {
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 1)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    // 20 samples: p99 is the 20th (ceil(19.8)), the median the 10th.
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(twenty, 0.99)).toBe(20);
    expect(median(twenty)).toBe(10);
    expect(median([3, 1, 2])).toBe(2);
  });

  it('does not reorder its input and rejects nonsense', () => {
    const input = [3, 1, 2];
    percentile(input, 0.5);
    expect(input).toEqual([3, 1, 2]);
    expect(Number.isNaN(percentile([], 0.5))).toBe(true);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
    expect(summary([5, 1, 9, 7])).toEqual({ p50: 5, p99: 9, max: 9 });
  });
});

describe('mesh generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateInstances({ services: 50, endpointsPerService: 3, seed: 7 });
    const b = generateInstances({ services: 50, endpointsPerService: 3, seed: 7 });
    const c = generateInstances({ services: 50, endpointsPerService: 3, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(150);
  });

  it('gives every service one protocol and unique addresses (the registry would refuse otherwise)', () => {
    const instances = generateInstances({ services: 300, endpointsPerService: 3 });
    const protocols = new Map<string, Set<unknown>>();
    for (const i of instances) {
      const key = `${String(i['service'])}.${String(i['namespace'])}`;
      protocols.set(key, (protocols.get(key) ?? new Set()).add(i['protocol']));
    }
    expect(protocols.size).toBe(300);
    expect([...protocols.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set(instances.map((i) => i['address'])).size).toBe(900);
    const kinds = new Set(instances.map((i) => i['protocol']));
    expect(kinds).toEqual(new Set(['http', 'grpc']));
  });

  it('builds the same mesh as a registry snapshot', () => {
    const snapshot = generateRegistrySnapshot({ services: 20, endpointsPerService: 2 });
    expect(snapshot.services.size).toBe(20);
    expect([...snapshot.instances.values()].every((list) => list.length === 2)).toBe(true);
  });
});

describe('bench arguments', () => {
  it('parses scenarios, sizes and switches', () => {
    const parsed = parseBenchArgs(['endpoint-convergence', '--services', '500', '--streams=40', '--quick', '--mode', 'both', '--no-pin']);
    expect(parsed).toEqual({
      ok: true,
      args: {
        scenarios: ['endpoint-convergence'],
        services: 500,
        streams: 40,
        quick: true,
        modes: ['sotw', 'delta'],
        changes: undefined,
        processes: undefined,
        pin: false,
        outDir: undefined,
        profile: false,
        help: false,
        resultsJson: undefined,
      },
    });
  });

  it('gives a scenario\'s own process the options without the scenario names or a results file', () => {
    const parsed = parseBenchArgs(['churn', '--results-json', 'out/results.json']);
    expect(parsed.ok && parsed.args.resultsJson).toBe('out/results.json');
    const names = new Set(['churn', 'memory']);
    expect(optionsOnly(['churn', '--quick', 'memory', '--streams', '40', '--results-json', 'x', '--out=dir', '--results-json=y'], names)).toEqual(['--quick', '--streams', '40', '--out=dir']);
    // A value that happens to be a scenario's name stays with its option.
    expect(optionsOnly(['--out', 'memory', 'churn'], names)).toEqual(['--out', 'memory']);
  });

  it('reports bad input as a message naming the option', () => {
    const bad = (argv: string[]): string => {
      const parsed = parseBenchArgs(argv);
      return parsed.ok ? 'accepted' : parsed.error;
    };
    expect(bad(['--services', 'ten'])).toContain('--services');
    expect(bad(['--streams', '0'])).toContain('--streams');
    expect(bad(['--services'])).toContain('--services');
    expect(bad(['--mode', 'xds'])).toContain('--mode');
    expect(bad(['--fast'])).toContain('--fast');
  });
});

describe('calibration', () => {
  it('times the fixed workload in milliseconds', () => {
    const ms = calibrationMs();
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(1);
    expect(ms).toBeLessThan(10_000);
  });
});

describe('report', () => {
  it('renders one section per result with met/unmet targets', () => {
    const text = toMarkdown(
      [{ name: 'x', sizes: { services: 10 }, metrics: [atMost('a', 3, 'ms', 5), atMost('b', 9, 'ms', 5)], notes: ['careful'] }],
      'test machine',
    );
    expect(text).toContain('Machine: test machine');
    expect(text).toContain('## x (services=10)');
    expect(text).toContain('| a | 3 | ms | <= 5 | yes |');
    expect(text).toContain('| b | 9 | ms | <= 5 | **no** |');
    expect(text).toContain('- careful');
  });
});

describe('convergence nodes', () => {
  it('puts four sidecars on each chosen service, services spread over the mesh', () => {
    const nodes = convergenceNodes(200, 1000);
    expect(nodes).toHaveLength(200);
    const services = new Map<string, number>();
    for (const node of nodes) {
      const service = String(node.metadata?.['trellis.service']);
      expect(node.metadata?.['trellis.kind']).toBe('sidecar');
      services.set(service, (services.get(service) ?? 0) + 1);
    }
    expect(services.size).toBe(50);
    expect([...services.values()].every((n) => n === 4)).toBe(true);
    expect(services.has('svc-00980')).toBe(true);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(200);
  });
});

describe('weightForChange', () => {
  it('stays within the API\'s 1-128 and changes between consecutive changes and a round of 50 apart', () => {
    for (const offset of [0, 131, 262, 1000]) {
      for (let i = 0; i < 400; i += 1) {
        const weight = weightForChange(i, offset);
        expect(weight).toBeGreaterThanOrEqual(1);
        expect(weight).toBeLessThanOrEqual(128);
        expect(weightForChange(i + 1, offset)).not.toBe(weight);
        expect(weightForChange(i + 50, offset)).not.toBe(weight);
      }
    }
  });
});
