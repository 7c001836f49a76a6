/** Finding config YAML files in a directory tree (shared by GitOps and `trellis apply -f DIR`). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const YAML_FILE = /\.ya?ml$/i;

/** .yaml/.yml files under `dir`, recursively, sorted by path; hidden entries are skipped. */
export async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFilesUnder(path)));
    else if (entry.isFile() && YAML_FILE.test(entry.name)) out.push(path);
  }
  return out;
}
