/**
 * One string per resource name for every client in the process. Each response decodes its names
 * afresh; a load generator holds the same few thousand names for thousands of streams, so keeping
 * one copy shrinks its heap (and its major GCs, which stall every stream it runs) by tens of MB.
 */
const MAX_INTERNED = 200_000;
const interned = new Map<string, string>();

/** The process's copy of `name` (the table is dropped when it grows past MAX_INTERNED). */
export function internName(name: string): string {
  const known = interned.get(name);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(name, name);
  return name;
}
