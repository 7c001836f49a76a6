/**
 * Durations as users write them (`250ms`, `2s`, `1.5s`, `1m`, `1h`, `1m30s`, or a number of
 * milliseconds) and back. Trellis keeps durations as whole milliseconds.
 */

/** The longest duration any config field accepts: one day. */
export const MAX_DURATION_MS = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly problem: string };

const EXPECTED = 'a duration such as 250ms, 2s, 1.5s, 1m or 1h (or a whole number of milliseconds)';

/** Parses a duration; never throws. `problem` says what is allowed. */
export function parseDuration(value: unknown): DurationResult {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, problem: `expected ${EXPECTED}, got ${value}` };
    ms = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('-')) return { ok: false, problem: `durations cannot be negative, got "${value}"` };
    if (text.length > 64 || !DURATION.test(text)) return { ok: false, problem: `expected ${EXPECTED}, got "${value}"` };
    ms = 0;
    for (const match of text.matchAll(PART)) ms += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    // 1.1s is 1100.0000000000002 in binary floating point: round away representation noise only.
    const rounded = Math.round(ms);
    if (Math.abs(rounded - ms) < 1e-6) ms = rounded;
  } else {
    return { ok: false, problem: `expected ${EXPECTED}, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}` };
  }
  if (ms < 0) return { ok: false, problem: `durations cannot be negative, got ${String(value)}` };
  if (!Number.isInteger(ms)) return { ok: false, problem: `durations have millisecond precision, got ${String(value)}` };
  if (ms > MAX_DURATION_MS) return { ok: false, problem: `at most 24h, got ${String(value)}` };
  return { ok: true, ms };
}

/** Whole milliseconds as the shortest exact spelling: `2h`, `2m`, `1.5s`, `90s`, `250ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  if (!Number.isInteger(ms) || Math.abs(ms) < 1000) return `${ms}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
