/**
 * Structural equality of plain data trees (what resource builders return: objects, arrays,
 * strings, numbers, booleans, null, byte arrays). Cheaper than encoding, so an object rebuilt
 * with the same content can take the bytes encoded for its predecessor.
 */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!sameTree(a[i], b[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let count = 0;
  for (const key in left) {
    if (!Object.hasOwn(left, key)) continue;
    // An absent key and an undefined one encode alike.
    if (left[key] === undefined) continue;
    count += 1;
    if (!Object.hasOwn(right, key) || !sameTree(left[key], right[key])) return false;
  }
  for (const key in right) if (Object.hasOwn(right, key) && right[key] !== undefined) count -= 1;
  return count === 0;
}
