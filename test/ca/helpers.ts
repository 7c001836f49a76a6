/** Test helpers for the CA: a manual clock, a logger that records every line, openssl runs. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/ca/clock.ts';
import type { Logger } from '../../src/util/log.ts';

export interface FakeClock extends Clock {
  /** Moves time forward, running due timers in time order. */
  advance(ms: number): void;
}

export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')): FakeClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(fn, ms) {
      nextId += 1;
      timers.set(nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimer(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
      }
      now = target;
    },
  };
}

/** A logger that keeps every line (message and fields, JSON) for assertions. */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const record = (level: string) => (message: string, fields?: Record<string, unknown>): void => {
    lines.push(`${level} ${message} ${fields === undefined ? '' : JSON.stringify(fields)}`);
  };
  const logger: Logger & { lines: string[] } = {
    lines,
    debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error'),
    child: () => logger,
  };
  return logger;
}

/** Runs openssl with files written to a temp folder; returns stdout (throws with stderr on failure). */
export function openssl(args: (files: Record<string, string>) => string[], files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-openssl-'));
  try {
    const paths: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      paths[name] = join(dir, name);
      writeFileSync(paths[name], content);
    }
    return execFileSync('openssl', args(paths), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const ID = 'spiffe://trellis.local/ns/shop/sa/web';
