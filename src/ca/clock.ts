/** Time for the CA, injectable so tests can drive renewal and expiry without waiting. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; the handle goes to clearTimer. Timers never keep the process alive. */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Wall-clock time and unref'd node timers (delays capped at 2^31-1 ms, re-armed past that). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const max = 2 ** 31 - 1;
    const target = Date.now() + ms;
    const box: { timer?: NodeJS.Timeout } = {};
    const arm = (delay: number): void => {
      box.timer = setTimeout(() => {
        const left = target - Date.now();
        if (left > 0) arm(Math.min(left, max));
        else fn();
      }, Math.max(0, Math.min(delay, max)));
      box.timer.unref();
    };
    arm(ms);
    return box;
  },
  clearTimer(handle) {
    const box = handle as { timer?: NodeJS.Timeout } | undefined;
    if (box?.timer !== undefined) clearTimeout(box.timer);
  },
};
