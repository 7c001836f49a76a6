/**
 * Applies an example folder's config (`<folder>/config/*.yaml`) at start, as one revision by the
 * `example` actor. Unchanged documents are no-ops, so restarting does not add revisions.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { formatDiagnostic } from '../util/errors.ts';
import { yamlFilesUnder } from './gitops/yaml-files.ts';
import type { ConfigService } from './service/config-service.ts';

export async function loadExampleConfig(config: ConfigService, examplePath: string): Promise<{ files: number; problems: string[] }> {
  const dir = join(examplePath, 'config');
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) return { files: 0, problems: [] };
  const paths = await yamlFilesUnder(dir);
  const files = await Promise.all(paths.map(async (path) => ({ name: relative(process.cwd(), path), text: await readFile(path, 'utf8') })));
  const result = await config.apply(files, { actor: { name: 'example', role: 'admin' } });
  if (result.ok) return { files: files.length, problems: [] };
  const diagnostics = 'diagnostics' in result ? result.diagnostics : [];
  return { files: files.length, problems: diagnostics.length > 0 ? diagnostics.map(formatDiagnostic) : [String('message' in result ? result.message : 'rejected')] };
}
