/**
 * Cross-document checks: every service a document names must exist (in the registry or as a
 * ServiceConfig; AuthorizationPolicy targets and `from` services too), and a subset of another service must be defined by that service's ServiceConfig.
 */
import type { ServiceKey } from '../../registry/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import type { ConfigDocument, ConfigSnapshot, ServiceConfigDocument, ServiceSettings } from '../types.ts';
import { hint } from './did-you-mean.ts';
import { lineOf, renderPath } from './paths.ts';
import type { Path } from './paths.ts';

const LISTED = 8;

/** Diagnostics for unknown services and subsets referenced anywhere in `snapshot`; never throws. */
export function checkReferences(snapshot: ConfigSnapshot, knownServices: ReadonlySet<ServiceKey>): Diagnostic[] {
  const configs = new Map<ServiceKey, ServiceConfigDocument>();
  for (const doc of snapshot.documents.values()) {
    if (doc.kind === 'ServiceConfig') configs.set(`${doc.name}.${doc.namespace}`, doc);
  }
  const known = new Set<string>([...knownServices, ...configs.keys()]);
  const sorted = [...known].sort();
  const diagnostics: Diagnostic[] = [];

  for (const doc of snapshot.documents.values()) {
    const report = (path: Path, message: string): void => {
      diagnostics.push({ severity: 'error', field: renderPath(path), message, source: `${doc.source.file}:${lineOf(doc.lines, path)}` });
    };
    const service = (key: string, path: Path): boolean => {
      if (known.has(key)) return true;
      const list = sorted.length === 0 ? 'none are known' : `known services: ${sorted.slice(0, LISTED).join(', ')}${sorted.length > LISTED ? `, ... (${sorted.length} in all)` : ''}`;
      report(path, `unknown service "${key}"${hint(key, sorted)}; ${list}`);
      return false;
    };
    const subsetOf = (key: string, subset: string, path: Path): void => {
      const target = configs.get(key);
      const names = Object.keys(target?.spec.subsets ?? {});
      if (names.includes(subset)) return;
      report(path, target === undefined
        ? `unknown subset "${subset}": ${key} has no ServiceConfig defining subsets`
        : `unknown subset "${subset}" of ${key}${hint(subset, names)}; ${names.length === 0 ? 'its ServiceConfig defines none' : `known subsets: ${names.join(', ')}`}`);
    };
    const target = (ref: { readonly service?: string; readonly subset?: string }, path: Path, self: string | undefined): void => {
      // Targets without a service, or naming the document's own service, were checked at parse time.
      if (ref.service === undefined || ref.service === self) return;
      if (service(ref.service, [...path, 'service']) && ref.subset !== undefined) subsetOf(ref.service, ref.subset, [...path, 'subset']);
    };
    const settings = (spec: ServiceSettings | undefined, path: Path, self: string | undefined): void => {
      if (spec === undefined) return;
      spec.dependencies?.forEach((key, i) => service(key, [...path, 'dependencies', i]));
      if (spec.mirror) target(spec.mirror, [...path, 'mirror'], self);
      spec.routes?.forEach((route, r) => {
        route.to.forEach((to, t) => target(to, [...path, 'routes', r, 'to', t], self));
        if (route.mirror) target(route.mirror, [...path, 'routes', r, 'mirror'], self);
      });
    };
    checkDocument(doc, settings, service);
  }
  return diagnostics;
}

function checkDocument(
  doc: ConfigDocument,
  settings: (spec: ServiceSettings | undefined, path: Path, self: string | undefined) => void,
  service: (key: string, path: Path) => boolean,
): void {
  if (doc.kind === 'ServiceConfig') {
    settings(doc.spec, ['spec'], `${doc.name}.${doc.namespace}`);
    return;
  }
  doc.spec.scope?.services?.forEach((key, i) => service(key, ['spec', 'scope', 'services', i]));
  if (doc.kind === 'AuthorizationPolicy') {
    if (doc.namespace !== undefined && doc.spec.target !== undefined) {
      service(`${doc.spec.target.service}.${doc.namespace}`, ['spec', 'target', 'service']);
    }
    doc.spec.rules.forEach((rule, r) => rule.from?.forEach((source, f) => {
      if (source.service !== undefined) service(source.service, ['spec', 'rules', r, 'from', f, 'service']);
    }));
    return;
  }
  settings(doc.spec.defaults, ['spec', 'defaults'], undefined);
  settings(doc.spec.overrides, ['spec', 'overrides'], undefined);
}
