/**
 * Runs async tasks one at a time in submission order. A failing task rejects only its own
 * promise; the queue carries on with the next one. Registry mutations go through one queue so
 * concurrent API calls cannot interleave their read-validate-write steps.
 */
export interface SerialQueue {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Resolves once every task submitted so far has settled. */
  idle(): Promise<void>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task, task);
      // The chain must never reject, or every later task would be skipped.
      tail = result.catch(() => undefined);
      return result;
    },
    idle: () => tail.then(() => undefined),
  };
}
