/**
 * What a candidate config would change: per document, per service's effective settings (leaf by
 * leaf) and per generated Envoy resource (a unified diff of its YAML). Pure apart from the
 * injected previewEnvoy.
 */
import { stringify } from 'yaml';
import type { ServiceKey } from '../../registry/types.ts';
import { authorizationIndexed, formatAuthorization, indexSnapshot, mergeService } from '../merge/index.ts';
import { stableJson } from '../store/records.ts';
import type { ConfigDocument, ConfigSnapshot } from '../types.ts';
import { unifiedDiff } from './text-diff.ts';
import type { DocumentDiff, EnvoyResources, FieldChange, PreviewEnvoy, ResourceDiff, ServiceDiff } from './types.ts';

/** At most this many services get an Envoy preview per diff (each preview builds a proxy view). */
export const MAX_ENVOY_PREVIEWS = 20;

/** Per document: create, update, unchanged (for `upserts`) and delete (for `deletes`), by id. */
export function diffDocuments(current: ConfigSnapshot, upserts: readonly ConfigDocument[], deletes: readonly string[]): DocumentDiff[] {
  const out: DocumentDiff[] = upserts.map((doc) => {
    const before = current.documents.get(doc.id);
    if (before === undefined) return { id: doc.id, op: 'create' };
    return { id: doc.id, op: stableJson(before.raw) === stableJson(doc.raw) ? 'unchanged' : 'update' };
  });
  for (const id of deletes) if (current.documents.has(id)) out.push({ id, op: 'delete' });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Leaf paths of a settings object: plain objects are walked, arrays and scalars are leaves
 * (a route list changes as a whole, the way it merges).
 */
export function flattenSettings(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      flattenSettings(child, prefix === '' ? key : `${prefix}.${key}`, out);
    }
  } else if (prefix !== '') {
    out.set(prefix, value);
  }
  return out;
}

/** Leaf-by-leaf differences between two settings objects, sorted by path. */
export function diffSettings(before: unknown, after: unknown): FieldChange[] {
  const a = flattenSettings(before);
  const b = flattenSettings(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const x = a.get(path);
    const y = b.get(path);
    if (stableJson(x) === stableJson(y)) continue;
    changes.push({ path, ...(a.has(path) ? { before: x } : {}), ...(b.has(path) ? { after: y } : {}) });
  }
  return changes;
}

/** Changed, added and removed resources between two previews, each with a YAML unified diff. */
export function diffResources(before: EnvoyResources, after: EnvoyResources): ResourceDiff[] {
  const out: ResourceDiff[] = [];
  const types = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const typeUrl of types) {
    const a = before[typeUrl] ?? {};
    const b = after[typeUrl] ?? {};
    for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const x = a[name];
      const y = b[name];
      if (x !== undefined && y !== undefined && stableJson(x) === stableJson(y)) continue;
      const op = x === undefined ? 'added' : y === undefined ? 'removed' : 'changed';
      const label = `${typeUrl.slice(typeUrl.lastIndexOf('.') + 1)}/${name}`;
      out.push({ typeUrl, name, op, diff: unifiedDiff(label, x === undefined ? '' : toYaml(x), y === undefined ? '' : toYaml(y)) });
    }
  }
  return out;
}

/**
 * Effective-settings changes for every service in `services` whose merge (or authorization
 * rules) differ between the two snapshots, plus the Envoy resource diff of one sidecar of each (when `preview` is given).
 */
export async function diffServices(
  current: ConfigSnapshot,
  candidate: ConfigSnapshot,
  services: Iterable<ServiceKey>,
  preview: PreviewEnvoy | undefined,
): Promise<ServiceDiff[]> {
  const out: ServiceDiff[] = [];
  let previews = 0;
  const indexes = [indexSnapshot(current), indexSnapshot(candidate)] as const;
  for (const service of [...new Set(services)].sort()) {
    const settings = diffSettings(mergeService(service, current).settings, mergeService(service, candidate).settings);
    const [authBefore, authAfter] = indexes.map((index) => formatAuthorization(authorizationIndexed(service, index)));
    const authorization = authBefore === authAfter ? undefined : unifiedDiff(`authorization/${service}`, authBefore ?? '', authAfter ?? '');
    if (settings.length === 0 && authorization === undefined) continue;
    const base = authorization === undefined ? { service, settings } : { service, settings, authorization };
    if (preview === undefined || previews >= MAX_ENVOY_PREVIEWS) {
      out.push(base);
      continue;
    }
    previews += 1;
    const envoy = diffResources(await preview(current, service), await preview(candidate, service));
    out.push({ ...base, envoy });
  }
  return out;
}

function toYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: false, lineWidth: 0 });
}
