/**
 * Config documents from YAML: parse, validate strictly against src/config/types.ts, and check
 * cross-document references. User errors are diagnostics (`file:line`, YAML field path, what is
 * allowed); nothing here throws on any input.
 */
import type { Diagnostic } from '../../util/errors.ts';
import type { ConfigDocument } from '../types.ts';
import { validateDocument } from './document.ts';
import { lineOf } from './paths.ts';
import { readYamlDocuments } from './yaml-source.ts';

export { checkReferences } from './references.ts';
export { formatDuration, parseDuration, MAX_DURATION_MS } from './duration.ts';
export type { DurationResult } from './duration.ts';
export { serializeDocument, serializeDocuments } from './serialize.ts';
export { SETTINGS_FIELD_ENUMS, SETTINGS_FIELD_KINDS, settingsFieldKind } from './field-paths.ts';
export type { SettingsFieldKind } from './field-paths.ts';
export { SETTINGS_FIELDS } from './settings.ts';
export { GRPC_STATUS_NAMES, MAX_RETRY_ATTEMPTS, RETRY_ON } from './traffic.ts';
export { LB_POLICIES } from './cluster.ts';
export { lineOf, renderPath } from './paths.ts';
export type { Path, PathSegment } from './paths.ts';
export { MAX_ALIAS_COUNT, MAX_FILE_CHARS } from './yaml-source.ts';

export interface ParseResult {
  /** Documents without errors, in file order; a duplicate id keeps only its first occurrence. */
  readonly documents: ConfigDocument[];
  /** Every problem in every file (errors and warnings), in file order. */
  readonly diagnostics: Diagnostic[];
}

/**
 * Parses every document of every file (`---` separates documents). A document with any error is
 * left out of `documents`; duplicate ids across the whole set are errors at both places.
 */
export function parseConfigFiles(files: ReadonlyArray<{ readonly name: string; readonly text: string }>): ParseResult {
  const documents: ConfigDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const firstById = new Map<string, { source: string; reported: boolean }>();
  for (const file of files) {
    const read = readYamlDocuments(file.name, file.text);
    diagnostics.push(...read.diagnostics);
    for (const yaml of read.documents) {
      const result = validateDocument(file.name, yaml);
      diagnostics.push(...result.diagnostics);
      const here = `${file.name}:${lineOf(yaml.lines, ['metadata', 'name'])}`;
      if (result.id !== undefined) {
        const first = firstById.get(result.id);
        if (first !== undefined) {
          const duplicate = (source: string, other: string): Diagnostic => ({
            severity: 'error', field: 'metadata.name', message: `duplicate document ${result.id}: also defined at ${other}`, source,
          });
          if (!first.reported) diagnostics.push(duplicate(first.source, here));
          first.reported = true;
          diagnostics.push(duplicate(here, first.source));
          continue;
        }
        firstById.set(result.id, { source: here, reported: false });
      }
      if (result.document) documents.push(result.document);
    }
  }
  return { documents, diagnostics };
}

export { formatDiagnostic } from '../../util/errors.ts';
