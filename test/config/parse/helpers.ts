/** Shared builders for the config parse tests. */
import { parseConfigFiles } from '../../../src/config/parse/index.ts';
import type { Diagnostic } from '../../../src/util/errors.ts';

/** A ServiceConfig reviews.bookinfo whose spec body starts at line 5 (give it indented by two spaces). */
export function serviceDoc(spec: string, metadata = '{name: reviews, namespace: bookinfo}'): string {
  return `apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfig\nmetadata: ${metadata}\nspec:\n${spec}`;
}

/** A PlatformPolicy whose spec body starts at line 5. */
export function policyDoc(spec: string, metadata = '{name: guard}'): string {
  return `apiVersion: trellis.dev/v1alpha1\nkind: PlatformPolicy\nmetadata: ${metadata}\nspec:\n${spec}`;
}

export function parseOne(text: string, name = 'bad.yaml'): ReturnType<typeof parseConfigFiles> {
  return parseConfigFiles([{ name, text }]);
}

export function errors(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}
