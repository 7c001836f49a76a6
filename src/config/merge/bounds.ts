/**
 * Bounds: a PlatformPolicy limits what service teams may set (min/max, allowed: false, values).
 * A team value outside a bound of a policy that applies to its service is an error; a platform
 * default or override outside a bound of an overlapping policy is a warning (platforms may).
 */
import { serviceKey } from '../../registry/types.ts';
import type { Bound, ConfigDocument, ConfigSnapshot, PlatformPolicyDocument, RouteSpec, ServiceSettings, SourceRef } from '../types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { formatNumber } from './format.ts';
import { fieldSource, formatSource } from './merge.ts';
import { isPlainObject, joinPath, splitDotted, valueAt, type PathSegment } from './paths.ts';
import { indexSnapshot, orderedPolicies, scopesOverlap } from './scope.ts';

/** One bound check failing: which value, and the phrase that explains it. */
interface Violation {
  /** Extra segments below the bounded field (an element index for string lists). */
  readonly below: readonly PathSegment[];
  readonly which: 'min' | 'max' | 'allowed' | 'values';
  readonly phrase: string;
}

/**
 * The ways `value` (of the field at bound path `path`) breaks `bound`: at most one per value,
 * one per offending element for string lists. Undefined values never violate.
 */
export function boundViolations(path: string, bound: Bound, value: unknown): Violation[] {
  if (value === undefined) return [];
  if (bound.allowed === false) return [{ below: [], which: 'allowed', phrase: `${path} may not be set` }];
  const out: Violation[] = [];
  if (typeof value === 'number') {
    if (bound.min !== undefined && value < bound.min) {
      out.push({ below: [], which: 'min', phrase: `${path} ${formatNumber(path, value)} is below min ${formatNumber(path, bound.min)}` });
    } else if (bound.max !== undefined && value > bound.max) {
      out.push({ below: [], which: 'max', phrase: `${path} ${formatNumber(path, value)} exceeds max ${formatNumber(path, bound.max)}` });
    }
  }
  const allowed = bound.values;
  if (allowed !== undefined) {
    const list = `[${allowed.join(', ')}]`;
    if (typeof value === 'string' && !allowed.includes(value)) {
      out.push({ below: [], which: 'values', phrase: `${path} ${JSON.stringify(value)} is not one of ${list}` });
    } else if (Array.isArray(value)) {
      value.forEach((element: unknown, i) => {
        if (typeof element === 'string' && !allowed.includes(element)) {
          out.push({ below: [i], which: 'values', phrase: `${path}[${i}] ${JSON.stringify(element)} is not one of ${list}` });
        }
      });
    }
  }
  return out;
}

/** Where a policy declares the bound for `path` (the `max:`/`min:` key if known, else the bound). */
export function boundSource(policy: PlatformPolicyDocument, path: string, which: Violation['which']): SourceRef {
  const quoted = `spec.bounds[${JSON.stringify(path)}]`;
  for (const base of [`spec.bounds.${path}`, quoted]) {
    const own = policy.lines[`${base}.${which}`] ?? policy.lines[base];
    if (own !== undefined) return { file: policy.source.file, line: own };
  }
  return fieldSource(policy, 'spec.bounds');
}

/** A place where settings are written: the settings object or one route, with its YAML prefix. */
interface Site {
  readonly value: unknown;
  readonly prefix: string;
}

/** The service-level settings and each route inside them: where bounded fields can appear. */
function sitesOf(settings: ServiceSettings, prefix: string): Site[] {
  const sites: Site[] = [{ value: settings, prefix }];
  const routes: readonly RouteSpec[] = Array.isArray(settings.routes) ? settings.routes : [];
  routes.forEach((route, i) => {
    if (isPlainObject(route)) sites.push({ value: route, prefix: `${prefix}.routes[${i}]` });
  });
  return sites;
}

function check(
  doc: ConfigDocument,
  settings: ServiceSettings,
  prefix: string,
  policy: PlatformPolicyDocument,
  severity: Diagnostic['severity'],
): Diagnostic[] {
  const bounds = policy.spec.bounds ?? {};
  const out: Diagnostic[] = [];
  for (const path of Object.keys(bounds).sort()) {
    const bound = bounds[path];
    if (bound === undefined) continue;
    const segments = splitDotted(path);
    for (const site of sitesOf(settings, prefix)) {
      for (const v of boundViolations(path, bound, valueAt(site.value, segments))) {
        const field = joinPath([...segments, ...v.below], site.prefix);
        const where = formatSource(boundSource(policy, path, v.which));
        const verb = v.which === 'values' ? 'allowed by' : v.which === 'allowed' ? 'not allowed by' : 'set by';
        const tail = severity === 'warning' ? ' (a platform value: kept, but check the bound)' : '';
        out.push({
          severity,
          field,
          message: `${v.phrase}, ${verb} ${policy.id} (${where ?? 'unknown'})${tail}`,
          source: formatSource(fieldSource(doc, field)) ?? doc.source.file,
        });
      }
    }
  }
  return out;
}

/**
 * Every bound violation in `snapshot`, documents and bounds in a stable order: errors for team
 * values (ServiceConfig spec and its routes) against the bounds of each policy that applies to
 * the service; warnings for platform defaults/overrides against the bounds of each policy whose
 * scope overlaps theirs. Each violating value is reported once per violated bound.
 */
export function checkBounds(snapshot: ConfigSnapshot): Diagnostic[] {
  const index = indexSnapshot(snapshot);
  const out: Diagnostic[] = [];
  const teams = [...snapshot.documents.values()].filter((d) => d.kind === 'ServiceConfig');
  teams.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const doc of teams) {
    for (const { policy } of orderedPolicies(index.policies, serviceKey(doc.name, doc.namespace))) {
      out.push(...check(doc, doc.spec, 'spec', policy, 'error'));
    }
  }
  for (const platform of index.policies) {
    const sections = [['spec.defaults', platform.spec.defaults], ['spec.overrides', platform.spec.overrides]] as const;
    for (const [prefix, settings] of sections) {
      if (settings === undefined) continue;
      for (const owner of index.policies) {
        if (owner.spec.bounds === undefined || !scopesOverlap(platform.spec.scope, owner.spec.scope)) continue;
        out.push(...check(platform, settings, prefix, owner, 'warning'));
      }
    }
  }
  return out;
}
