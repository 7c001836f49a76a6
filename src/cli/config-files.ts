/** Collects the YAML files `-f FILE_OR_DIR` names, with names relative to the working directory. */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { yamlFilesUnder } from '../config/gitops/yaml-files.ts';
import { UsageError } from './command.ts';

export interface NamedFile {
  readonly name: string;
  readonly text: string;
}

/**
 * Every file given, and every .yaml/.yml file under each directory given (recursively, sorted),
 * named relative to `cwd` so diagnostics read `reviews.yaml:14`. A path given twice is read once.
 * Throws UsageError for a missing path or a directory without YAML files.
 */
export async function readConfigFiles(paths: readonly string[], cwd = process.cwd()): Promise<NamedFile[]> {
  if (paths.length === 0) throw new UsageError('give at least one -f FILE_OR_DIR');
  const seen = new Set<string>();
  const files: NamedFile[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      throw new UsageError(`${path}: no such file or directory`);
    }
    const found = info.isDirectory() ? await yamlFilesUnder(absolute) : [absolute];
    if (found.length === 0) throw new UsageError(`${path}: no .yaml or .yml files in this directory`);
    for (const file of found) {
      if (seen.has(file)) continue;
      seen.add(file);
      files.push({ name: displayName(cwd, file), text: await readFile(file, 'utf8') });
    }
  }
  return files;
}

/** `file` relative to `cwd` when it lies under it (`config/reviews.yaml`), else its absolute path. */
export function displayName(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
