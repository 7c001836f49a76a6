import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigFiles, serializeDocument, SETTINGS_FIELDS, SETTINGS_FIELD_KINDS } from '../../../src/config/parse/index.ts';
import type { Diagnostic } from '../../../src/util/errors.ts';
import { serviceConfigArbitrary, toRaw } from './arbitraries.ts';

/** Every diagnostic names the file and a real line of it. */
function expectSourced(diagnostics: readonly Diagnostic[], text: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  for (const d of diagnostics) {
    const match = /^f\.yaml:(\d+)$/.exec(d.source ?? '');
    expect(match, JSON.stringify(d)).not.toBeNull();
    const line = Number(match?.[1]);
    expect(line).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(lineCount);
    expect(typeof d.field).toBe('string');
    expect(d.message.length).toBeGreaterThan(0);
  }
}

function parseChecked(text: string): ReturnType<typeof parseConfigFiles> {
  const result = parseConfigFiles([{ name: 'f.yaml', text }]);
  expectSourced(result.diagnostics, text);
  return result;
}

const HEADER = 'apiVersion: trellis.dev/v1alpha1\n';
const jsonish = fc.jsonValue({ maxDepth: 4 });

describe('parser fuzzing', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '&x', '*x', '---\n', '"', '#', '!!', '?', '|', '\t'), { maxLength: 80 }).map((parts) => parts.join(''))),
    (text) => {
      parseChecked(text);
      parseChecked(`${HEADER}kind: ServiceConfig\nmetadata: {name: a}\nspec:\n  ${text}`);
    }), { numRuns: 400 });
  });

  it('never throws on arbitrary JSON-ish values dumped to YAML, at any level', () => {
    fc.assert(fc.property(jsonish, fc.constantFrom('ServiceConfig', 'PlatformPolicy'), (value, kind) => {
      parseChecked(stringify(value));
      parseChecked(stringify({ apiVersion: 'trellis.dev/v1alpha1', kind, metadata: { name: 'a' }, spec: value }));
      parseChecked(stringify({ apiVersion: 'trellis.dev/v1alpha1', kind: 'PlatformPolicy', metadata: { name: 'a' }, spec: { scope: { namespaces: ['*'] }, bounds: value } }));
    }), { numRuns: 300 });
  });

  it('never throws when known fields hold arbitrary values', () => {
    const boundPaths = Object.keys(SETTINGS_FIELD_KINDS);
    fc.assert(fc.property(
      fc.dictionary(fc.constantFrom(...SETTINGS_FIELDS), jsonish, { maxKeys: 4 }),
      fc.dictionary(fc.constantFrom(...boundPaths), fc.dictionary(fc.constantFrom('min', 'max', 'allowed', 'values'), jsonish), { maxKeys: 3 }),
      (spec, bounds) => {
        parseChecked(stringify({ apiVersion: 'trellis.dev/v1alpha1', kind: 'ServiceConfig', metadata: { name: 'a' }, spec }));
        parseChecked(stringify({ apiVersion: 'trellis.dev/v1alpha1', kind: 'PlatformPolicy', metadata: { name: 'p' }, spec: { scope: { namespaces: ['*'] }, defaults: spec, overrides: spec, bounds } }));
      },
    ), { numRuns: 300 });
  });

  it('parses generated valid ServiceConfigs without errors and round-trips them', () => {
    fc.assert(fc.property(serviceConfigArbitrary, ({ name, namespace, spec }) => {
      const raw = { apiVersion: 'trellis.dev/v1alpha1', kind: 'ServiceConfig', metadata: { name, namespace }, spec: toRaw(spec) };
      const text = stringify(raw);
      const result = parseChecked(text);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const [doc] = result.documents;
      expect(doc?.id).toBe(`ServiceConfig/${namespace}/${name}`);
      expect(doc?.spec).toEqual(spec);
      expect(doc?.raw).toEqual(raw);
      if (doc === undefined) return;
      const again = parseConfigFiles([{ name: 'f.yaml', text: serializeDocument(doc) }]);
      expect(again.documents[0]?.spec).toEqual(spec);
      expect(again.documents[0]?.raw).toEqual(raw);
    }), { numRuns: 200 });
  });
});
