import type { KeyValueStore, StoreOperation } from '../../src/store/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { Logger } from '../../src/util/log.ts';

/** A settable clock for TTL tests. */
export function fakeClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** A memory store whose batches fail while `failing` is true, counting batches. */
export function flakyStore(): KeyValueStore & { failing: boolean; batches: number } {
  const inner = createMemoryStore();
  const store = {
    failing: false,
    batches: 0,
    get: (key: string) => inner.get(key),
    list: (prefix: string) => inner.list(prefix),
    async batch(operations: readonly StoreOperation[]) {
      store.batches += 1;
      if (store.failing) throw new Error('disk full');
      await inner.batch(operations);
    },
    close: () => inner.close(),
  };
  return store;
}

/** A logger that records warnings and errors instead of printing them. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger: Logger & { lines: string[] } = {
    lines,
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => { lines.push(`warn ${m}`); },
    error: (m) => { lines.push(`error ${m}`); },
    child: () => logger,
  };
  return logger;
}

export function instanceInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  // Instances with distinct ids get distinct addresses by default: one address:port is one instance.
  const id = overrides['id'];
  const address = typeof id === 'string' ? `10.0.${addressByte(id)}.1` : '10.0.0.1';
  return { service: 'reviews', namespace: 'bookinfo', address, port: 9080, ...overrides };
}

function addressByte(id: string): number {
  let hash = 7;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) % 251;
  return hash + 1;
}
