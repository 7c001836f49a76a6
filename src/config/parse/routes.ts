/** Subsets and routes of a ServiceConfig (platform policies cannot set either). */
import type { HeaderMatchSpec, RouteMatchSpec, RouteSpec, RouteTargetSpec } from '../types.ts';
import {
  compact, describeValue, isRecord, labelKeyProblem, labelValueProblem, readBoolean, readDnsLabel, readDuration,
  readHeaderName, readList, readMap, readNumber, readObject, readServiceKey, readString, isDnsLabel,
} from './checker.ts';
import type { Checker } from './checker.ts';
import type { Path } from './paths.ts';
import { regexProblem } from './regex.ts';
import { readFault, readHeaderMutation, readMirror, readRetries } from './traffic.ts';
import type { TrafficContext } from './traffic.ts';

/** Subset name → non-empty label selector. */
export function readSubsets(c: Checker, value: unknown, path: Path): Record<string, Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  const map = readMap(c, value, path, 'subsets: subset name → label selector');
  if (map === undefined) return undefined;
  const subsets: Array<[string, Record<string, string>]> = [];
  for (const [name, selector] of Object.entries(map)) {
    const p = [...path, name];
    if (!isDnsLabel(name)) {
      c.fail(p, `subset names must be DNS labels (lowercase letters, digits and '-'), got "${name}"`);
      continue;
    }
    if (!isRecord(selector) || Object.keys(selector).length === 0) {
      c.fail(p, `expected a non-empty label selector such as {version: v1}, got ${describeValue(selector)}`);
      continue;
    }
    const labels: Array<[string, string]> = [];
    for (const [key, labelValue] of Object.entries(selector)) {
      const keyProblem = labelKeyProblem(key);
      const text = readString(c, labelValue, [...p, key], 'a label value (a string)');
      const valueProblem = text === undefined ? undefined : labelValueProblem(text);
      if (keyProblem !== undefined) c.fail([...p, key], `${keyProblem}, got "${key}"`);
      else if (valueProblem !== undefined) c.fail([...p, key], `${valueProblem}, got ${describeValue(text)}`);
      else if (text !== undefined) labels.push([key, text]);
    }
    subsets.push([name, Object.fromEntries(labels)]);
  }
  return Object.fromEntries(subsets);
}

const ROUTE_FIELDS = ['name', 'match', 'to', 'timeout', 'retries', 'fault', 'mirror', 'headers'];
const MATCH_FIELDS = ['pathPrefix', 'path', 'headers'];
const MATCHER_KINDS = ['exact', 'prefix', 'regex', 'present'];

export function readRoutes(c: Checker, value: unknown, path: Path, ctx: TrafficContext): RouteSpec[] | undefined {
  const list = readList(c, value, path, 'routes');
  if (list === undefined) return undefined;
  const routes: RouteSpec[] = [];
  const names = new Map<string, number>();
  let catchAll: number | undefined;
  list.forEach((entry, i) => {
    const p = [...path, i];
    const o = readObject(c, entry, p, ROUTE_FIELDS, 'a route');
    if (o === undefined) return;
    const name = readDnsLabel(c, o['name'], [...p, 'name'], 'a route name');
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) c.fail([...p, 'name'], `route name "${name}" is already used by routes[${first}]`);
      else names.set(name, i);
    }
    if (catchAll !== undefined) {
      c.fail(p, `this route is never reached: routes[${catchAll}] before it matches every request`, 'warning');
    }
    const match = readMatch(c, o['match'], [...p, 'match']);
    if (match === undefined || (match.path === undefined && match.pathPrefix === undefined && match.headers === undefined)) {
      catchAll ??= o['match'] === undefined || match !== undefined ? i : undefined;
    }
    if (o['to'] === undefined) c.fail(p, 'a route needs `to`: a non-empty list of targets {service?, subset?, weight?}');
    const to = readTargets(c, o['to'], [...p, 'to'], ctx);
    const route = compact<RouteSpec>({
      name,
      match,
      to,
      timeout: readDuration(c, o['timeout'], [...p, 'timeout']),
      retries: readRetries(c, o['retries'], [...p, 'retries']),
      fault: readFault(c, o['fault'], [...p, 'fault']),
      mirror: readMirror(c, o['mirror'], [...p, 'mirror'], ctx),
      headers: readHeaderMutation(c, o['headers'], [...p, 'headers']),
    });
    if (to !== undefined) routes.push(route);
  });
  return routes;
}

