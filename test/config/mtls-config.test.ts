/**
 * The `mtls` setting end to end through the config stage: parser validation (with line numbers),
 * the builtin DISABLE default, layering (a platform override enforcing STRICT beats a team's
 * DISABLE, with provenance) and bounds on `mtls.mode`.
 */
import { describe, expect, it } from 'vitest';
import { checkBounds, mergeService } from '../../src/config/merge/index.ts';
import type { ServiceConfigDocument } from '../../src/config/types.ts';
import { MESH, platformPolicy, serviceConfig, snapshotOf } from './merge/fixtures.ts';
import { errors, parseOne, policyDoc, serviceDoc } from './parse/helpers.ts';

describe('mtls: parsing', () => {
  it('reads each mode in a ServiceConfig and in policy defaults and overrides', () => {
    for (const mode of ['STRICT', 'PERMISSIVE', 'DISABLE'] as const) {
      const result = parseOne(serviceDoc(`  mtls: {mode: ${mode}}\n`));
      expect(result.diagnostics).toEqual([]);
      const doc = result.documents[0] as ServiceConfigDocument | undefined;
      expect(doc?.spec.mtls).toEqual({ mode });
    }
    const policy = parseOne(policyDoc('  scope: {namespaces: [payments]}\n  defaults:\n    mtls: {mode: PERMISSIVE}\n  overrides:\n    mtls: {mode: STRICT}\n'));
    expect(policy.diagnostics).toEqual([]);
    expect(policy.documents[0]?.spec).toMatchObject({ defaults: { mtls: { mode: 'PERMISSIVE' } }, overrides: { mtls: { mode: 'STRICT' } } });
  });

  it.each([
    ['lowercase mode', '  mtls: {mode: strict}\n', 'spec.mtls.mode', /expected one of STRICT, PERMISSIVE, DISABLE, got the string "strict" \(did you mean "STRICT"\?\)/],
    ['missing mode', '  mtls: {}\n', 'spec.mtls', /mode is required: one of STRICT, PERMISSIVE, DISABLE/],
    ['unknown field', '  mtls: {mode: STRICT, sni: x}\n', 'spec.mtls.sni', /unknown field "sni".*allowed fields: mode/],
    ['not a mapping', '  mtls: STRICT\n', 'spec.mtls', /expected an mtls setting \(a mapping with fields mode\), got the string "STRICT"/],
  ])('rejects %s at its line', (_name, spec, field, message) => {
    const result = parseOne(serviceDoc(spec));
    const match = errors(result.diagnostics).find((d) => d.field === field && message.test(d.message));
    expect(match, JSON.stringify(result.diagnostics)).toBeDefined();
    expect(match?.source).toBe('bad.yaml:5');
    expect(result.documents).toEqual([]);
  });

  it('accepts a values bound on mtls.mode and rejects values outside the modes', () => {
    const ok = parseOne(policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    mtls.mode: {values: [STRICT, PERMISSIVE]}\n'));
    expect(ok.diagnostics).toEqual([]);
    const bad = parseOne(policyDoc('  scope: {namespaces: ["*"]}\n  bounds:\n    mtls.mode: {values: [STRICT, OFF]}\n'));
    expect(errors(bad.diagnostics).map((d) => d.field)).toEqual(['spec.bounds.mtls.mode.values[1]']);
  });
});

describe('mtls: layering', () => {
  const KEY = 'pay.payments';

  it('defaults to DISABLE from the builtin layer', () => {
    const eff = mergeService(KEY, snapshotOf([serviceConfig('pay', 'payments', { timeout: 1000 })]));
    expect(eff.settings.mtls).toEqual({ mode: 'DISABLE' });
    expect(eff.provenance.get('mtls.mode')).toMatchObject({ layer: 'builtin', document: 'builtin', overrode: [] });
  });

  it('a platform override enforcing STRICT beats a team DISABLE (and a platform default)', () => {
    const team = serviceConfig('pay', 'payments', { mtls: { mode: 'DISABLE' } }, { file: 'pay.yaml' });
    const platform = platformPolicy('strict-payments', { namespaces: ['payments'] }, {
      defaults: { mtls: { mode: 'PERMISSIVE' } },
      overrides: { mtls: { mode: 'STRICT' } },
    }, { file: 'platform.yaml' });
    const eff = mergeService(KEY, snapshotOf([team, platform]));
    expect(eff.settings.mtls).toEqual({ mode: 'STRICT' });
    const p = eff.provenance.get('mtls.mode');
    expect(p).toMatchObject({ layer: 'platform-override', document: 'PlatformPolicy/strict-payments', value: 'STRICT' });
    expect(p?.overrode.map((o) => `${o.layer}=${String(o.value)}`)).toEqual(['builtin=DISABLE', 'platform-default=PERMISSIVE', 'service=DISABLE']);
    // The override applies to its scope only.
    expect(mergeService('web.shop', snapshotOf([team, platform])).settings.mtls).toEqual({ mode: 'DISABLE' });
  });

  it('a team may weaken a platform default (only an override enforces)', () => {
    const team = serviceConfig('pay', 'payments', { mtls: { mode: 'DISABLE' } });
    const platform = platformPolicy('mesh', MESH, { defaults: { mtls: { mode: 'STRICT' } } });
    expect(mergeService(KEY, snapshotOf([team, platform])).settings.mtls).toEqual({ mode: 'DISABLE' });
  });

  it('a values bound on mtls.mode refuses a team DISABLE', () => {
    const team = serviceConfig('pay', 'payments', { mtls: { mode: 'DISABLE' } });
    const platform = platformPolicy('mesh', MESH, { bounds: { 'mtls.mode': { values: ['STRICT', 'PERMISSIVE'] } } });
    const diags = checkBounds(snapshotOf([team, platform]));
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ severity: 'error', field: 'spec.mtls.mode' });
    expect(diags[0]?.message).toContain('"DISABLE" is not one of [STRICT, PERMISSIVE]');
    expect(checkBounds(snapshotOf([serviceConfig('pay', 'payments', { mtls: { mode: 'STRICT' } }), platform]))).toEqual([]);
  });
});
