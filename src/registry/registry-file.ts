/**
 * Registry files: YAML listing services and their instances (see examples/bookinfo/registry.yaml).
 *
 *   services:
 *     - name: reviews            # service, namespace and protocol apply to every instance below
 *       namespace: bookinfo
 *       protocol: http
 *       instances:
 *         - { address: 127.0.0.21, port: 9080, labels: { version: v1 } }
 *   instances:                   # optional flat list; each entry names its own service
 *     - { service: echo, namespace: demo, address: 127.0.0.50, port: 50051 }
 *
 * Problems come back as diagnostics with `file:line` and the document path of the bad value;
 * a bad entry is dropped, the good ones are still returned.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { Diagnostic } from '../util/errors.ts';
import type { Registry } from './types.ts';
import { isPlainObject, validateRegistration } from './validate.ts';

export interface RegistryFile {
  /** Registration inputs (plain JSON) of the entries that validated, in file order. */
  readonly instances: unknown[];
  /** `file:line` of each entry in `instances` (same index). */
  readonly sources: string[];
  /** Everything wrong with the file; empty when it is clean. */
  readonly diagnostics: Diagnostic[];
}

const TOP_FIELDS = ['services', 'instances'];
const GROUP_FIELDS = ['name', 'namespace', 'protocol', 'instances'];
/** Fields an instance under a service group takes from the group instead. */
const GROUP_OWNED: Record<string, string> = { service: 'name', namespace: 'namespace', protocol: 'protocol' };
/** Fields whose next path segment is a map key that may itself contain dots. */
const KEYED_FIELDS = new Set(['labels', 'ports', 'locality']);

type Path = ReadonlyArray<string | number>;

/** Reads and validates a registry file; never throws for user errors (a missing file is a diagnostic). */
export async function loadRegistryFile(path: string): Promise<RegistryFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { instances: [], sources: [], diagnostics: [{ severity: 'error', field: '', message: `cannot read the registry file: ${reason}`, source: path }] };
  }
  return parseRegistryFile(text, path);
}

/** `loadRegistryFile` on text already in memory; `path` only labels diagnostics. */
export function parseRegistryFile(text: string, path: string): RegistryFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const result: RegistryFile = { instances: [], sources: [], diagnostics: [] };
  const at = (offset: number): string => `${path}:${lineCounter.linePos(offset).line}`;
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      result.diagnostics.push({ severity: 'error', field: '', message: `YAML: ${firstLine(error.message)}`, source: at(error.pos[0]) });
    }
    return result;
  }
  const sourceOf = (docPath: Path): string => at(nodeOffset(doc, docPath));
  const seen = new Set<string>();
  const report = (docPath: Path, message: string): void => {
    const key = `${renderPath(docPath)}\u0000${message}\u0000${sourceOf(docPath)}`;
    if (seen.has(key)) return;
    seen.add(key);
    result.diagnostics.push({ severity: 'error', field: renderPath(docPath), message, source: sourceOf(docPath) });
  };

  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return result;
  if (!isPlainObject(root)) {
    report([], 'expected a mapping with `services` and/or `instances`');
    return result;
  }
  unknownKeys(root, TOP_FIELDS, [], report);

  const entries: Array<{ input: Record<string, unknown>; fieldPath: (field: string) => Path; entryPath: Path }> = [];
  listAt(root['services'], ['services'], report).forEach((group, g) => {
    const groupPath: Path = ['services', g];
    if (!isPlainObject(group)) {
      report(groupPath, 'expected a service: { name, namespace, protocol, instances }');
      return;
    }
    unknownKeys(group, GROUP_FIELDS, groupPath, report);
    const instances = listAt(group['instances'], [...groupPath, 'instances'], report);
    if (group['instances'] === undefined) report(groupPath, 'a service needs `instances` (a list)');
    instances.forEach((entry, i) => {
      const entryPath: Path = [...groupPath, 'instances', i];
      if (!isPlainObject(entry)) {
        report(entryPath, 'expected an instance: { address, port, ... }');
        return;
      }
      for (const owned of Object.keys(GROUP_OWNED)) {
        if (entry[owned] !== undefined) report([...entryPath, owned], `set \`${GROUP_OWNED[owned]}\` on the service, not on its instances`);
      }
      const input: Record<string, unknown> = { ...entry, service: group['name'] };
      if (group['namespace'] !== undefined) input['namespace'] = group['namespace'];
      if (group['protocol'] !== undefined) input['protocol'] = group['protocol'];
      entries.push({
        input,
        entryPath,
        fieldPath: (field) => (field in GROUP_OWNED ? [...groupPath, GROUP_OWNED[field] ?? field] : [...entryPath, ...splitField(field)]),
      });
    });
  });
  listAt(root['instances'], ['instances'], report).forEach((entry, i) => {
    const entryPath: Path = ['instances', i];
    if (!isPlainObject(entry)) {
      report(entryPath, `expected an instance: { service, namespace, address, port, ... }`);
      return;
    }
    entries.push({ input: entry, entryPath, fieldPath: (field) => [...entryPath, ...splitField(field)] });
  });

  for (const { input, entryPath, fieldPath } of entries) {
    const validated = validateRegistration(input);
    if (!validated.ok) {
      for (const d of validated.diagnostics) report(d.field === '' ? entryPath : fieldPath(d.field), d.message);
      continue;
    }
    result.instances.push(input);
    result.sources.push(sourceOf(entryPath));
  }
  return result;
}

/**
 * Loads a registry file and registers every valid entry with origin 'file'. Returns the file's
 * diagnostics plus any registration refused by the registry (e.g. a protocol conflict).
 */
export async function registerFromFile(registry: Registry, path: string): Promise<{ registered: number; diagnostics: Diagnostic[] }> {
  const file = await loadRegistryFile(path);
  const diagnostics = [...file.diagnostics];
  let registered = 0;
  for (const [index, input] of file.instances.entries()) {
    const result = await registry.register(input, 'file');
    if (result.ok) registered += 1;
    else for (const d of result.diagnostics) diagnostics.push({ ...d, source: file.sources[index] ?? path });
  }
  return { registered, diagnostics };
}

function listAt(value: unknown, path: Path, report: (path: Path, message: string) => void): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  report(path, 'expected a list');
  return [];
}

function unknownKeys(value: Record<string, unknown>, allowed: readonly string[], path: Path,
  report: (path: Path, message: string) => void): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) report([...path, key], `unknown field; allowed fields are ${allowed.join(', ')}`);
  }
}

/** `labels.app.kubernetes.io/name` → ['labels', 'app.kubernetes.io/name']; `port` → ['port']. */
function splitField(field: string): string[] {
  const dot = field.indexOf('.');
  if (dot < 0) return [field];
  const head = field.slice(0, dot);
  return KEYED_FIELDS.has(head) ? [head, field.slice(dot + 1)] : field.split('.');
}

/** Offset of the deepest existing node on `path` (a missing field points at its parent). */
function nodeOffset(doc: Document, path: Path): number {
  for (let length = path.length; length >= 0; length -= 1) {
    const node: unknown = length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true);
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.range) return node.range[0];
  }
  return 0;
}

function renderPath(path: Path): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
