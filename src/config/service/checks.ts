/**
 * The checks a candidate config must pass before it is stored: references (G1) and bounds (G2),
 * judged against the current config so that only problems a change introduces reject it.
 */
import type { ServiceKey } from '../../registry/types.ts';
import { serviceKey } from '../../registry/types.ts';
import { formatDiagnostic, type Diagnostic } from '../../util/errors.ts';
import { checkBounds } from '../merge/index.ts';
import { checkReferences } from '../parse/index.ts';
import type { AuthorizationPolicyDocument, ConfigDocument, ConfigSnapshot, ServiceConfigDocument } from '../types.ts';
import type { DocumentWrite } from './types.ts';

/** Registry services plus every service a ServiceConfig in `snapshot` declares. */
export function knownServiceSet(registryServices: Iterable<ServiceKey>, snapshot: ConfigSnapshot): Set<ServiceKey> {
  const known = new Set(registryServices);
  for (const doc of snapshot.documents.values()) if (doc.kind === 'ServiceConfig') known.add(serviceKey(doc.name, doc.namespace));
  return known;
}

/** Every reference and bound diagnostic of `snapshot`. */
export function checkSnapshot(snapshot: ConfigSnapshot, registryServices: Iterable<ServiceKey>): Diagnostic[] {
  return [...checkReferences(snapshot, knownServiceSet(registryServices, snapshot)), ...checkBounds(snapshot)];
}

/**
 * Splits the candidate's diagnostics: `errors` are errors the current config does not already
 * have (they reject the change); everything else is returned as `warnings`, so a problem that
 * was already stored (say, a registry service that has since gone) never blocks unrelated applies.
 */
export function judgeCandidate(
  current: readonly Diagnostic[],
  candidate: readonly Diagnostic[],
): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const before = new Set(current.filter((d) => d.severity === 'error').map(formatDiagnostic));
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  for (const d of candidate) {
    if (d.severity === 'error' && !before.has(formatDiagnostic(d))) errors.push(d);
    else warnings.push(d);
  }
  return { errors, warnings };
}

/** The service keys a ServiceConfig refers to (dependencies, route targets, mirrors). */
export function referencedServices(doc: ServiceConfigDocument): Map<ServiceKey, string> {
  const refs = new Map<ServiceKey, string>();
  const add = (target: string | undefined, field: string): void => {
    if (target === undefined) return;
    const key = target.includes('.') ? target : serviceKey(target, doc.namespace);
    if (!refs.has(key)) refs.set(key, field);
  };
  doc.spec.dependencies?.forEach((d, i) => add(d, `spec.dependencies[${i}]`));
  doc.spec.routes?.forEach((route, r) => {
    route.to.forEach((t, i) => add(t.service, `spec.routes[${r}].to[${i}].service`));
    add(route.mirror?.service, `spec.routes[${r}].mirror.service`);
  });
  add(doc.spec.mirror?.service, 'spec.mirror.service');
  return refs;
}

/**
 * Documents other than the service's own ServiceConfig that name `key`: ServiceConfigs that
 * depend on, route to or mirror to it, policies scoped to it, and AuthorizationPolicies that
 * target it or name it as a caller. Each as a diagnostic at the
 * referring document's line.
 */
export function referrersOf(snapshot: ConfigSnapshot, key: ServiceKey, ownId: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const doc of snapshot.documents.values()) {
    if (doc.id === ownId) continue;
    let field: string | undefined;
    if (doc.kind === 'ServiceConfig') field = referencedServices(doc).get(key);
    else {
      const index = doc.spec.scope?.services?.indexOf(key) ?? -1;
      if (index >= 0) field = `spec.scope.services[${index}]`;
      else if (doc.kind === 'AuthorizationPolicy') field = authorizationReference(doc, key);
    }
    if (field === undefined) continue;
    const line = doc.lines[field] ?? doc.source.line;
    found.push({ severity: 'error', field, message: `${doc.id} refers to ${key}`, source: `${doc.source.file}:${line}` });
  }
  return found;
}

/** Where an AuthorizationPolicy names `key` (its target, or a `from` service), if it does. */
function authorizationReference(doc: AuthorizationPolicyDocument, key: ServiceKey): string | undefined {
  if (doc.namespace !== undefined && doc.spec.target !== undefined && serviceKey(doc.spec.target.service, doc.namespace) === key) {
    return 'spec.target.service';
  }
  for (const [r, rule] of doc.spec.rules.entries()) {
    const f = rule.from?.findIndex((source) => source.service === key) ?? -1;
    if (f >= 0) return `spec.rules[${r}].from[${f}].service`;
  }
  return undefined;
}

/** What writing `doc` touches, for permits: namespaced kinds carry their namespace. */
export function documentWrite(doc: ConfigDocument): DocumentWrite {
  if (doc.kind === 'PlatformPolicy') return { id: doc.id, kind: doc.kind, name: doc.name };
  return doc.namespace === undefined
    ? { id: doc.id, kind: doc.kind, name: doc.name }
    : { id: doc.id, kind: doc.kind, name: doc.name, namespace: doc.namespace };
}

/** The write a document id stands for (for deletes of documents no longer at hand). */
export function writeFromId(id: string): DocumentWrite | undefined {
  const parts = id.split('/');
  if (parts[0] === 'ServiceConfig' && parts.length === 3) return { id, kind: 'ServiceConfig', namespace: parts[1] ?? '', name: parts[2] ?? '' };
  if (parts[0] === 'PlatformPolicy' && parts.length === 2) return { id, kind: 'PlatformPolicy', name: parts[1] ?? '' };
  if (parts[0] === 'AuthorizationPolicy' && parts.length === 2) return { id, kind: 'AuthorizationPolicy', name: parts[1] ?? '' };
  if (parts[0] === 'AuthorizationPolicy' && parts.length === 3) return { id, kind: 'AuthorizationPolicy', namespace: parts[1] ?? '', name: parts[2] ?? '' };
  return undefined;
}

export function sourceOf(doc: ConfigDocument): string {
  return `${doc.source.file}:${doc.source.line}`;
}
