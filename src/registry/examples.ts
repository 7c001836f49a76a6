/**
 * Loading example meshes at startup (`trellis serve --example <path>`): a registry YAML file, or
 * a folder holding `registry.yaml` (other YAML in the folder belongs to other stages, e.g. config).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDiagnostic } from '../util/errors.ts';
import { registerFromFile } from './registry-file.ts';
import type { Registry } from './types.ts';

export const REGISTRY_FILE_NAME = 'registry.yaml';

/**
 * Registers every valid entry of the example at `path` with origin 'file' (idempotent upserts).
 * Never throws for user errors: each problem comes back as a `file:line: field: message` line.
 */
export async function loadExamples(registry: Registry, path: string): Promise<{ loaded: number; problems: string[] }> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, REGISTRY_FILE_NAME);
  } catch {
    // A missing path is reported by registerFromFile as a readable diagnostic.
  }
  const result = await registerFromFile(registry, file);
  return { loaded: result.registered, problems: result.diagnostics.map(formatDiagnostic) };
}
