/**
 * One string per resource name for every client in the process. Each response carries its names
 * afresh; a load generator holds the same few thousand names for thousands of streams, so keeping
 * one copy shrinks its heap (and its major GCs, which stall every stream it runs) by tens of MB.
 * Names read from the wire are looked up by their bytes (`nameAt`): hashing and comparing a few
 * dozen bytes in place costs less than decoding them into a string to look that up.
 */
const MAX_INTERNED = 200_000;
const interned = new Map<string, string>();

interface Known {
  readonly bytes: Uint8Array;
  readonly name: string;
}
const byHash = new Map<number, Known | Known[]>();
let knownCount = 0;
const decoder = new TextDecoder();

/** The process's copy of `name` (the table is dropped when it grows past MAX_INTERNED). */
export function internName(name: string): string {
  const known = interned.get(name);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(name, name);
  return name;
}

function sameBytes(known: Uint8Array, bytes: Uint8Array, from: number, to: number): boolean {
  if (known.length !== to - from) return false;
  for (let i = 0; i < known.length; i += 1) if (known[i] !== bytes[from + i]) return false;
  return true;
}

/** The UTF-8 text of `bytes[from, to)`, interned (as `internName`). */
export function nameAt(bytes: Uint8Array, from: number, to: number): string {
  // FNV-1a over the bytes.
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i += 1) hash = Math.imul(hash ^ (bytes[i] ?? 0), 0x01000193);
  const entry = byHash.get(hash);
  if (entry !== undefined) {
    if (!Array.isArray(entry)) {
      if (sameBytes(entry.bytes, bytes, from, to)) return entry.name;
    } else {
      for (const known of entry) if (sameBytes(known.bytes, bytes, from, to)) return known.name;
    }
  }
  const name = internName(decoder.decode(bytes.subarray(from, to)));
  if (knownCount >= MAX_INTERNED) {
    byHash.clear();
    knownCount = 0;
  }
  // A copy: `bytes` is a response, which the table must not keep alive.
  const known: Known = { bytes: Uint8Array.from(bytes.subarray(from, to)), name };
  if (entry === undefined) byHash.set(hash, known);
  else if (Array.isArray(entry)) entry.push(known);
  else byHash.set(hash, [entry, known]);
  knownCount += 1;
  return name;
}
