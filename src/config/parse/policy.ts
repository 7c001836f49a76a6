/** PlatformPolicy spec: scope, defaults, overrides and bounds. */
import type { Bound, PlatformPolicySpec, PolicyScope } from '../types.ts';
import { compact, describeValue, isDnsLabel, readBoolean, readDuration, readNumber, readObject, readServiceKey, readString, readStringList, isRecord } from './checker.ts';
import type { Checker } from './checker.ts';
import { hint } from './did-you-mean.ts';
import { SETTINGS_FIELD_ENUMS, SETTINGS_FIELD_KINDS, settingsFieldKind } from './field-paths.ts';
import type { Path } from './paths.ts';
import { readSettings } from './settings.ts';

const SPEC_FIELDS = ['scope', 'defaults', 'overrides', 'bounds'];

export function readPolicySpec(c: Checker, value: unknown, path: Path): PlatformPolicySpec | undefined {
  const o = readObject(c, value, path, SPEC_FIELDS, 'a PlatformPolicy spec');
  if (o === undefined) return undefined;
  if (o['scope'] === undefined) c.fail(path, 'a PlatformPolicy needs scope: {namespaces: [...]} and/or {services: [...]} (namespaces: ["*"] is the whole mesh)');
  const scope = readScope(c, o['scope'], [...path, 'scope']);
  const defaults = readSettings(c, o['defaults'], [...path, 'defaults'], { kind: 'defaults' });
  const overrides = readSettings(c, o['overrides'], [...path, 'overrides'], { kind: 'overrides' });
  const bounds = readBounds(c, o['bounds'], [...path, 'bounds']);
  if (scope === undefined) return undefined;
  return compact<PlatformPolicySpec>({ scope, defaults, overrides, bounds });
}

/** A policy scope (`namespaces` and/or `services`); shared with AuthorizationPolicy. */
export function readScope(c: Checker, value: unknown, path: Path): PolicyScope | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['namespaces', 'services'], 'a policy scope');
  if (o === undefined) return undefined;
  const namespaces = readStringList(c, o['namespaces'], [...path, 'namespaces'], 'namespaces (or ["*"])', (entry, p) => {
    const text = readString(c, entry, p, 'a namespace');
    if (text === undefined || text === '*' || isDnsLabel(text)) return text;
    c.fail(p, `expected a namespace (a DNS label) or "*" for every namespace, got ${describeValue(text)}`);
    return undefined;
  });
  if (namespaces !== undefined && namespaces.includes('*') && namespaces.length > 1) {
    c.fail([...path, 'namespaces'], '"*" already means every namespace; list nothing else with it');
  }
  const services = readStringList(c, o['services'], [...path, 'services'], 'services (name.namespace)', (entry, p) => readServiceKey(c, entry, p));
  const empty = (raw: unknown): boolean => raw === undefined || (Array.isArray(raw) && raw.length === 0);
  if (empty(o['namespaces']) && empty(o['services'])) {
    c.fail(path, 'a scope needs at least one namespace ("*" for all) or service');
    return undefined;
  }
  if (namespaces === undefined && services === undefined) return undefined;
  return compact<PolicyScope>({ namespaces, services });
}

const BOUND_FIELDS = ['min', 'max', 'allowed', 'values'];

function readBounds(c: Checker, value: unknown, path: Path): Record<string, Bound> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    c.fail(path, `expected bounds: a mapping of field path (e.g. retries.attempts) → {min, max, allowed, values}, got ${describeValue(value)}`);
    return undefined;
  }
  const out: Array<[string, Bound]> = [];
  for (const [field, raw] of Object.entries(value)) {
    const p = [...path, field];
    const kind = settingsFieldKind(field);
    if (kind === undefined) {
      c.fail(p, `unknown field path "${field}"${hint(field, Object.keys(SETTINGS_FIELD_KINDS))}; bounds take ServiceSettings paths such as timeout, retries.attempts, fault, loadBalancer.policy`);
      continue;
    }
    const o = readObject(c, raw, p, BOUND_FIELDS, 'a bound');
    if (o === undefined) continue;
    if (BOUND_FIELDS.every((member) => o[member] === undefined)) {
      c.fail(p, 'a bound needs at least one of min, max, allowed, values');
      continue;
    }
    const numeric = kind === 'number' || kind === 'duration';
    const textual = kind === 'string' || kind === 'string-list';
    let min: number | undefined;
    let max: number | undefined;
    for (const member of ['min', 'max'] as const) {
      if (o[member] === undefined) continue;
      const mp = [...p, member];
      if (!numeric) {
        c.fail(mp, `${member} applies to numbers and durations only; ${field} is ${article(kind)}${textual ? ' (use values)' : ' (use allowed)'}`);
        continue;
      }
      const n = kind === 'duration' ? readDuration(c, o[member], mp) : readNumber(c, o[member], mp, -Number.MAX_VALUE, Number.MAX_VALUE, false, 'a number');
      if (member === 'min') min = n;
      else max = n;
    }
    if (min !== undefined && max !== undefined && min > max) c.fail(p, `min (${String(o['min'])}) is greater than max (${String(o['max'])})`);
    let values: string[] | undefined;
    if (o['values'] !== undefined) {
      if (!textual) {
        c.fail([...p, 'values'], `values applies to string fields only; ${field} is ${article(kind)}${numeric ? ' (use min and max)' : ' (use allowed)'}`);
      } else {
        const allowedValues = Object.hasOwn(SETTINGS_FIELD_ENUMS, field) ? SETTINGS_FIELD_ENUMS[field] : undefined;
        values = readStringList(c, o['values'], [...p, 'values'], 'allowed values', (entry, vp) => {
          const text = readString(c, entry, vp);
          if (text !== undefined && allowedValues !== undefined && !allowedValues.includes(text)) {
            c.fail(vp, `${field} cannot be "${text}"${hint(text, allowedValues)}; its values are ${allowedValues.join(', ')}`);
            return undefined;
          }
          return text;
        });
        if (values?.length === 0) c.fail([...p, 'values'], 'an empty values list allows nothing; use allowed: false');
      }
    }
    const allowed = readBoolean(c, o['allowed'], [...p, 'allowed']);
    out.push([field, compact<Bound>({ min, max, allowed, values })]);
  }
  return Object.fromEntries(out);
}

function article(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} field`;
}
