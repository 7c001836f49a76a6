/**
 * Golden tests: testdata/translate/<case>.in.yaml (registry + proxy node + optional config) → buildMeshModel →
 * parseNodeIdentity → viewFor → translateView → <case>.out.yaml (view summary, resources by type,
 * diagnostics). UPDATE_GOLDEN=1 rewrites the outputs and deletes orphaned .out.yaml files.
 */
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { checkConsistency, translateView, type TranslationResult } from '../../../src/xds/resources/translate.ts';
import { TYPE_SHORT_NAMES, TypeUrl } from '../../../src/xds/type-urls.ts';
import { GOLDEN_DIR as DIR, goldenCaseNames, loadGoldenCase } from './golden-cases.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const cases = goldenCaseNames();

function run(name: string): { output: Record<string, unknown>; resources: TranslationResult['resources'] } {
  const { view, nodeDiagnostics, modelDiagnostics, secrets } = loadGoldenCase(name);
  const translated = translateView(view);
  // Secrets come from the pipeline, not translateView; golden cases with `secrets` add them here.
  const result: TranslationResult = { ...translated, resources: { ...translated.resources, [TypeUrl.Secret]: secrets } };
  const { key: _key, visibleServices, ...viewRest } = view;
  const resources: Record<string, unknown> = {};
  for (const url of Object.values(TypeUrl)) {
    const list = result.resources[url];
    if (list.length > 0) resources[TYPE_SHORT_NAMES[url]] = list.map((r) => r.value);
  }
  const output = {
    view: { ...viewRest, visibleServices: visibleServices.map((s) => s.key) },
    resources,
    diagnostics: [...nodeDiagnostics, ...modelDiagnostics, ...result.diagnostics],
  };
  return { output, resources: result.resources };
}

describe('translate golden files', () => {
  it('has the expected cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of cases) {
    it(name, () => {
      const { output, resources } = run(name);
      const outPath = `${DIR}${name}.out.yaml`;
      // Plain JSON first: drops undefined and gives YAML a stable, comparable shape.
      const plain = JSON.parse(JSON.stringify(output)) as unknown;
      if (UPDATE) writeFileSync(outPath, YAML.stringify(plain, { lineWidth: 0, aliasDuplicateObjects: false }));
      expect(plain).toEqual(YAML.parse(readFileSync(outPath, 'utf8')));

      expect(checkConsistency(resources)).toEqual([]);
      for (const url of Object.values(TypeUrl)) {
        for (const { name: resourceName, value } of resources[url]) {
          expect(resourceName, `${url} name`).not.toBe('');
          expectValidEnvoy(url, value);
        }
      }
    });
  }

  it('leaves no orphaned outputs', () => {
    const orphans = readdirSync(DIR)
      .filter((f) => f.endsWith('.out.yaml'))
      .filter((f) => !cases.includes(f.slice(0, -'.out.yaml'.length)));
    if (UPDATE) for (const f of orphans) unlinkSync(`${DIR}${f}`);
    else expect(orphans).toEqual([]);
  });
});
