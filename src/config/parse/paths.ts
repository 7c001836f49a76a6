/**
 * Field paths inside a document: segments (`['spec', 'routes', 0, 'timeout']`) rendered the way
 * diagnostics and `ConfigDocument.lines` spell them (`spec.routes[0].timeout`).
 */

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** `['spec', 'routes', 0, 'to', 1]` → `spec.routes[0].to[1]`; the empty path is `''`. */
export function renderPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * The line of `path` in a line map, falling back to the nearest ancestor that has one (values
 * reached through an alias, or nested deeper than the map records). 1 when nothing matches.
 */
export function lineOf(lines: Readonly<Record<string, number>>, path: Path): number {
  for (let n = path.length; n >= 0; n--) {
    const key = renderPath(path.slice(0, n));
    if (Object.hasOwn(lines, key)) return lines[key] ?? 1;
  }
  return 1;
}
