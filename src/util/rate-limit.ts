/**
 * At most one emission per key per window, with the count of what was held back: a thousand
 * proxies NACKing the same bad resource make one log line per window, not a thousand.
 */
export type RateLimited = (key: string, emit: (suppressedSinceLast: number) => void) => void;

const MAX_KEYS = 1_000;

/** A limiter of `windowMs` per key; `now` is injectable for tests. */
export function rateLimited(windowMs: number, now: () => number = Date.now): RateLimited {
  const windows = new Map<string, { start: number; suppressed: number }>();
  return (key, emit) => {
    const t = now();
    const open = windows.get(key);
    if (open && t - open.start < windowMs) {
      open.suppressed += 1;
      return;
    }
    emit(open?.suppressed ?? 0);
    windows.delete(key);
    windows.set(key, { start: t, suppressed: 0 });
    // Bounded: the oldest keys go first (a Map iterates in insertion order).
    for (const oldest of windows.keys()) {
      if (windows.size <= MAX_KEYS) break;
      windows.delete(oldest);
    }
  };
}
