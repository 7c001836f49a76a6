/**
 * Field paths: segments ↔ the dotted strings used as provenance keys and diagnostic fields, and
 * the leaf walk of settings that the merge and its tests share.
 */
import type { ServiceSettings } from '../types.ts';
import { MERGE_STRATEGY, SETTINGS_FIELDS } from './strategy.ts';

export type PathSegment = string | number;

/** One leaf of a settings object: its path segments, its dotted path, its value. */
export interface Leaf {
  readonly segments: readonly PathSegment[];
  readonly path: string;
  readonly value: unknown;
}

const PLAIN_KEY = /^[^.[\]"]+$/;

/**
 * Dotted path for segments: `retries.attempts`, `routes[0].timeout`; a key that would be
 * ambiguous (contains `.`, `[`, `]`, `"`) is written `["a.b"]`.
 */
export function joinPath(segments: readonly PathSegment[], prefix = ''): string {
  let out = prefix;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** True for a non-null, non-array object (a node a deep merge descends into). */
export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepLeaves(value: unknown, segments: PathSegment[], out: Leaf[]): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) {
    out.push({ segments: [...segments], path: joinPath(segments), value });
    return;
  }
  for (const key of Object.keys(value).sort()) {
    segments.push(key);
    deepLeaves(value[key], segments, out);
    segments.pop();
  }
}

/**
 * The leaves of `settings` as the strategy table defines them: a `replace` field is one leaf, a
 * `keyed` field has one leaf per key, a `deep` field has one leaf per non-object value inside it.
 * Unknown fields are ignored; empty objects have no leaves.
 */
export function settingsLeaves(settings: ServiceSettings): Leaf[] {
  const out: Leaf[] = [];
  const record = settings as Readonly<Record<string, unknown>>;
  for (const field of SETTINGS_FIELDS) {
    const value = record[field];
    if (value === undefined) continue;
    const strategy = MERGE_STRATEGY[field];
    if (strategy === 'replace' || !isPlainObject(value)) {
      out.push({ segments: [field], path: field, value });
    } else if (strategy === 'keyed') {
      for (const key of Object.keys(value).sort()) {
        const entry = value[key];
        if (entry !== undefined) out.push({ segments: [field, key], path: joinPath([field, key]), value: entry });
      }
    } else {
      deepLeaves(value, [field], out);
    }
  }
  return out;
}

/** Rebuilds an object from leaves (later leaves win where they collide). */
export function buildFromLeaves(leaves: Iterable<Leaf>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const leaf of leaves) {
    let node = root;
    const last = leaf.segments.length - 1;
    for (let i = 0; i < last; i++) {
      const key = String(leaf.segments[i]);
      const next = node[key];
      if (isPlainObject(next)) node = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        node[key] = created;
        node = created;
      }
    }
    node[String(leaf.segments[last])] = leaf.value;
  }
  return root;
}

/** The value at `segments` inside `value`, or undefined. */
export function valueAt(value: unknown, segments: readonly PathSegment[]): unknown {
  let node = value;
  for (const s of segments) {
    if (typeof s === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[s];
    } else {
      if (!isPlainObject(node)) return undefined;
      node = node[s];
    }
  }
  return node;
}

/** Splits a dotted bound path (`retries.attempts`) into segments. */
export function splitDotted(path: string): string[] {
  return path.split('.').filter((s) => s !== '');
}
