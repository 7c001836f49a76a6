/**
 * Test documents built directly as typed objects (no parser): ServiceConfig / PlatformPolicy
 * builders whose `lines` map either is given by hand or numbers every field path in order, the
 * way a YAML file with one key per line would.
 */
import {
  documentId,
  type Bound,
  type ConfigDocument,
  type ConfigSnapshot,
  type PlatformPolicyDocument,
  type PolicyScope,
  type ServiceConfigDocument,
  type ServiceSettings,
} from '../../../src/config/types.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Numbers every path under `value` (objects and arrays recursed) from `first`, one line each. */
export function autoLines(value: unknown, prefix: string, first = 1): Record<string, number> {
  const lines: Record<string, number> = {};
  let next = first;
  const walk = (v: unknown, path: string): void => {
    lines[path] = next++;
    if (Array.isArray(v)) v.forEach((e, i) => walk(e, `${path}[${i}]`));
    else if (isObject(v)) for (const k of Object.keys(v)) walk(v[k], `${path}.${k}`);
  };
  walk(value, prefix);
  return lines;
}

export interface DocOptions {
  readonly file?: string;
  /** Replaces the automatic line map. */
  readonly lines?: Readonly<Record<string, number>>;
}

/** A ServiceConfig for `name.namespace` (file `<name>.yaml` unless given). */
export function serviceConfig(name: string, namespace: string, spec: ServiceSettings, options: DocOptions = {}): ServiceConfigDocument {
  return {
    kind: 'ServiceConfig',
    id: documentId('ServiceConfig', name, namespace),
    name,
    namespace,
    source: { file: options.file ?? `${name}.yaml`, line: 1 },
    lines: options.lines ?? autoLines(spec, 'spec', 5),
    raw: { spec },
    spec,
  };
}

export interface PolicyParts {
  readonly defaults?: ServiceSettings;
  readonly overrides?: ServiceSettings;
  readonly bounds?: Readonly<Record<string, Bound>>;
}

/** A PlatformPolicy named `name` (file `<name>.yaml` unless given). */
export function platformPolicy(name: string, scope: PolicyScope, parts: PolicyParts, options: DocOptions = {}): PlatformPolicyDocument {
  const spec = { scope, ...parts };
  return {
    kind: 'PlatformPolicy',
    id: documentId('PlatformPolicy', name),
    name,
    source: { file: options.file ?? `${name}.yaml`, line: 1 },
    lines: options.lines ?? autoLines(spec, 'spec', 4),
    raw: { spec },
    spec,
  };
}

/** A snapshot of `docs` in the given order. */
export function snapshotOf(docs: readonly ConfigDocument[], revision = 1): ConfigSnapshot {
  return { revision, documents: new Map(docs.map((d) => [d.id, d])) };
}

export const MESH: PolicyScope = { namespaces: ['*'] };
