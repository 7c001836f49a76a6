/**
 * Spreads the pushes of one change over event-loop turns. A change seen by thousands of streams
 * used to write every stream's response in the turn that built the snapshots; HTTP/2 sends
 * nothing until that turn ends, so no proxy could start applying (and ACKing) before the last
 * response was written. Pumping streams a batch per turn lets the first bytes leave after one
 * batch and lets ACKs be read in between, so building, writing and the proxies' work overlap.
 */

/** Runs scheduled pushes in order, `batch` per event-loop turn. */
export interface PushPacer {
  schedule(push: () => void): void;
  /** Pushes scheduled and not yet run. */
  pending(): number;
}

/** Streams pumped per turn: small enough for the first writes to leave within a millisecond. */
export const DEFAULT_PUSH_BATCH = 64;

/** A pacer; `push` callbacks must not throw (stream sessions guard their own). */
export function createPushPacer(batch = DEFAULT_PUSH_BATCH): PushPacer {
  let queue: ((() => void) | undefined)[] = [];
  let head = 0;
  let scheduled = false;

  const run = (): void => {
    const end = Math.min(queue.length, head + batch);
    while (head < end) {
      const push = queue[head];
      queue[head] = undefined;
      head += 1;
      push?.();
    }
    if (head < queue.length) {
      setImmediate(run);
      return;
    }
    queue = [];
    head = 0;
    scheduled = false;
  };

  return {
    schedule(push) {
      queue.push(push);
      if (scheduled) return;
      scheduled = true;
      setImmediate(run);
    },
    pending: () => queue.length - head,
  };
}
