/** A unified line diff (like `diff -u`) for showing how a generated resource's YAML changes. */

const MAX_CELLS = 4_000_000;

type Edit = { readonly op: ' ' | '-' | '+'; readonly line: string };

/**
 * Unified diff of `before` → `after` with `context` unchanged lines around each change, headed
 * `--- a/<label>` / `+++ b/<label>`. Empty string when the texts are equal. Inputs too large for
 * the quadratic LCS are shown as a whole replacement (still correct, just not minimal).
 */
export function unifiedDiff(label: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const edits = a.length * b.length > MAX_CELLS ? replaceAll(a, b) : lcsEdits(a, b);
  const hunks: string[] = [];
  let index = 0;
  while (index < edits.length) {
    // Find the next change, then extend the hunk while changes are within 2*context of each other.
    while (index < edits.length && edits[index]?.op === ' ') index += 1;
    if (index >= edits.length) break;
    const start = Math.max(0, index - context);
    let end = index;
    let lastChange = index;
    while (end < edits.length) {
      if (edits[end]?.op !== ' ') lastChange = end;
      else if (end - lastChange > 2 * context) break;
      end += 1;
    }
    const stop = Math.min(edits.length, lastChange + context + 1);
    hunks.push(formatHunk(edits, start, stop));
    index = stop;
  }
  return [`--- a/${label}`, `+++ b/${label}`, ...hunks].join('\n');
}

function formatHunk(edits: readonly Edit[], start: number, stop: number): string {
  // Line numbers: count lines of each side before the hunk.
  let aLine = 1;
  let bLine = 1;
  for (let i = 0; i < start; i += 1) {
    const op = edits[i]?.op;
    if (op !== '+') aLine += 1;
    if (op !== '-') bLine += 1;
  }
  const body: string[] = [];
  let aCount = 0;
  let bCount = 0;
  for (let i = start; i < stop; i += 1) {
    const edit = edits[i];
    if (edit === undefined) continue;
    if (edit.op !== '+') aCount += 1;
    if (edit.op !== '-') bCount += 1;
    body.push(`${edit.op}${edit.line}`);
  }
  const range = (line: number, count: number): string => `${count === 0 ? line - 1 : line},${count}`;
  return [`@@ -${range(aLine, aCount)} +${range(bLine, bCount)} @@`, ...body].join('\n');
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function replaceAll(a: readonly string[], b: readonly string[]): Edit[] {
  return [...a.map((line): Edit => ({ op: '-', line })), ...b.map((line): Edit => ({ op: '+', line }))];
}

/** Longest-common-subsequence edit script (removals before additions within a change). */
function lcsEdits(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j] = LCS length of a[i..] and b[j..], flattened.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lengths[i * width + j] = a[i] === b[j]
        ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
        : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i] ?? '' });
      i += 1;
      j += 1;
    } else if (j >= m || (i < n && (lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0))) {
      edits.push({ op: '-', line: a[i] ?? '' });
      i += 1;
    } else {
      edits.push({ op: '+', line: b[j] ?? '' });
      j += 1;
    }
  }
  return edits;
}
