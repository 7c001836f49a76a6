import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExamples } from '../../src/registry/examples.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import { loadRegistryFile, parseRegistryFile, registerFromFile } from '../../src/registry/registry-file.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { recordingLogger } from './helpers.ts';

const EXAMPLE = new URL('../../examples/bookinfo/registry.yaml', import.meta.url).pathname;
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trellis-regfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registry files', () => {
  it('the bookinfo example loads cleanly and registers every service', async () => {
    const file = await loadRegistryFile(EXAMPLE);
    expect(file.diagnostics).toEqual([]);
    expect(file.instances).toHaveLength(8);
    expect(file.sources.every((s) => /registry\.yaml:\d+$/.test(s))).toBe(true);

    const registry = await createRegistry({ store: createMemoryStore(), log: recordingLogger() });
    try {
      const result = await registerFromFile(registry, EXAMPLE);
      expect(result).toEqual({ registered: 8, diagnostics: [] });
      const snap = registry.snapshot();
      expect([...snap.services.keys()].sort()).toEqual([
        'details.bookinfo', 'echo.demo', 'productpage.bookinfo', 'ratings.bookinfo', 'reviews.bookinfo',
      ]);
      expect(snap.services.get('echo.demo')?.protocol).toBe('grpc');
      expect(snap.services.get('reviews.bookinfo')?.protocol).toBe('http');
      const reviews = snap.instances.get('reviews.bookinfo') ?? [];
      expect(reviews.map((i) => i.labels['version']).sort()).toEqual(['v1', 'v2', 'v3']);
      expect(new Set([...snap.instances.values()].flat().map((i) => i.locality.zone))).toEqual(new Set(['a', 'b']));
      expect([...snap.instances.values()].flat().every((i) => i.origin === 'file' && i.address.startsWith('127.0.0.'))).toBe(true);
    } finally {
      await registry.close();
    }
  });

  it('broken YAML syntax reports file:line', () => {
    const text = 'services:\n  - name: reviews\n    instances: [\n      { address: 10.0.0.1, port: 1 \n';
    const file = parseRegistryFile(text, 'bad.yaml');
    expect(file.instances).toEqual([]);
    expect(file.diagnostics.length).toBeGreaterThan(0);
    expect(file.diagnostics[0]?.source).toMatch(/^bad\.yaml:\d+$/);
    expect(file.diagnostics[0]?.message).toMatch(/^YAML: /);
  });

  it('duplicate keys are reported at their line', () => {
    const text = ['services:', '  - name: a', '    name: b', '    instances: []', ''].join('\n');
    const file = parseRegistryFile(text, 'dup.yaml');
    expect(file.diagnostics.map((d) => d.source)).toContain('dup.yaml:3');
  });

  it('bad entries are dropped with file:line and path; good ones are kept', async () => {
    const text = [
      'services:',                          // 1
      '  - name: reviews',                  // 2
      '    namespace: bookinfo',            // 3
      '    protocol: http',                 // 4
      '    instances:',                     // 5
      '      - address: 10.0.0.1',          // 6
      '        port: 9080',                 // 7
      '      - address: 10.0.0.2',          // 8
      '        port: 99999',                // 9
      '        labels:',                    // 10
      '          app.kubernetes.io/name: 3', // 11
      '  - name: Bad_Name',                 // 12
      '    instances:',                     // 13
      '      - { address: 10.0.0.3, port: 1 }', // 14
      'instances:',                         // 15
      '  - service: echo',                  // 16
      '    namespace: demo',                // 17
      '    address: echo.local',            // 18
      '    port: 50051',                    // 19
      '  - { service: echo, namespace: demo, address: "fd00::1", port: 50051, colour: red }', // 20
      '  - { service: echo, namespace: demo, address: "fd00::2", port: 50051 }', // 21
      '',
    ].join('\n');
    const path = join(dir, 'registry.yaml');
    await writeFile(path, text);
    const file = await loadRegistryFile(path);
    const found = file.diagnostics.map((d) => [d.source?.replace(`${dir}/`, ''), d.field]);
    expect(found).toEqual([
      ['registry.yaml:9', 'services[0].instances[1].port'],
      ['registry.yaml:11', 'services[0].instances[1].labels.app.kubernetes.io/name'],
      ['registry.yaml:12', 'services[1].name'],
      ['registry.yaml:18', 'instances[0].address'],
      ['registry.yaml:20', 'instances[1].colour'],
    ]);
    expect(file.instances).toEqual([
      { address: '10.0.0.1', port: 9080, service: 'reviews', namespace: 'bookinfo', protocol: 'http' },
      { service: 'echo', namespace: 'demo', address: 'fd00::2', port: 50051 },
    ]);
    expect(file.sources.map((s) => s.replace(`${dir}/`, ''))).toEqual(['registry.yaml:6', 'registry.yaml:21']);
  });

  it('reports structural mistakes and instance fields that belong to the service', () => {
    const text = [
      'services:',
      '  - name: reviews',
      '    instances:',
      '      - { address: 10.0.0.1, port: 1, service: other }',
      '  - name: ratings',
      'extra: 1',
      '',
    ].join('\n');
    const file = parseRegistryFile(text, 'f.yaml');
    expect(file.diagnostics.map((d) => `${d.source} ${d.field}`)).toEqual([
      'f.yaml:6 extra',
      'f.yaml:4 services[0].instances[0].service',
      'f.yaml:5 services[1]',
    ]);
  });

  it('a missing file is a diagnostic, not an exception', async () => {
    const file = await loadRegistryFile(join(dir, 'nope.yaml'));
    expect(file.instances).toEqual([]);
    expect(file.diagnostics[0]?.message).toMatch(/cannot read/);
  });

  it('registration conflicts from a file carry the entry file:line', async () => {
    const path = join(dir, 'conflict.yaml');
    await writeFile(path, [
      'instances:',
      '  - { service: echo, address: 10.0.0.1, port: 1, protocol: grpc }',
      '  - { service: echo, address: 10.0.0.2, port: 1, protocol: http }',
      '',
    ].join('\n'));
    const registry = await createRegistry({ store: createMemoryStore(), log: recordingLogger() });
    try {
      const result = await registerFromFile(registry, path);
      expect(result.registered).toBe(1);
      expect(result.diagnostics.map((d) => [d.source, d.field])).toEqual([[`${path}:3`, 'protocol']]);
    } finally {
      await registry.close();
    }
  });
});

describe('loadExamples', () => {
  it('accepts the example folder or the file itself, and reports a folder without registry.yaml', async () => {
    const registry = await createRegistry({ store: createMemoryStore(), log: recordingLogger() });
    try {
      const folder = EXAMPLE.replace(/\/registry\.yaml$/, '');
      expect(await loadExamples(registry, folder)).toEqual({ loaded: 8, problems: [] });
      expect(await loadExamples(registry, EXAMPLE)).toEqual({ loaded: 8, problems: [] });
      // Upserts: loading twice keeps 8 instances.
      expect([...registry.snapshot().instances.values()].flat()).toHaveLength(8);
      const emptyDir = join(dir, 'config-only');
      await mkdir(emptyDir);
      const empty = await loadExamples(registry, emptyDir);
      expect(empty.loaded).toBe(0);
      expect(empty.problems[0]).toMatch(/registry\.yaml.*cannot read/);
    } finally {
      await registry.close();
    }
  });
});
