/**
 * The layered merge: builtin < platform defaults < the service's ServiceConfig < platform
 * overrides, combined leaf by leaf as MERGE_STRATEGY declares, recording who set every leaf and
 * what it replaced.
 */
import type { ServiceKey } from '../../registry/types.ts';
import type {
  ConfigDocument,
  ConfigSnapshot,
  EffectiveServiceConfig,
  FieldProvenance,
  Layer,
  ServiceSettings,
  SourceRef,
  ValueOrigin,
} from '../types.ts';
import { buildFromLeaves, settingsLeaves, type Leaf } from './paths.ts';
import { indexSnapshot, orderedPolicies, type SnapshotIndex } from './scope.ts';
import { BUILTIN_SETTINGS } from './strategy.ts';

/** One layer's contribution: its settings and where in which document they were written. */
export interface LayerInput {
  readonly layer: Layer;
  /** Document id, or `builtin`. */
  readonly document: string;
  readonly settings: ServiceSettings;
  /** The document, to resolve field lines; absent for builtin. */
  readonly origin?: { readonly doc: ConfigDocument; readonly prefix: string };
}

/**
 * The line of `path` (e.g. `spec.defaults.retries.attempts`) in `doc`: the field's own line, else
 * its nearest ancestor's, else the document's start.
 */
export function fieldSource(doc: ConfigDocument, path: string): SourceRef {
  let probe = path;
  for (;;) {
    const line = doc.lines[probe];
    if (line !== undefined) return { file: doc.source.file, line };
    const cut = Math.max(probe.lastIndexOf('.'), probe.lastIndexOf('['));
    if (cut <= 0) return doc.source;
    probe = probe.slice(0, cut);
  }
}

/** `file:line`. */
export function formatSource(source: SourceRef | undefined): string | undefined {
  return source === undefined ? undefined : `${source.file}:${source.line}`;
}

/** The layers for `key`, lowest precedence first. */
export function layersFor(key: ServiceKey, index: SnapshotIndex): LayerInput[] {
  const policies = orderedPolicies(index.policies, key);
  const layers: LayerInput[] = [{ layer: 'builtin', document: 'builtin', settings: BUILTIN_SETTINGS }];
  for (const { policy } of policies) {
    const defaults = policy.spec.defaults;
    if (defaults !== undefined) {
      layers.push({ layer: 'platform-default', document: policy.id, settings: defaults, origin: { doc: policy, prefix: 'spec.defaults' } });
    }
  }
  const own = index.services.get(key);
  if (own !== undefined) layers.push({ layer: 'service', document: own.id, settings: own.spec, origin: { doc: own, prefix: 'spec' } });
  for (const { policy } of policies) {
    const overrides = policy.spec.overrides;
    if (overrides !== undefined) {
      layers.push({ layer: 'platform-override', document: policy.id, settings: overrides, origin: { doc: policy, prefix: 'spec.overrides' } });
    }
  }
  return layers;
}

function originOf(layer: LayerInput, leaf: Leaf): ValueOrigin {
  const base = { layer: layer.layer, document: layer.document, value: leaf.value };
  if (layer.origin === undefined) return base;
  // Line maps spell keys plainly (`set.x.y`), even where provenance quotes them (`set["x.y"]`).
  const plain = leaf.segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : `${out}.${s}`), layer.origin.prefix);
  return { ...base, source: fieldSource(layer.origin.doc, plain) };
}

/**
 * Merges `layers` (lowest precedence first). Each leaf's provenance is the highest layer that set
 * it, with every lower value it replaced in `overrode` (lowest first), even when equal.
 */
export function mergeLayers(key: ServiceKey, layers: readonly LayerInput[]): EffectiveServiceConfig {
  const history = new Map<string, { leaf: Leaf; origins: ValueOrigin[] }>();
  for (const layer of layers) {
    for (const leaf of settingsLeaves(layer.settings)) {
      const origin = originOf(layer, leaf);
      const entry = history.get(leaf.path);
      if (entry === undefined) history.set(leaf.path, { leaf, origins: [origin] });
      else {
        entry.leaf = leaf;
        entry.origins.push(origin);
      }
    }
  }
  const paths = [...history.keys()].sort();
  const provenance = new Map<string, FieldProvenance>();
  const winners: Leaf[] = [];
  for (const path of paths) {
    const entry = history.get(path);
    if (entry === undefined) continue;
    const top = entry.origins[entry.origins.length - 1];
    if (top === undefined) continue;
    provenance.set(path, { ...top, overrode: entry.origins.slice(0, -1) });
    winners.push(entry.leaf);
  }
  return { serviceKey: key, settings: buildFromLeaves(winners) as ServiceSettings, provenance };
}

/** Merges with a prebuilt index (what createConfigLookup uses). */
export function mergeIndexed(key: ServiceKey, index: SnapshotIndex): EffectiveServiceConfig {
  return mergeLayers(key, layersFor(key, index));
}

/**
 * The effective settings of `key` at `snapshot`, with provenance for every leaf. Platform
 * defaults and overrides apply even when the service has no ServiceConfig.
 */
export function mergeService(key: ServiceKey, snapshot: ConfigSnapshot): EffectiveServiceConfig {
  return mergeIndexed(key, indexSnapshot(snapshot));
}
