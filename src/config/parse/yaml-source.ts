/**
 * YAML text → documents as plain values with a line for every field path. Uses the `yaml`
 * package's parseAllDocuments with a LineCounter; syntax errors, alias bombs, oversized input and
 * pathological nesting all become diagnostics, never exceptions.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Diagnostic } from '../../util/errors.ts';
import { renderPath } from './paths.ts';
import type { Path } from './paths.ts';

/** Larger files are refused: config documents are small, and the HTTP API caps bodies at 1 MiB. */
export const MAX_FILE_CHARS = 4 * 1024 * 1024;
/** Aliases a document may expand: enough for reuse, far too few for a billion-laughs bomb. */
export const MAX_ALIAS_COUNT = 100;
/** Line maps stop here; deeper values get their nearest recorded ancestor's line. */
const MAX_LINE_DEPTH = 32;

export interface YamlDocument {
  /** The document as plain JS values (aliases expanded). */
  readonly raw: unknown;
  /** Field path → 1-based line. `''` is the document's first content line. */
  readonly lines: Record<string, number>;
  /** Line where the document's content starts. */
  readonly line: number;
}

/** Every non-empty document in `text`, plus diagnostics (file:line) for what could not be read. */
export function readYamlDocuments(file: string, text: string): { documents: YamlDocument[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const documents: YamlDocument[] = [];
  const fail = (line: number, message: string): void => {
    diagnostics.push({ severity: 'error', field: '', message, source: `${file}:${line}` });
  };
  if (typeof text !== 'string') {
    fail(1, 'expected YAML text');
    return { documents, diagnostics };
  }
  if (text.length > MAX_FILE_CHARS) {
    fail(1, `file is ${text.length} characters; config files may have at most ${MAX_FILE_CHARS}`);
    return { documents, diagnostics };
  }
  const counter = new LineCounter();
  const lineAt = (offset: number): number => Math.max(1, counter.linePos(Math.max(0, Math.min(offset, text.length))).line);
  let parsed: Document[];
  try {
    // An empty stream comes back as an (empty) array subclass too.
    parsed = [...parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, strict: true })];
  } catch (error) {
    fail(1, `cannot parse YAML: ${reason(error)}`);
    return { documents, diagnostics };
  }
  for (const doc of parsed) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) fail(lineAt(error.pos[0]), `YAML: ${firstLine(error.message)}`);
      continue;
    }
    const start = lineAt(rangeStart(doc.contents) ?? doc.range?.[0] ?? 0);
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      fail(start, error instanceof ReferenceError && /alias/i.test(error.message)
        ? `YAML: too many alias expansions (at most ${MAX_ALIAS_COUNT}); anchors and aliases must not multiply the document`
        : `YAML: cannot read the document: ${reason(error)}`);
      continue;
    }
    if (raw === null || raw === undefined) continue;  // a comment-only or empty document
    const lines: Record<string, number> = { '': start };
    try {
      if (doc.contents !== null) walk(doc.contents, [], lines, lineAt, 0);
    } catch {
      // A line map is best effort; missing entries fall back to an ancestor's line.
    }
    documents.push({ raw, lines, line: start });
  }
  return { documents, diagnostics };
}

function walk(node: unknown, path: Path, lines: Record<string, number>, lineAt: (offset: number) => number, depth: number): void {
  if (depth > MAX_LINE_DEPTH || isAlias(node) || isScalar(node)) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : key === null ? '' : undefined;
      if (name === undefined) continue;
      const child = [...path, name];
      const at = rangeStart(key) ?? rangeStart(pair.value);
      if (at !== undefined) lines[renderPath(child)] = lineAt(at);
      walk(pair.value, child, lines, lineAt, depth + 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = [...path, i];
      const at = rangeStart(item);
      if (at !== undefined) lines[renderPath(child)] = lineAt(at);
      walk(item, child, lines, lineAt, depth + 1);
    });
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Partial<Node> | null | undefined)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function reason(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error));
}
