/**
 * What lets Trellis listen before its state is loaded: a SnapshotSource that holds every watch
 * until the real source exists, and a queue for the stream callbacks that need the registry.
 * A stream that connects during start-up receives nothing (never an empty or partial config)
 * until `open` hands over the real source; then it is watched there like any other stream.
 */
import type { NodeInfo, Snapshot, SnapshotSource, SnapshotWatch } from './xds/cache/types.ts';

/** A SnapshotSource that becomes the real one once `open` is called. */
export interface SnapshotGate {
  readonly source: SnapshotSource;
  /** Hands over the real source: held watches are made on it now, later ones go straight to it. */
  open(real: SnapshotSource): void;
  /** True once `open` was called. */
  readonly isOpen: () => boolean;
}

interface HeldWatch {
  readonly node: NodeInfo;
  readonly onChange: (snapshot: Snapshot) => void;
  inner: SnapshotWatch | undefined;
  closed: boolean;
}

/**
 * Creates a closed gate. `onError` hears of a held watch the real source refused at `open` (a
 * bug: that stream then waits for its next change); the other held watches proceed.
 */
export function createSnapshotGate(onError: (node: NodeInfo, error: unknown) => void = () => undefined): SnapshotGate {
  let real: SnapshotSource | undefined;
  let held: Set<HeldWatch> | undefined = new Set();

  const source: SnapshotSource = {
    watch(node, onChange) {
      if (real) return real.watch(node, onChange);
      const entry: HeldWatch = { node, onChange, inner: undefined, closed: false };
      held?.add(entry);
      return {
        current: () => entry.inner?.current(),
        close: () => {
          entry.closed = true;
          held?.delete(entry);
          entry.inner?.close();
        },
      };
    },
  };

  return {
    source,
    isOpen: () => real !== undefined,
    open(next) {
      if (real) throw new Error('the snapshot gate is already open');
      real = next;
      const waiting = held ?? new Set<HeldWatch>();
      held = undefined;
      for (const entry of waiting) {
        if (entry.closed) continue;
        try {
          entry.inner = next.watch(entry.node, entry.onChange);
          // The stream asked for its snapshot before one existed: it arrives as a change.
          const snapshot = entry.inner.current();
          if (snapshot) entry.onChange(snapshot);
        } catch (error) {
          onError(entry.node, error);
        }
      }
    },
  };
}

/**
 * Runs tasks once `open` is called, in the order they were given; after that, at once. Used for
 * the stream open/close callbacks that register proxies in a registry that is still loading.
 */
export interface StartupQueue {
  run(task: () => void): void;
  open(): void;
}

/** Creates a closed queue. */
export function createStartupQueue(): StartupQueue {
  let waiting: Array<() => void> | undefined = [];
  return {
    run(task) {
      if (waiting) waiting.push(task);
      else task();
    },
    open() {
      const tasks = waiting ?? [];
      waiting = undefined;
      for (const task of tasks) task();
    },
  };
}