function readMatch(c: Checker, value: unknown, path: Path): RouteMatchSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, MATCH_FIELDS, 'a route match');
  if (o === undefined) return undefined;
  if (o['path'] !== undefined && o['pathPrefix'] !== undefined) c.fail(path, 'set at most one of path and pathPrefix');
  const readPath = (field: string): string | undefined => {
    const text = readString(c, o[field], [...path, field], 'a path starting with /');
    if (text !== undefined && !text.startsWith('/')) {
      c.fail([...path, field], `must start with '/', got ${describeValue(text)}`);
      return undefined;
    }
    return text;
  };
  let headers: Record<string, HeaderMatchSpec> | undefined;
  if (o['headers'] !== undefined) {
    const map = readMap(c, o['headers'], [...path, 'headers'], 'header name → value or matcher');
    if (map !== undefined) {
      const entries: Array<[string, HeaderMatchSpec]> = [];
      for (const [name, matcher] of Object.entries(map)) {
        const p = [...path, 'headers', name];
        const okName = readHeaderName(c, name, p, true);
        const spec = readHeaderMatcher(c, matcher, p);
        if (okName !== undefined && spec !== undefined) entries.push([okName, spec]);
      }
      headers = Object.fromEntries(entries);
    }
  }
  return compact<RouteMatchSpec>({ pathPrefix: readPath('pathPrefix'), path: readPath('path'), headers });
}

function readHeaderMatcher(c: Checker, value: unknown, path: Path): HeaderMatchSpec | undefined {
  if (typeof value === 'string') return value;
  const o = readObject(c, value, path, MATCHER_KINDS, 'a header value (string) or matcher {exact|prefix|regex|present}');
  if (o === undefined) return undefined;
  const kinds = MATCHER_KINDS.filter((kind) => o[kind] !== undefined);
  if (kinds.length !== 1) {
    c.fail(path, `a header matcher needs exactly one of exact, prefix, regex, present; got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
    return undefined;
  }
  const kind = kinds[0];
  if (kind === 'present') {
    const present = readBoolean(c, o['present'], [...path, 'present']);
    return present === undefined ? undefined : { present };
  }
  const p = [...path, kind ?? ''];
  const text = readString(c, o[kind ?? ''], p);
  if (text === undefined) return undefined;
  if (kind === 'prefix' && text === '') {
    c.fail(p, 'a prefix cannot be empty (use present: true)');
    return undefined;
  }
  if (kind === 'regex') {
    const problem = regexProblem(text);
    if (problem !== undefined) {
      c.fail(p, problem);
      return undefined;
    }
    return { regex: text };
  }
  return kind === 'prefix' ? { prefix: text } : { exact: text };
}

function readTargets(c: Checker, value: unknown, path: Path, ctx: TrafficContext): RouteTargetSpec[] | undefined {
  const list = readList(c, value, path, 'route targets');
  if (list === undefined) return undefined;
  if (list.length === 0) {
    c.fail(path, 'a route needs at least one target');
    return undefined;
  }
  const targets: RouteTargetSpec[] = [];
  const seen = new Map<string, number>();
  let ok = true;
  list.forEach((entry, i) => {
    const p = [...path, i];
    const o = readObject(c, entry, p, ['service', 'subset', 'weight'], 'a route target');
    if (o === undefined) {
      ok = false;
      return;
    }
    const service = readServiceKey(c, o['service'], [...p, 'service']);
    const subset = readDnsLabel(c, o['subset'], [...p, 'subset'], 'a subset name');
    const weight = readNumber(c, o['weight'], [...p, 'weight'], 0, 100, true, 'a weight: an integer 0..100');
    if ((o['service'] !== undefined && service === undefined) || (o['subset'] !== undefined && subset === undefined) ||
      (o['weight'] !== undefined && weight === undefined)) ok = false;
    const own = o['service'] === undefined || (service !== undefined && service === ctx.selfKey);
    if (subset !== undefined && own) ctx.ownSubset?.(subset, [...p, 'subset']);
    const key = `${own ? ctx.selfKey ?? '' : service ?? ''}/${subset ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) c.fail(p, `the same target as to[${first}]; combine their weights`);
    seen.set(key, i);
    targets.push(compact<RouteTargetSpec>({ service, subset, weight }));
  });
  const weighted = list.map((entry) => isRecord(entry) && entry['weight'] !== undefined);
  if (weighted.some(Boolean) && !weighted.every(Boolean)) {
    const missing = weighted.flatMap((w, i) => (w ? [] : [`to[${i}]`]));
    c.fail(path, `either every target has a weight or none does; ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} none`);
    ok = false;
  } else if (!weighted.some(Boolean) && list.length > 1) {
    c.fail(path, `${list.length} targets need weights (integers 0..100 adding up to 100); only a single target may omit its weight`);
    ok = false;
  } else if (ok && weighted.every(Boolean)) {
    const weights = targets.map((t) => t.weight ?? 0);
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum !== 100) {
      c.fail(path, `weights must add up to 100, but ${targets.map((t, i) => `to[${i}].weight ${t.weight ?? 0}`).join(' + ')} = ${sum}`);
      ok = false;
    }
  }
  return ok ? targets : undefined;
}
