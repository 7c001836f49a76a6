import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { envoyRoot } from '../../../src/xds/proto/codec.ts';
import { unsupportedPatterns } from '../../../src/xds/proto/validate.ts';
import { planOf } from '../../../src/xds/proto/validate-plan.ts';
import { compileFieldRules, RULE_KEYS } from '../../../src/xds/proto/validate-rules.ts';

interface JsonNamespace {
  nested?: Record<string, JsonNamespace>;
  fields?: Record<string, { options?: Record<string, unknown> }>;
  oneofs?: Record<string, { options?: Record<string, unknown> }>;
  options?: Record<string, unknown>;
}

const bundle = JSON.parse(readFileSync(new URL('../../../proto/envoy-bundle.json', import.meta.url), 'utf8')) as JsonNamespace;

/** Every rule key path in the bundle (`repeated.items.string.min_len`) with how often it appears. */
function ruleKeyCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const addRules = (rules: unknown, prefix: string): void => {
    if (typeof rules !== 'object' || rules === null) return;
    for (const [family, body] of Object.entries(rules)) {
      for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
        const path = `${prefix}${family}.${key}`;
        if (key === 'items' || key === 'keys' || key === 'values') addRules(value, `${path}.`);
        else counts.set(path, (counts.get(path) ?? 0) + 1);
      }
    }
  };
  const walk = (ns: JsonNamespace): void => {
    for (const field of Object.values(ns.fields ?? {})) addRules(field.options?.['(validate.rules)'], '');
    for (const oneof of Object.values(ns.oneofs ?? {})) {
      for (const key of Object.keys(oneof.options ?? {})) if (key.includes('validate')) counts.set(`oneof ${key}`, (counts.get(`oneof ${key}`) ?? 0) + 1);
    }
    for (const key of Object.keys(ns.options ?? {})) if (key.includes('validate')) counts.set(`message ${key}`, (counts.get(`message ${key}`) ?? 0) + 1);
    for (const child of Object.values(ns.nested ?? {})) walk(child);
  };
  walk(bundle);
  return counts;
}

/** True when every segment of a rule key path is a family/key pair this checker knows. */
function recognized(path: string): boolean {
  if (path === 'oneof (validate.required)') return true;
  if (path === 'message (validate.disabled)' || path === 'message (validate.ignored)') return true;
  const parts = path.split('.');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const family = parts[i] ?? '';
    const key = parts[i + 1] ?? '';
    if (!RULE_KEYS[family]?.includes(key)) return false;
  }
  return parts.length % 2 === 0;
}

function allTypes(ns: protobuf.NamespaceBase, into: protobuf.Type[] = []): protobuf.Type[] {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) into.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) allTypes(nested, into);
  }
  return into;
}

describe('the checker covers every PGV rule in envoy-bundle.json', () => {
  const counts = ruleKeyCounts();

  it('finds the rules Envoy relies on most (the bundle walk itself works)', () => {
    expect(counts.get('string.min_len')).toBeGreaterThan(100);
    expect(counts.get('message.required')).toBeGreaterThan(40);
    expect(counts.get('enum.defined_only')).toBeGreaterThan(40);
    expect(counts.get('repeated.items.string.well_known_regex')).toBeGreaterThan(5);
    expect(counts.get('oneof (validate.required)')).toBeGreaterThan(50);
    // 437 fields carry rules (at least one key each) and 70 oneofs are required.
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(500);
  });

  it('recognizes every rule key path that appears', () => {
    const unknown = [...counts.keys()].filter((path) => !recognized(path));
    expect(unknown).toEqual([]);
  });

  it('compiles every field of every type without issues, and every pattern translates', () => {
    const types = allTypes(envoyRoot());
    expect(types.length).toBeGreaterThan(500);
    const issues = types.flatMap((type) => planOf(type).issues);
    expect(issues).toEqual([]);
    expect([...unsupportedPatterns]).toEqual([]);
    const required = types.flatMap((type) => planOf(type).oneofs.filter((o) => o.required));
    expect(required.length).toBe(counts.get('oneof (validate.required)'));
  });

  it('would fail on a rule it does not know (the check above can fail)', () => {
    const issues: string[] = [];
    const target = { kind: 'string', repeated: false, map: false, sensitive: false } as const;
    compileFieldRules({ string: { min_len: 1, shiny_new_rule: true } }, target, 'T.f', issues);
    compileFieldRules({ strings: { min_len: 1 } }, target, 'T.g', issues);
    compileFieldRules({ uint32: { lte: 5 } }, target, 'T.h', issues);
    expect(issues).toEqual(['T.f: unknown rule string.shiny_new_rule', 'T.g: unknown rule family strings', 'T.h: uint32 rules on a string field']);
    expect(recognized('string.shiny_new_rule')).toBe(false);
    expect(recognized('repeated.items.string.min_len')).toBe(true);
    expect(recognized('map.keys.strings.min_len')).toBe(false);
  });
});
